/**
 * The ETL and MLOps examples of workflows/, run as a user runs them: real WASM skills from
 * wasm-skills/, real containers (local/node), and the sample data server of workflows/data/
 * reached over HTTP through an explicit egress entry (loopback is refused otherwise).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '../../engine/testing.js';
import { describeDocker, requireDocker } from '../helpers/docker.js';
import { SLOW_MACHINE_LEASES, useEngine, waitFor, waitForRun } from '../helpers/engine.js';
import { BUILD_TIMEOUT_MS, builtSkills, testWasmCacheDir } from '../wasm/built-skills.js';

const port = await freePort();
const t = useEngine('pipelines', {
  slots: 4,
  scheduler: true,
  config: { httpAllow: `127.0.0.1:${port}`, wasmCacheDir: testWasmCacheDir(), ...SLOW_MACHINE_LEASES },
});
let server: ChildProcess;
const workflows = new URL('../../workflows/', import.meta.url);

describeDocker('ETL and MLOps examples', () => {
  beforeAll(async () => {
    await requireDocker();
    server = spawn(process.execPath, [new URL('data/serve.js', workflows).pathname, String(port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/orders.csv`).catch(() => null))?.ok);
    for (const skill of (await builtSkills()).values())
      await t.engine.registerSkill({ manifest: skill.manifest, component: skill.component });
    for (const f of ['etl-orders.yaml', 'mlops-train.yaml']) await t.engine.registerWorkflow(readFileSync(new URL(f, workflows), 'utf8'));
  }, BUILD_TIMEOUT_MS);

  afterAll(() => {
    server?.kill();
  });

  it('etl-orders: extracts, parses, redacts, validates and loads; the invalid record is reported', async () => {
    const { runId } = await t.engine.startRun({ workflow: 'etl-orders', input: { source: `http://127.0.0.1:${port}/orders.csv` } });
    const run = await waitForRun(t.engine, runId, 120_000);
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    const out = run.output as { loaded: number; total: number; rejected: unknown; redactions: Record<string, number> };
    expect(out.loaded).toBe(4);
    expect(out.total).toBeCloseTo(120.5 + 75 + 980.1 + 42.42, 2);
    expect(out.rejected).toBe(1004);
    // No personal data left in what was loaded.
    const load = run.steps.find((s) => s.key === 'load')!;
    const loadedText = JSON.stringify(load.input);
    for (const pii of ['ada@example.com', '4111 1111 1111 1111', '867-5309', 'barbara@example.io']) expect(loadedText).not.toContain(pii);
    expect(loadedText).toContain('[REDACTED:email]');
    const logs = await t.engine.queries.getStepLogs(runId, 'load');
    expect(logs.items.map((l) => l.message)).toContain('loading order 1001');
  });

  it('etl-orders: the default source (loopback) is refused without an egress entry', async () => {
    const { runId } = await t.engine.startRun({ workflow: 'etl-orders' });
    const run = await waitForRun(t.engine, runId, 60_000);
    expect(run.status).toBe('failed');
    expect(run.steps.find((s) => s.key === 'extract')?.error).toMatchObject({ name: 'EgressBlocked' });
  });

  it('mlops-train: validates, trains in a container, evaluates and promotes a good model', async () => {
    const run = await waitForRun(t.engine, (await t.engine.startRun({ workflow: 'mlops-train' })).runId, 120_000);
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    const out = run.output as { promoted: boolean; r2: number; model: { a: number; b: number } };
    expect(out.promoted).toBe(true);
    expect(out.r2).toBeGreaterThan(0.99);
    expect(out.model.a).toBeCloseTo(2, 0);
    expect(run.steps.map((s) => s.key)).toEqual(['validate', 'train', 'evaluate', 'decide', 'promote']);
  });

  it('mlops-train: a model under the threshold is not promoted; bad data is caught', async () => {
    const strict = await waitForRun(
      t.engine,
      (await t.engine.startRun({ workflow: 'mlops-train', input: { threshold: 0.9999 } })).runId,
      120_000,
    );
    expect(strict.status).toBe('succeeded');
    expect(strict.steps.at(-1)?.key).toBe('notify');
    const bad = await waitForRun(
      t.engine,
      (await t.engine.startRun({ workflow: 'mlops-train', input: { samples: [{ x: 1 }, { x: 2, y: 4 }] } })).runId,
      60_000,
    );
    expect(bad.status).toBe('failed');
    expect(bad.error).toMatchObject({ name: 'BadTrainingData' });
  });
});
