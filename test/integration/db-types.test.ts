import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_TYPES_COMMAND, generateDbTypes } from '../../scripts/db-types.js';
import { createTestDb, type TestDb } from '../helpers/engine.js';

// engine/db/types.generated.ts is generated from the migrated schema, like
// migrations/schema.snapshot.txt is dumped from it: a migration that changes a table must come with
// the regenerated types, or the code would be checked against a schema that no longer exists.
let db: TestDb;
beforeAll(async () => {
  db = await createTestDb('types');
});
afterAll(async () => {
  await db.drop();
});

describe('generated database types', () => {
  it('match what kysely-codegen makes of the migrated schema', async () => {
    const text = await generateDbTypes(db.url);
    expect(text).toContain("'openclaw.run': OpenclawRun;");
    expect(text).not.toContain('graphile_worker');
    await expect(
      text,
      `engine/db/types.generated.ts is not what the migrations produce: run \`${DB_TYPES_COMMAND}\` and commit it`,
    ).toMatchFileSnapshot('../../engine/db/types.generated.ts');
  });
});
