/**
 * The ETL and MLOps examples of workflows/, run as a user runs them, at their real sizes: 100,000
 * orders and 50,000 training rows moving between steps as artifacts. Real WASM skills from
 * wasm-skills/, real containers (local/node, local/psql), the sample data server of
 * workflows/data/ reached over HTTP through an explicit egress entry, and a load into a real table
 * of the test's PostgreSQL over the load container's own connection (host network, allowed here).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateMasterKey } from '../../engine/index.js';
import { freePort } from '../../engine/testing.js';
import { describeDocker, requireDocker } from '../helpers/docker.js';
import { artifactRows, query, SLOW_MACHINE_LEASES, useEngine, waitFor, waitForRun } from '../helpers/engine.js';
import { BUILD_TIMEOUT_MS, builtSkills, testWasmCacheDir } from '../wasm/built-skills.js';

const port = await freePort();
const registryDir = mkdtempSync(path.join(os.tmpdir(), 'openclaw-registry-'));
const t = useEngine('pipelines', {
  slots: 4,
  scheduler: true,
  config: {
    httpAllow: `127.0.0.1:${port}`,
    containerAllowHostNetwork: true,
    secretKey: generateMasterKey(),
    wasmCacheDir: testWasmCacheDir(),
    ...SLOW_MACHINE_LEASES,
  },
});
let server: ChildProcess;
const workflows = new URL('../../workflows/', import.meta.url);
const sample = `http://127.0.0.1:${port}`;

const artifactsOf = (runId: string) => artifactRows(t.engine, runId);

describeDocker('ETL and MLOps examples at realistic sizes', () => {
  beforeAll(async () => {
    await requireDocker();
    server = spawn(process.execPath, [new URL('data/serve.js', workflows).pathname, String(port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, REGISTRY_DIR: registryDir },
    });
    await waitFor(async () => (await fetch(`${sample}/orders.csv`).catch(() => null))?.ok);
    for (const skill of (await builtSkills()).values())
      await t.engine.registerSkill({ manifest: skill.manifest, component: skill.component });
    for (const f of ['etl-orders.yaml', 'mlops-train.yaml']) await t.engine.registerWorkflow(readFileSync(new URL(f, workflows), 'utf8'));
    // What `openclaw dev` stores: the load step's own connection, to this same database.
    await t.engine.putSecret('WAREHOUSE_URL', t.db.url);
  }, BUILD_TIMEOUT_MS);

  afterAll(() => {
    server?.kill();
  });

  it('etl-orders: 100,000 orders go extract -> clean -> parse -> load as artifacts and land in a real table', async () => {
    const { runId } = await t.engine.startRun({ workflow: 'etl-orders', input: { source: `${sample}/orders.csv?rows=100000` } });
    const run = await waitForRun(t.engine, runId, 240_000);
    expect(run.status, JSON.stringify(run.error ?? run.steps.map((s) => [s.key, s.error]))).toBe('succeeded');
    const out = run.output as { rows: number; loaded: number; total: number; rejected: number };
    expect(out.rows).toBe(100_000);
    expect(out.rejected).toBeGreaterThan(0);
    expect(out.loaded + out.rejected).toBe(100_000);

    // The extracted file is the server's bytes, exactly.
    const served = Buffer.from(await (await fetch(`${sample}/orders.csv?rows=100000`)).arrayBuffer());
    const artifacts = await artifactsOf(runId);
    expect(artifacts.map((a) => `${a.step_key}.${a.name}`)).toEqual(['clean.clean', 'clean.rejected', 'extract.orders', 'parse.rows']);
    const orders = artifacts.find((a) => a.name === 'orders')!;
    expect(Number(orders.size)).toBe(served.length);
    expect(orders.sha256).toBe(createHash('sha256').update(served).digest('hex'));
    expect(orders.media_type).toBe('text/csv');
    // Megabytes moved, but no step kept them in its JSON output.
    for (const step of run.steps) expect(JSON.stringify(step.output ?? null).length, step.key).toBeLessThan(4096);

    // The rows are in the table, loaded over the container's own connection, without personal data.
    const [table] = await query<{ n: string; total: string; emails: string; cards: string }>(
      t.engine,
      `SELECT count(*) AS n, sum(amount) AS total,
              count(*) FILTER (WHERE customer_email NOT LIKE '***@%') AS emails,
              count(*) FILTER (WHERE card <> '' AND card NOT LIKE '**** **** **** %') AS cards
         FROM etl_orders WHERE run_id = $1`,
      [runId],
    );
    expect(Number(table!.n)).toBe(out.loaded);
    expect(Number(table!.total)).toBeCloseTo(out.total, 2);
    expect(Number(table!.emails)).toBe(0);
    expect(Number(table!.cards)).toBe(0);
  });

  it('etl-orders: the default source (loopback) is refused without an egress entry', async () => {
    const { runId } = await t.engine.startRun({ workflow: 'etl-orders' });
    const run = await waitForRun(t.engine, runId, 60_000);
    expect(run.status).toBe('failed');
    expect(run.steps.find((s) => s.key === 'extract')?.error).toMatchObject({ name: 'EgressBlocked' });
  });

  it('mlops-train: a 50,000-row dataset, a model file, evaluation and promotion; the same data again is served from the cache', async () => {
    const input = { registry: `${sample}/registry/` };
    const first = await waitForRun(t.engine, (await t.engine.startRun({ workflow: 'mlops-train', input })).runId, 240_000);
    expect(first.status, JSON.stringify(first.error ?? first.steps.map((s) => [s.key, s.error]))).toBe('succeeded');
    expect(first.steps.map((s) => s.key)).toEqual(['prepare', 'train', 'evaluate', 'decide', 'promote', 'promoted']);
    const out = first.output as { promoted: boolean; r2: number; model: { trainedRows: number; weights: number[]; intercept: number } };
    expect(out.promoted).toBe(true);
    expect(out.r2).toBeGreaterThan(0.99);
    expect(out.model.trainedRows).toBe(40_000);
    expect(out.model.weights[0]).toBeCloseTo(3, 1);
    expect(out.model.weights[1]).toBeCloseTo(-2, 1);
    expect(out.model.intercept).toBeCloseTo(4, 0);
    const files = await artifactsOf(first.id);
    expect(files.map((a) => `${a.step_key}.${a.name}`)).toEqual(['evaluate.report', 'prepare.dataset', 'train.model']);
    // 50,000 rows and a header.
    const dataset = await t.engine.queries.getRun(first.id);
    expect(dataset.steps.find((s) => s.key === 'prepare')?.output).toEqual({ rows: 50_000, seed: 7 });
    // Promotion copied the model file to the registry prefix, byte for byte.
    const model = files.find((a) => a.name === 'model')!;
    const promoted = readFileSync(path.join(registryDir, 'mlops-train', first.id, 'model.json'));
    expect(createHash('sha256').update(promoted).digest('hex')).toBe(model.sha256);

    // The same data again: training is served from the first run's cache, the rest runs.
    const second = await waitForRun(t.engine, (await t.engine.startRun({ workflow: 'mlops-train', input })).runId, 240_000);
    expect(second.status).toBe('succeeded');
    const train = second.steps.find((s) => s.key === 'train')!;
    expect(train.cached).toMatchObject({ runId: first.id, stepKey: 'train' });
    expect(train.output).toEqual(first.steps.find((s) => s.key === 'train')!.output);
    const history = await t.engine.queries.getEvents(second.id);
    expect(history.items.find((e) => e.type === 'step.cached' && e.stepKey === 'train')?.data).toMatchObject({
      runId: first.id,
      stepKey: 'train',
    });
    const secondModel = (await artifactsOf(second.id)).find((a) => a.name === 'model')!;
    expect(secondModel.sha256).toBe(model.sha256);

    // New data (another seed): trained again.
    const third = await waitForRun(
      t.engine,
      (await t.engine.startRun({ workflow: 'mlops-train', input: { ...input, seed: 8 } })).runId,
      240_000,
    );
    expect(third.status).toBe('succeeded');
    expect(third.steps.find((s) => s.key === 'train')?.cached).toBeNull();
  });

  it('mlops-train: a model under the threshold is not promoted', async () => {
    const strict = await waitForRun(
      t.engine,
      (await t.engine.startRun({ workflow: 'mlops-train', input: { threshold: 0.99999, rows: 5000 } })).runId,
      240_000,
    );
    expect(strict.status).toBe('succeeded');
    expect(strict.steps.at(-1)?.key).toBe('notify');
  });
});
