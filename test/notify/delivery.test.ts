/**
 * Run notifications end to end against a real local receiver: a URL target that answers 500 twice
 * and then 200, and a hook target (OPENCLAW_NOTIFY_HOOKS). The receiver checks every signature
 * itself (its own HMAC code, not the engine's); the delivery id is the same on every attempt; the
 * retries follow graphile-worker's backoff; the run's history shows each attempt; and the signing
 * secrets appear in no history event or log line (job payloads: enqueue.test.ts).
 */
import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { generateMasterKey, type CreateEngineOptions, type Notifier } from '../../engine/index.js';
import { createLogger } from '../../engine/telemetry/logger.js';
import { query, useEngine, waitFor, waitForRun } from '../helpers/engine.js';
import { startTestServer, type Recorded, type TestServer } from '../helpers/http-server.js';

const URL_SECRET = 'notify-canary-5b1e0c7a-url-secret';
const HOOK_SECRET = 'notify-canary-9d24f6e3-hook-secret';
const logLines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    logLines.push(chunk.toString());
    cb();
  },
});

let receiver: TestServer;
const arrivals: Array<{ at: number; req: Recorded }> = [];
// Filled in before the engine starts (hooks run in order): the receiver's port is in the allowlist and the hook.
const config: CreateEngineOptions = { secretKey: generateMasterKey(), logger: createLogger({ level: 'trace', destination: sink }) };

beforeAll(async () => {
  receiver = await startTestServer();
  config.httpAllow = `127.0.0.1:${receiver.port}`;
  config.notifyHooks = JSON.stringify({ ops: { url: `${receiver.url}/ops`, secret: 'OPS_NOTIFY_SECRET' } });
  let flaky = 0;
  receiver.route('/flaky', (req, res) => {
    arrivals.push({ at: Date.now(), req });
    flaky++;
    if (flaky <= 2) res.writeHead(500).end('receiver is down');
    else res.writeHead(200).end('ok');
  });
  receiver.route('/slow', (req, res) => {
    arrivals.push({ at: Date.now(), req });
    setTimeout(() => res.writeHead(200).end('took a while'), 700);
  });
  receiver.route('/ops', (req, res) => {
    arrivals.push({ at: Date.now(), req });
    res.writeHead(204).end();
  });
});
afterAll(async () => {
  await receiver.close();
});

const t = useEngine('notify', { slots: 2, config });
let notifier: Notifier;

beforeAll(async () => {
  await t.engine.putSecret('URL_NOTIFY_SECRET', URL_SECRET);
  await t.engine.putSecret('OPS_NOTIFY_SECRET', HOOK_SECRET);
  notifier = t.engine.createNotifier();
  await notifier.start();
});

type Verifier = (rawBody: string, header: unknown, secret: string) => boolean;

