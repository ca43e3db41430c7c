/**
 * Notifications obey the HTTP egress policy (OPENCLAW_HTTP_ALLOW), like HTTP tasks: loopback is
 * refused unless the allowlist names it — by IP literal or by a name that resolves to it — and a
 * refused delivery is not retried. A delivery that keeps failing stops after notifyMaxAttempts and
 * stays in graphile-worker's queue as permanently failed; the history says it gave up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateEngineOptions } from '../../engine/index.js';
import { query, useEngine, waitFor, waitForRun } from '../helpers/engine.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';

let allowed: TestServer;
let refused: TestServer;
const config: CreateEngineOptions = { notifyMaxAttempts: 1 };

beforeAll(async () => {
  allowed = await startTestServer();
  refused = await startTestServer();
  // Only the first receiver's port is allowed; the second is loopback on another port.
  config.httpAllow = `127.0.0.1:${allowed.port}`;
  allowed.route('/down', (_req, res) => res.writeHead(503).end('maintenance'));
  refused.route('/x', (_req, res) => res.writeHead(200).end());
});
afterAll(async () => {
  await allowed.close();
  await refused.close();
});

const t = useEngine('notifyegress', { slots: 2, config });

beforeAll(async () => {
  await t.engine.createNotifier().start();
});

describe('notify: egress policy and giving up', () => {
  it('refuses loopback destinations the allowlist does not name, without retrying; gives up on a failing one after notifyMaxAttempts', async () => {
    await t.engine.registerWorkflow(`
name: guarded
steps:
  a: { run: noop }
notify:
  - url: http://127.0.0.1:${refused.port}/x
  - url: http://localhost:${refused.port}/x
  - url: http://127.0.0.1:${allowed.port}/down
`);
    const { runId } = await t.engine.startRun({ workflow: 'guarded', input: {} });
    expect((await waitForRun(t.engine, runId)).status).toBe('succeeded');

    const failed = await waitFor(async () => {
      const rows = await query<{ data: Record<string, unknown> }>(
        t.engine,
        `SELECT data FROM openclaw.run_event WHERE run_id = $1 AND type = 'notify.failed' ORDER BY id`,
        [runId],
      );
      return rows.length === 3 ? rows.map((r) => r.data) : null;
    });
    const byUrl = new Map(failed.map((d) => [d.url as string, d]));
    for (const host of ['127.0.0.1', 'localhost']) {
      const d = byUrl.get(`http://${host}:${refused.port}/x`);
      expect(d).toMatchObject({ attempt: 1, status: null, willRetry: false });
      expect(d?.error).toMatch(/a loopback address; notifications may not reach it unless OPENCLAW_HTTP_ALLOW lists it/);
    }
    expect(refused.requests).toEqual([]);

    // Allowed, but down: one attempt (notifyMaxAttempts = 1), then it gives up.
    expect(allowed.requests).toHaveLength(1);
    expect(byUrl.get(`http://127.0.0.1:${allowed.port}/down`)).toMatchObject({
      attempt: 1,
      maxAttempts: 1,
      status: 503,
      error: 'HTTP 503: maintenance',
      willRetry: false,
    });
    expect(await query(t.engine, `SELECT 1 FROM openclaw.run_event WHERE run_id = $1 AND type = 'notify.delivered'`, [runId])).toEqual([]);

    // Refused deliveries end their job; the given-up one stays in the queue as permanently failed.
    const jobs = await waitFor(async () => {
      const rows = await query<{ attempts: number; max_attempts: number; last_error: string | null; locked_at: Date | null }>(
        t.engine,
        `SELECT attempts, max_attempts, last_error, locked_at FROM graphile_worker.jobs WHERE task_identifier = 'openclaw_notify'`,
      );
      return rows.length === 1 && rows[0]?.locked_at === null ? rows : null;
    });
    expect(jobs[0]).toMatchObject({ attempts: 1, max_attempts: 1, last_error: 'HTTP 503: maintenance' });
  });
});
