import { describe, expect, it } from 'vitest';
import { compileSpec } from '../../engine/spec/compile.js';
import { canonicalJson, specContentHash } from '../../engine/spec/content-hash.js';

const hashOf = (text: string): string => specContentHash(compileSpec(text).spec);

describe('specContentHash', () => {
  const base = 'name: etl\nsteps:\n  a: { run: noop }\n  b: { run: echo, needs: [a], with: { x: 1 } }\n';

  it('is stable across formatting, comments, key order and YAML vs JSON', () => {
    const reformatted = `# the nightly job
name:   etl
steps:
  a:
    run: noop     # first
  b:
    with:
      x: 1
    needs:
      - a
    run: echo
`;
    const json = JSON.stringify({ steps: { a: { run: 'noop' }, b: { needs: ['a'], run: 'echo', with: { x: 1 } } }, name: 'etl' }, null, 2);
    expect(hashOf(reformatted)).toBe(hashOf(base));
    expect(hashOf(json)).toBe(hashOf(base));
    expect(hashOf(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes when any value changes', () => {
    expect(hashOf(base.replace('x: 1', 'x: 2'))).not.toBe(hashOf(base));
    expect(hashOf(base.replace('x: 1', 'x: "1"'))).not.toBe(hashOf(base));
    expect(hashOf(base.replace('needs: [a]', 'needs: []'))).not.toBe(hashOf(base));
  });

  it('sorts keys at every level but keeps array order', () => {
    expect(canonicalJson({ b: [2, 1], a: { d: 1, c: null } })).toBe('{"a":{"c":null,"d":1},"b":[2,1]}');
  });
});
