/**
 * `openclaw worker --metrics-port 0` (the built CLI, a real process): it prints where its metrics
 * are, serves its own series there — the attempts it ran and the run it finished, but no run
 * started (this test process started it) — on loopback only (another Host is refused), and SIGTERM
 * still drains and exits 0 with the metrics server open.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMasterKey, type Engine } from '../../engine/index.js';
import { CLI, cliEnv } from '../helpers/cli.js';
import { createTestDb, testEngine, waitFor, waitForRun, type TestDb } from '../helpers/engine.js';
import { parsePrometheusText, sumOf } from '../helpers/prom-text.js';

let db: TestDb;
let engine: Engine;
let child: ChildProcess | null = null;

function get(url: string, host?: string): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, host ? { headers: { host } } : {}, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
  });
}

beforeAll(async () => {
  db = await createTestDb('wmetrics');
  engine = await testEngine(db);
  await engine.registerWorkflow('name: chain\nsteps:\n  a: { run: noop }\n  b: { needs: [a], run: echo, with: { ok: true } }');
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await engine?.close();
  await db?.drop();
});

describe('openclaw worker --metrics-port', () => {
  it("serves the worker process's own metrics on loopback, and drains on SIGTERM", async () => {
    const proc = spawn(process.execPath, [CLI, 'worker', '--slots', '2', '--metrics-port', '0'], {
      env: cliEnv({ DATABASE_URL: db.url, OPENCLAW_SECRET_KEY: generateMasterKey(), OPENCLAW_LOG_LEVEL: 'warn' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    const url = await waitFor(async () => /metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)\)/.exec(out)?.[1], 30_000);

    const { runId } = await engine.startRun({ workflow: 'chain' });
    expect((await waitForRun(engine, runId)).status).toBe('succeeded');
    // Counted by the worker after its completion committed: the scrape shows it at once or very soon.
    const m = await waitFor(async () => {
      const res = await get(url);
      expect(res.status).toBe(200);
      expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/);
      const parsed = parsePrometheusText(res.body);
      return sumOf(parsed, 'openclaw_runs_finished_total', { workflow: 'chain', status: 'succeeded' }) === 1 ? parsed : null;
    });
    expect(sumOf(m, 'openclaw_step_attempts_total', { workflow: 'chain', kind: 'builtin', outcome: 'succeeded' })).toBe(2);
    expect(sumOf(m, 'openclaw_step_queue_wait_seconds_count')).toBe(2);
    expect(m.get('openclaw_runs_started_total')!.samples).toEqual([]);
    // No scheduler here: the leader-sampled gauges are not this process's to export.
    expect(m.get('openclaw_workers')!.samples).toEqual([]);
    expect(sumOf(m, 'process_cpu_seconds_total')).toBeGreaterThan(0);

    expect((await get(url, 'evil.example')).status).toBe(403);
    expect((await get(url.replace('/metrics', '/'))).status).toBe(404);

    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    child = null;
  });
});
