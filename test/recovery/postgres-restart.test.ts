import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../engine/index.js';
import { freePort, startEmbeddedPostgres, withDatabase, type RunningPostgres } from '../../engine/testing.js';
import { createLogger } from '../../engine/telemetry/logger.js';
import { fastConfig, query, waitFor } from '../helpers/engine.js';

// R4: PostgreSQL crashes (postmaster SIGKILLed: an immediate stop, crash recovery on restart) while
// runs are in flight. Every process must reconnect by itself and every run must finish correctly.
// This file runs its own durable PostgreSQL so the crash does not touch the other test files.
let dataDir: string;
let port: number;
let server: RunningPostgres;
let url: string;
const engines: Engine[] = [];

const postmasterPid = async (): Promise<number> => Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);

/** SIGKILLs the postmaster and starts PostgreSQL again on the same data and port; returns both pids. */
async function crashAndRestart(): Promise<[number, number]> {
  const pid = await postmasterPid();
  process.kill(pid, 'SIGKILL');
  await waitFor(async () => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  });
  // Backends exit when they notice the postmaster is gone; until then the old shared memory is in use.
  server = await waitFor(async () => await startEmbeddedPostgres({ dataDir, port }), 30_000, 500);
  return [pid, await postmasterPid()];
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'openclaw-r4-'));
  port = await freePort();
  server = await startEmbeddedPostgres({ dataDir, port });
  const pg = await import('pg');
  const c = new pg.default.Client({ connectionString: server.url });
  await c.connect();
  await c.query('CREATE DATABASE r4');
  await c.end();
  url = withDatabase(server.url, 'r4');
});

afterAll(async () => {
  for (const e of engines) await e.close();
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('PostgreSQL restarts (R4)', () => {
  it('every run finishes with the right output after two crashes; no step is completed twice; nothing is wedged', async () => {
    const mk = async (): Promise<Engine> => {
      const e = await createEngine({ databaseUrl: url, migrate: true, ...fastConfig, logger: createLogger({ level: 'silent' }) });
      engines.push(e);
      return e;
    };
    const starter = await mk();
    const runner = await mk();
    await starter.registerWorkflow(`
name: sturdy
inputs: { type: object, properties: { n: { type: number } }, required: [n] }
steps:
  a: { run: sleep, with: { ms: 200 }, retry: { maxAttempts: 10, delay: 100ms } }
  b: { needs: [a], run: echo, with: { double: "\${{ inputs.n * 2 }}" }, retry: { maxAttempts: 10, delay: 100ms } }
  c: { needs: [b], run: echo, with: { n: "\${{ inputs.n }}", double: "\${{ steps.b.output.double }}" }, retry: { maxAttempts: 10, delay: 100ms } }
output: "\${{ steps.c.output }}"
`);
    const ids: string[] = [];
    for (let n = 0; n < 120; n++) ids.push((await starter.startRun({ workflow: 'sturdy', input: { n } })).runId);
    // Work starts once all 120 runs exist, so the first crash lands in the middle of the load
    // however slowly the runs were started.
    const worker = runner.createWorker({ slots: 8 });
    const scheduler = runner.createScheduler();
    await worker.start();
    scheduler.start();

    await waitFor(async () => (await query(starter, `SELECT 1 FROM openclaw.run WHERE status = 'succeeded' LIMIT 1`)).length > 0);
    const [unfinished] = await query<{ n: number }>(starter, `SELECT count(*)::int AS n FROM openclaw.run WHERE status <> 'succeeded'`);
    expect(unfinished?.n).toBeGreaterThan(60); // the crash lands in the middle of the load
    const [old1, new1] = await crashAndRestart();
    await new Promise((r) => setTimeout(r, 1500));
    const [old2, new2] = await crashAndRestart();
    expect(new1).toBe(old2);
    expect(new Set([old1, new1, new2]).size).toBe(3); // two real restarts

    // Runs started after the crashes work too (the starter's pool reconnected).
    for (let n = 120; n < 130; n++) ids.push((await starter.startRun({ workflow: 'sturdy', input: { n } })).runId);

    await waitFor(
      async () => (await query(starter, `SELECT 1 FROM openclaw.run WHERE id = ANY($1) AND status <> 'succeeded'`, [ids])).length === 0,
      90_000,
      250,
    );
    const outputs = await query<{ output: { n: number; double: number } }>(starter, 'SELECT output FROM openclaw.run WHERE id = ANY($1)', [
      ids,
    ]);
    expect(outputs).toHaveLength(130);
    for (const { output } of outputs) expect(output.double).toBe(output.n * 2);
    const doubles = await query(
      starter,
      `SELECT step_id FROM openclaw.step_attempt WHERE run_id = ANY($1) AND status = 'succeeded' GROUP BY step_id HAVING count(*) > 1`,
      [ids],
    );
    expect(doubles).toEqual([]);
    const [steps] = await query<{ n: number }>(
      starter,
      `SELECT count(*)::int AS n FROM openclaw.step WHERE run_id = ANY($1) AND status = 'succeeded'`,
      [ids],
    );
    expect(steps?.n).toBe(130 * 3);
    // The worker is still claiming and the scheduler still leading (nothing wedged).
    expect(scheduler.isLeader).toBe(true);
    const before = worker.stats.claimed;
    const last = await starter.startRun({ workflow: 'sturdy', input: { n: 999 } });
    await waitFor(async () => (await starter.queries.getRun(last.runId)).status === 'succeeded', 20_000);
    expect(worker.stats.claimed).toBeGreaterThan(before);
  });
});