/** The receiver example of docs/notifications.md, loaded from the doc itself so the doc stays right. */
async function docsVerifier(): Promise<Verifier> {
  const doc = await readFile(new URL('../../docs/notifications.md', import.meta.url), 'utf8');
  const code = /<!-- tested: test\/notify\/delivery\.test\.ts -->\n```js\n([\s\S]*?)```/.exec(doc)?.[1];
  if (!code) throw new Error('docs/notifications.md: the tested receiver example is missing');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'oc-notify-doc-'));
  try {
    await writeFile(path.join(dir, 'verify.mjs'), code);
    const mod = (await import(pathToFileURL(path.join(dir, 'verify.mjs')).href)) as { verifyOpenClaw: Verifier };
    return mod.verifyOpenClaw;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The receiver's own check: `t=<s>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, timestamp within 5 minutes. */
function signatureValid(req: Recorded, secret: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(req.headers['x-openclaw-signature'] ?? ''));
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${req.body}`).digest('hex');
  return expected === m[2] && Math.abs(Date.now() / 1000 - Number(m[1])) < 300;
}

describe('notify: delivery', () => {
  it('retries a failing receiver with backoff, with one delivery id and a valid signature on every attempt, and records each attempt', async () => {
    await t.engine.registerWorkflow(`
name: notified
steps:
  a: { run: echo, with: { n: 42 } }
output: "\${{ steps.a.output }}"
notify:
  - url: ${receiver.url}/flaky
    secret: URL_NOTIFY_SECRET
  - hook: ops
    on: [succeeded]
`);
    const { runId } = await t.engine.startRun({ workflow: 'notified', input: {} });
    const run = await waitForRun(t.engine, runId);
    expect(run.status).toBe('succeeded');

    const flaky = await waitFor(async () => {
      const got = arrivals.filter((a) => a.req.url === '/flaky');
      return got.length >= 3 ? got : null;
    }, 30_000);
    const ops = arrivals.filter((a) => a.req.url === '/ops');
    expect(ops).toHaveLength(1);

    // The URL target: three attempts of one delivery, identical bodies, each freshly and validly signed.
    const ids = new Set(flaky.map((a) => a.req.headers['x-openclaw-delivery']));
    expect(ids.size).toBe(1);
    const [deliveryId] = [...ids] as string[];
    expect(deliveryId).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(flaky.map((a) => a.req.body)).size).toBe(1);
    const verifyOpenClaw = await docsVerifier();
    for (const a of flaky) {
      expect(verifyOpenClaw(a.req.body, a.req.headers['x-openclaw-signature'], URL_SECRET)).toBe(true);
      expect(verifyOpenClaw(`${a.req.body} `, a.req.headers['x-openclaw-signature'], URL_SECRET)).toBe(false);
      expect(a.req.method).toBe('POST');
      expect(a.req.headers['content-type']).toBe('application/json');
      expect(a.req.headers['x-openclaw-event']).toBe('run.succeeded');
      expect(signatureValid(a.req, URL_SECRET)).toBe(true);
      expect(signatureValid(a.req, HOOK_SECRET)).toBe(false);
    }
    const body = JSON.parse(flaky[0]!.req.body) as Record<string, unknown>;
    expect(body).toEqual({
      deliveryId,
      event: 'run.succeeded',
      runId,
      namespace: 'default',
      workflow: 'notified',
      version: 1,
      status: 'succeeded',
      output: { n: 42 },
      outputTruncated: false,
      error: null,
      finishedAt: run.finishedAt,
    });
    // graphile-worker's backoff: exp(1) ≈ 2.7 s after the first failure, exp(2) ≈ 7.4 s after the second.
    expect(flaky[1]!.at - flaky[0]!.at).toBeGreaterThanOrEqual(2_000);
    expect(flaky[2]!.at - flaky[1]!.at).toBeGreaterThanOrEqual(6_000);

    // The hook target: its own delivery id, signed with the hook's secret.
    expect(ops[0]!.req.headers['x-openclaw-delivery']).not.toBe(deliveryId);
    expect(signatureValid(ops[0]!.req, HOOK_SECRET)).toBe(true);
    expect(JSON.parse(ops[0]!.req.body)).toMatchObject({ runId, status: 'succeeded', output: { n: 42 } });

    // History: queued in the final transition, then every attempt.
    const events = await waitFor(async () => {
      const rows = await query<{ type: string; data: Record<string, unknown> }>(
        t.engine,
        `SELECT type, data FROM openclaw.run_event WHERE run_id = $1 AND type LIKE 'notify.%' ORDER BY id`,
        [runId],
      );
      return rows.filter((r) => r.type === 'notify.delivered').length === 2 ? rows : null;
    });
    const forUrl = events.filter((e) => e.data.deliveryId === deliveryId);
    expect(forUrl.map((e) => e.type)).toEqual(['notify.queued', 'notify.failed', 'notify.failed', 'notify.delivered']);
    expect(forUrl[0]!.data).toEqual({ deliveryId, url: `${receiver.url}/flaky`, event: 'run.succeeded' });
    expect(forUrl[1]!.data).toMatchObject({
      attempt: 1,
      maxAttempts: 10,
      status: 500,
      error: 'HTTP 500: receiver is down',
      willRetry: true,
    });
    expect(forUrl[1]!.data.retryInMs).toBe(2718);
    expect(forUrl[2]!.data).toMatchObject({ attempt: 2, status: 500, willRetry: true, retryInMs: 7389 });
    expect(forUrl[3]!.data).toMatchObject({ attempt: 3, status: 200, url: `${receiver.url}/flaky` });
    const forHook = events.filter((e) => e.data.deliveryId !== deliveryId);
    expect(forHook.map((e) => e.type)).toEqual(['notify.queued', 'notify.delivered']);
    expect(forHook[1]!.data).toMatchObject({ hook: 'ops', attempt: 1, status: 204 });
    // The queued event is written in the run's final transaction, right after the run's own.
    const order = await query<{ type: string }>(t.engine, `SELECT type FROM openclaw.run_event WHERE run_id = $1 ORDER BY id`, [runId]);
    const types = order.map((r) => r.type);
    expect(types.indexOf('notify.queued')).toBe(types.indexOf('run.succeeded') + 1);

    // Delivered jobs are gone from graphile-worker's queue.
    const jobs = await query(t.engine, `SELECT id FROM graphile_worker.jobs WHERE task_identifier = 'openclaw_notify'`);
    expect(jobs).toEqual([]);
  }, 60_000);

  it('never puts a signing secret into a history event or a log line', async () => {
    const { runId } = await t.engine.startRun({ workflow: 'notified', input: {}, idempotencyKey: 'second' });
    await waitForRun(t.engine, runId);
    await waitFor(async () => {
      const rows = await query(t.engine, `SELECT 1 FROM openclaw.run_event WHERE run_id = $1 AND type = 'notify.delivered'`, [runId]);
      return rows.length === 2;
    });
    const events = await query<{ d: string }>(t.engine, `SELECT coalesce(data::text, '') AS d FROM openclaw.run_event`);
    expect(logLines.some((l) => l.includes('"component":"notifier"'))).toBe(true);
    const all = [...events.map((r) => r.d), ...logLines].join('\n');
    for (const secret of [URL_SECRET, HOOK_SECRET]) {
      expect(all.includes(secret)).toBe(false);
      expect(all.includes(Buffer.from(secret).toString('base64'))).toBe(false);
      expect(all.includes(Buffer.from(secret).toString('hex'))).toBe(false);
    }
  });

  it('stops gracefully: a delivery in flight finishes and is recorded before stop() returns', async () => {
    await t.engine.registerWorkflow(`
name: slow-receiver
steps:
  a: { run: noop }
notify:
  - url: ${receiver.url}/slow
`);
    const { runId } = await t.engine.startRun({ workflow: 'slow-receiver', input: {} });
    await waitFor(async () => arrivals.some((a) => a.req.url === '/slow'));
    await notifier.stop();
    expect(notifier.running).toBe(false);
    const events = await query<{ type: string; data: Record<string, unknown> }>(
      t.engine,
      `SELECT type, data FROM openclaw.run_event WHERE run_id = $1 AND type LIKE 'notify.%' ORDER BY id`,
      [runId],
    );
    expect(events.map((e) => e.type)).toEqual(['notify.queued', 'notify.delivered']);
    expect(events[1]!.data.durationMs).toBeGreaterThanOrEqual(600);
    // Its job was completed before the runner closed its pool (not left locked for graphile-worker's 4 hours).
    expect(await query(t.engine, `SELECT 1 FROM graphile_worker.jobs WHERE task_identifier = 'openclaw_notify'`)).toEqual([]);
  });

  it('takes over a delivery whose runner died holding it (no 4-hour wait for graphile-worker to free the lock)', async () => {
    expect(notifier.running).toBe(false);
    await t.engine.registerWorkflow(`
name: orphaned
steps:
  a: { run: noop }
notify:
  - url: ${receiver.url}/ops
`);
    const { runId } = await t.engine.startRun({ workflow: 'orphaned', input: {} });
    await waitForRun(t.engine, runId);
    // As a process killed during its first attempt leaves it: fetched, locked, never completed.
    const locked = await query(
      t.engine,
      `UPDATE graphile_worker._private_jobs SET attempts = 1, locked_by = 'pool-killed', locked_at = now() - interval '10 minutes'
        WHERE payload->'body'->>'runId' = $1 RETURNING id`,
      [runId],
    );
    expect(locked).toHaveLength(1);
    const before = arrivals.length;
    notifier = t.engine.createNotifier();
    await notifier.start();
    const delivered = await waitFor(async () => {
      const rows = await query<{ data: Record<string, unknown> }>(
        t.engine,
        `SELECT data FROM openclaw.run_event WHERE run_id = $1 AND type = 'notify.delivered'`,
        [runId],
      );
      return rows[0]?.data;
    });
    expect(delivered).toMatchObject({ attempt: 2, status: 204 });
    expect(arrivals.slice(before).map((a) => JSON.parse(a.req.body).runId)).toEqual([runId]);
  });
});
