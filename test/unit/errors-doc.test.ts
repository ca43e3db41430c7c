import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../engine/errors.js';

// docs/errors.md has one table row per error code: `| code | status | meaning |`. Keep them in sync.
describe('docs/errors.md', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);

  it('lists every engine error code with its HTTP status, and nothing else', () => {
    expect(Object.fromEntries(rows)).toEqual(ErrorCodes);
  });
});
