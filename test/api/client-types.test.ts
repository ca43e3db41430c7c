/**
 * openclaw/client's types (client/schema.generated.ts) are generated from the OpenAPI document:
 * they must be what openapi-typescript makes of the document the API serves now, or the CLI, the
 * web UI and users' code would be checked against an API that no longer exists. (`npm run
 * client:gen` reads test/api/openapi.snapshot.json, which test/api/system.test.ts keeps equal to
 * the live document.)
 */
import { describe, expect, it } from 'vitest';
import { CLIENT_TYPES_COMMAND, OPENAPI_SNAPSHOT_COMMAND, generateClientTypes } from '../../scripts/client-types.js';
import { useApi } from '../helpers/api.js';

const t = useApi('clienttypes');

describe('openclaw/client types', () => {
  it('are what openapi-typescript makes of the current OpenAPI document', async () => {
    const res = await t.call({ url: '/openapi.json' });
    expect(res.status).toBe(200);
    const text = await generateClientTypes(res.body);
    expect(text).toContain("'/v1/runs/{id}': {");
    expect(text).toContain('Run: {');
    await expect(
      text,
      `client/schema.generated.ts is not what the current OpenAPI document produces: update test/api/openapi.snapshot.json ` +
        `(\`${OPENAPI_SNAPSHOT_COMMAND}\`), then run \`${CLIENT_TYPES_COMMAND}\` and commit both`,
    ).toMatchFileSnapshot('../../client/schema.generated.ts');
  });
});
