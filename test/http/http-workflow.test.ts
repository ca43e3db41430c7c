/**
 * HTTP tasks inside workflows: the task block's expressions are evaluated when the step becomes
 * ready (inputs, earlier outputs, forEach items), retries follow the policy, and the default
 * egress policy of an engine blocks loopback unless configured.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, useEngine, waitForRun } from '../helpers/engine.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';

const t = useEngine('httpwf', { slots: 4, scheduler: true, config: { httpAllow: '127.0.0.1' } });
let srv: TestServer;
let flaky = 0;

beforeAll(async () => {
  srv = await startTestServer();
  srv.route('/orders', (req, res) =>
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ day: new URL(req.url, 'http://x').searchParams.get('day'), ids: [3, 5, 8] })),
  );
  for (const id of [3, 5, 8])
    srv.route(`/orders/${id}`, (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id, total: id * 10 })),
    );
  srv.route('/flaky', (_req, res) => {
    flaky++;
    if (flaky < 3) res.writeHead(503, { 'retry-after': '0' }).end('warming up');
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
});
afterAll(async () => {
  await srv.close();
});

describe('http tasks in a workflow', () => {
  it('evaluates url, query and body from inputs, earlier outputs and forEach items', async () => {
    await t.engine.registerWorkflow(`name: fetch-orders
inputs: { type: object, properties: { day: { type: string } } }
steps:
  list:
    http: { url: "${srv.url}/orders", query: { day: "\${{ inputs.day }}" } }
  detail:
    needs: [list]
    forEach: "\${{ steps.list.output.body.ids }}"
    http: { url: "${srv.url}/orders/\${{ item }}" }
  total:
    needs: [detail]
    run: echo
    with: { sum: "\${{ $sum(steps.detail.output.body.total) }}" }
output: "\${{ steps.total.output }}"
`);
    const run = await waitForRun(t.engine, (await t.engine.startRun({ workflow: 'fetch-orders', input: { day: '2026-11-21' } })).runId);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ sum: 160 });
    expect(run.steps.find((s) => s.key === 'list')?.output).toMatchObject({ body: { day: '2026-11-21', ids: [3, 5, 8] } });
    // The evaluated block is stored per step instance (what the worker ran).
    const specs = await query<{ key: string; task_spec: { url: string } }>(
      t.engine,
      `SELECT key, task_spec FROM openclaw.step WHERE run_id = $1 AND key LIKE 'detail[%' ORDER BY key`,
      [run.id],
    );
    expect(specs.map((s) => s.task_spec.url)).toEqual([`${srv.url}/orders/3`, `${srv.url}/orders/5`, `${srv.url}/orders/8`]);
  });

  it('retries 503s per the policy and succeeds', async () => {
    await t.engine.registerWorkflow(`name: flaky-http
steps:
  call: { http: { url: "${srv.url}/flaky" }, retry: { maxAttempts: 4, delay: 10ms } }
`);
    const run = await waitForRun(t.engine, (await t.engine.startRun({ workflow: 'flaky-http' })).runId);
    expect(run.status).toBe('succeeded');
    expect(run.steps[0]).toMatchObject({ attempt: 3, output: { status: 200, body: { ok: true } } });
  });
});
