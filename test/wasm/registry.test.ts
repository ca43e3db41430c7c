/**
 * The skill registry through the engine (register, list, resolve name@range) and wasm steps in
 * real workflow runs with a worker.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, EngineError } from '../../engine/index.js';
import { resolveSkill } from '../../engine/skills/registry.js';
import { SLOW_MACHINE_LEASES, useEngine, waitForRun } from '../helpers/engine.js';
import { BUILD_TIMEOUT_MS, builtSkills, testWasmCacheDir } from './built-skills.js';
import { buildFixture, constantComponent, coreModule, sha256 } from './components.js';
import { engineCore } from '../../engine/engine.js';

const t = useEngine('skills', { slots: 4, config: { wasmCacheDir: testWasmCacheDir(), ...SLOW_MACHINE_LEASES } });

const VERSIONS = ['1.0.0', '1.2.0', '1.10.0', '2.0.0'];

beforeAll(async () => {
  for (const v of VERSIONS) {
    await t.engine.registerSkill({
      manifest: { name: 'pick', version: v, description: `returns ${v}` },
      component: await constantComponent(JSON.stringify({ v })),
    });
  }
});

async function runSpec(spec: string, input: unknown = {}) {
  const r = await t.engine.registerWorkflow(spec);
  const { runId } = await t.engine.startRun({ workflow: r.name, input });
  return await waitForRun(t.engine, runId, 60_000);
}

describe('skill registry', () => {
  it('registers a version once: the same bytes again are unchanged, other bytes are a conflict', async () => {
    const component = await constantComponent('{"a":1}');
    const first = await t.engine.registerSkill({ manifest: { name: 'once', version: '1.0.0' }, component });
    expect(first).toMatchObject({ name: 'once', version: '1.0.0', sha256: sha256(component), sizeBytes: component.length, created: true });
    const again = await t.engine.registerSkill({ manifest: { name: 'once', version: '1.0.0' }, component });
    expect(again).toMatchObject({ created: false, sha256: first.sha256 });
    expect(again.createdAt).toEqual(first.createdAt);

    const other = await constantComponent('{"a":2}');
    const err = await t.engine.registerSkill({ manifest: { name: 'once', version: '1.0.0' }, component: other }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toContain('versions are immutable');
    // a changed manifest (schemas) for the same version is a conflict too
    await expect(
      t.engine.registerSkill({ manifest: { name: 'once', version: '1.0.0', inputSchema: { type: 'object' } }, component }),
    ).rejects.toMatchObject({ code: 'conflict' });
    // a new version is fine
    expect(await t.engine.registerSkill({ manifest: { name: 'once', version: '1.0.1' }, component: other })).toMatchObject({
      created: true,
    });
    // `openclaw dev` replaces a version rebuilt from edited source (engine option only, not the API)
    expect(await t.engine.registerSkill({ manifest: { name: 'once', version: '1.0.0' }, component: other, replace: true })).toMatchObject({
      created: false,
      replaced: true,
      sha256: sha256(other),
    });
    expect((await resolveSkill(engineCore(t.engine), 'default', 'once', '1.0.0'))?.sha256).toBe(sha256(other));
  });

  it('refuses bad manifests, core modules, and components with imports it does not grant', async () => {
    const component = await constantComponent('1');
    const bad = (await t.engine
      .registerSkill({ manifest: { name: 'Bad Name', version: '1.0' }, component })
      .catch((e: unknown) => e)) as EngineError;
    expect(bad).toBeInstanceOf(EngineError);
    expect(bad.code).toBe('invalid_request');
    expect(bad.details).toEqual([
      { path: '/manifest/name', message: 'must be a name matching ^[a-z][a-z0-9-]{0,62}$' },
      { path: '/manifest/version', message: 'must be a version MAJOR.MINOR.PATCH, e.g. 1.0.0' },
    ]);
    await expect(
      t.engine.registerSkill({ manifest: { name: 'x', version: '1.0.0', inputSchema: { type: 'nonsense' } }, component }),
    ).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringContaining('/manifest/inputSchema') as unknown });
    await expect(
      t.engine.registerSkill({ manifest: { name: 'x', version: '1.0.0' }, component: await coreModule() }),
    ).rejects.toMatchObject({
      code: 'invalid_request',
      message: expect.stringContaining('core WebAssembly module, not a component') as unknown,
    });
    await expect(
      t.engine.registerSkill({ manifest: { name: 'x', version: '1.0.0' }, component: await buildFixture('forbiddenImport') }),
    ).rejects.toMatchObject({ code: 'invalid_request', details: { forbiddenImports: ['evil:net/socket@0.1.0'] } });
    expect((await t.engine.listSkills({ name: 'x' })).items).toEqual([]);
  });

  it('lists versions by name, newest first, without bytes', async () => {
    const { items: list } = await t.engine.listSkills({ name: 'pick' });
    expect(list.map((s) => s.version)).toEqual(['2.0.0', '1.10.0', '1.2.0', '1.0.0']);
    // Paged (keyset on name, then version newest first): the same order, a page at a time.
    const first = await t.engine.listSkills({ name: 'pick', limit: 3 });
    expect(first.items.map((s) => s.version)).toEqual(['2.0.0', '1.10.0', '1.2.0']);
    const rest = await t.engine.listSkills({ name: 'pick', limit: 3, cursor: first.nextCursor ?? undefined });
    expect(rest).toMatchObject({ items: [{ version: '1.0.0' }], nextCursor: null });
    expect(list[0]).toMatchObject({ name: 'pick', description: 'returns 2.0.0', inputSchema: null, outputSchema: null });
    expect(Object.keys(list[0] ?? {})).not.toContain('component');
  });

  it('resolves name@range to the newest matching version (numerically: 1.10 > 1.2)', async () => {
    const v = async (range: string) => (await resolveSkill(engineCore(t.engine), 'default', 'pick', range))?.version ?? null;
    expect(await v('1')).toBe('1.10.0');
    expect(await v('1.2')).toBe('1.2.0');
    expect(await v('^1.2')).toBe('1.10.0');
    expect(await v('1.0.0')).toBe('1.0.0');
    expect(await v('2')).toBe('2.0.0');
    expect(await v('*')).toBe('2.0.0');
    expect(await v('3')).toBeNull();
    expect(await resolveSkill(engineCore(t.engine), 'default', 'nope', '1')).toBeNull();
  });
});

describe('wasm steps in workflow runs', () => {
  it('each step runs the version its range picks', async () => {
    const run = await runSpec(`
name: pick-versions
steps:
  one: { wasm: { skill: pick@1 } }
  onetwo: { wasm: { skill: "pick@1.2" } }
  caret: { wasm: { skill: "pick@^1.2" } }
  exact: { wasm: { skill: pick@1.0.0 } }
  two: { wasm: { skill: pick@2 } }
  newest: { wasm: { skill: pick } }
`);
    expect(run.steps.filter((s) => s.error).map((s) => [s.key, s.error])).toEqual([]);
    expect(run.status).toBe('succeeded');
    const out = Object.fromEntries(run.steps.map((s) => [s.key, s.output]));
    expect(out).toEqual({
      one: { v: '1.10.0' },
      onetwo: { v: '1.2.0' },
      caret: { v: '1.10.0' },
      exact: { v: '1.0.0' },
      two: { v: '2.0.0' },
      newest: { v: '2.0.0' },
    });
  });

  it('an unknown skill fails the step at once (not retried)', async () => {
    const run = await runSpec(`
name: unknown-skill
steps:
  a: { wasm: { skill: pick@3 }, retry: { maxAttempts: 3, delay: 10ms } }
`);
    expect(run.status).toBe('failed');
    expect(run.steps[0]).toMatchObject({ status: 'dead', attempt: 1, error: { name: 'UnknownSkill' } });
  });

  it(
    'csv-to-json@1 in an ETL-style run: CSV from the run input, rows out, its log in the step log',
    async () => {
      const b = (await builtSkills()).get('csv-to-json');
      if (!b) throw new Error('csv-to-json was not built');
      expect(await t.engine.registerSkill({ manifest: b.manifest, component: b.component })).toMatchObject({
        name: 'csv-to-json',
        created: true,
      });
      const run = await runSpec(
        `
name: csv-etl
inputs: { type: object, required: [csv], properties: { csv: { type: string } } }
steps:
  parse:
    wasm: { skill: csv-to-json@1 }
    with: { csv: "\${{ inputs.csv }}", types: true }
    timeout: 30s
  total:
    needs: [parse]
    run: echo
    with: { sum: "\${{ $sum(steps.parse.output.rows.amount) }}" }
output: "\${{ steps.parse.output }}"
`,
        { csv: 'id,amount\n1,10.5\n2,4.5\n' },
      );
      expect(run.status).toBe('succeeded');
      expect(run.output).toEqual({
        columns: ['id', 'amount'],
        rows: [
          { id: 1, amount: 10.5 },
          { id: 2, amount: 4.5 },
        ],
        count: 2,
      });
      expect(run.steps.find((s) => s.key === 'total')?.output).toEqual({ sum: 15 });
      const logs = await t.engine.queries.getStepLogs(run.id, 'parse', {});
      expect(logs.items.map((l) => [l.stream, l.message])).toEqual([['log', '[info] 2 rows, 2 columns']]);
    },
    BUILD_TIMEOUT_MS,
  );
});
