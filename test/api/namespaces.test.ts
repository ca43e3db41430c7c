/**
 * Namespaces (api.md "Auth"): every request acts in the namespace of its `X-OpenClaw-Namespace`
 * header or `namespace` query parameter (default `default`). Two namespaces, team-a and team-b,
 * hold workflows of the same names; each sees only its own workflows, runs, history, logs,
 * secrets, schedules, dead letters, skills and webhook deliveries, and what belongs to the other is
 * not found (404) — never listed, cancelled, retried, signalled or replayed. On the worker side a
 * task reads its run's namespace's secrets and skills, child runs start in the parent's namespace,
 * and cron ticks fire in their schedule's namespace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { insecureLocal } from '../../api/index.js';
import { EngineError, generateMasterKey, sign } from '../../engine/index.js';
import { useApi, yamlHeaders } from '../helpers/api.js';
import { runCli } from '../helpers/cli.js';
import { SLOW_MACHINE_LEASES, waitFor } from '../helpers/engine.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';
import { constantComponent } from '../wasm/components.js';

const A = 'team-a';
const B = 'team-b';
const t = useApi('namespaces', {
  slots: 4,
  scheduler: true,
  config: { secretKey: generateMasterKey(), httpAllow: '127.0.0.1', ...SLOW_MACHINE_LEASES },
  app: { authenticate: insecureLocal },
});
let srv: TestServer;

/** A request in namespace `ns` (the header). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const call = (ns: string, opts: InjectOptions): Promise<{ status: number; body: any; text: string }> =>
  t.call({ ...opts, headers: { ...(opts.headers as Record<string, string>), 'x-openclaw-namespace': ns } });

async function register(ns: string, spec: string): Promise<void> {
  const res = await call(ns, { method: 'POST', url: '/v1/workflows', headers: yamlHeaders, payload: spec });
  expect(res.status, res.text).toBe(201);
}

async function start(ns: string, workflow: string, payload: Record<string, unknown> = {}): Promise<string> {
  const res = await call(ns, { method: 'POST', url: `/v1/workflows/${workflow}/runs`, payload });
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function untilStatus(ns: string, runId: string, statuses: string[]): Promise<any> {
  return await waitFor(async () => {
    const r = await call(ns, { url: `/v1/runs/${runId}` });
    return statuses.includes(r.body.status) ? r.body : null;
  }, 30_000);
}
const finished = (ns: string, runId: string) => untilStatus(ns, runId, ['succeeded', 'failed', 'cancelled']);

const expectNotFound = (res: { status: number; body: { error?: { code: string } } }): void => {
  expect(res.status).toBe(404);
  expect(res.body.error?.code).toBe('not_found');
};

const names = (items: Array<{ name: string }>): string[] => items.map((i) => i.name);

beforeAll(async () => {
  srv = await startTestServer();
  srv.route('/echo', (req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true })));
  // The same names in both namespaces, with different content.
  for (const ns of [A, B]) {
    await register(
      ns,
      `name: shared\ndescription: shared of ${ns}\nsteps: { a: { run: echo, with: { ns: ${ns} } } }\noutput: "\${{ steps.a.output.ns }}"\n`,
    );
    await register(
      ns,
      'name: waiter\nstart: hold\nstates:\n  hold: { wait: { signal: go, timeout: 1h }, next: done }\n  done: { run: noop, end: true }\n',
    );
    await register(ns, 'name: doomed\nsteps:\n  d: { run: fail, with: { error: Broken, message: always }, retry: { maxAttempts: 1 } }\n');
    await register(
      ns,
      `name: caller\nsteps:\n  call: { http: { url: "${srv.url}/echo", headers: { Authorization: "Bearer \${{ secrets.TOKEN }}" } } }\n`,
    );
  }
  await register(A, 'name: only-a\nsteps: { a: { run: noop } }\n');
});
afterAll(async () => {
  await srv?.close();
});

describe('choosing a namespace', () => {
  it('the header or the namespace query parameter; default when neither; an invalid name is 400 naming the field', async () => {
    expect(names((await call(A, { url: '/v1/workflows' })).body.items)).toEqual(['caller', 'doomed', 'only-a', 'shared', 'waiter']);
    expect(names((await t.call({ url: `/v1/workflows?namespace=${B}` })).body.items)).toEqual(['caller', 'doomed', 'shared', 'waiter']);
    expect((await t.call({ url: '/v1/workflows' })).body.items).toEqual([]);
    for (const bad of [
      { headers: { 'x-openclaw-namespace': 'Team_A' } },
      { query: { namespace: '-a' } },
      { query: { namespace: 'x'.repeat(64) } },
    ]) {
      const res = await t.call({ url: '/v1/runs', ...bad });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'invalid_request', details: { field: 'namespace' } });
    }
    const both = await t.call({ url: `/v1/runs?namespace=${A}`, headers: { 'x-openclaw-namespace': B } });
    expect(both.status).toBe(400);
    expect(both.body.error.details).toEqual({ field: 'namespace' });
    // The public webhook route resolves (and checks) its namespace too.
    expect((await t.call({ method: 'POST', url: '/v1/hooks/shared/h?namespace=NOPE', payload: '{}' })).body.error.details).toEqual({
      field: 'namespace',
    });
  });

  it('the engine: the default namespace is the engine itself; inNamespace refuses a name that is not one', () => {
    expect(t.engine.inNamespace(t.engine.config.namespace)).toBe(t.engine);
    expect(t.engine.inNamespace(A).namespace).toBe(A);
    expect(() => t.engine.inNamespace('Not A Namespace')).toThrow(EngineError);
  });
});

describe('workflows', () => {
  it('each namespace reads and archives only its own', async () => {
    expect((await call(A, { url: '/v1/workflows/shared' })).body).toMatchObject({ version: 1, spec: { description: `shared of ${A}` } });
    expect((await call(B, { url: '/v1/workflows/shared' })).body).toMatchObject({ version: 1, spec: { description: `shared of ${B}` } });
    expectNotFound(await call(B, { url: '/v1/workflows/only-a' }));
    expectNotFound(await call(B, { url: '/v1/workflows/only-a/versions/1' }));
    expectNotFound(await call(B, { method: 'DELETE', url: '/v1/workflows/only-a' }));
    expectNotFound(await call(B, { method: 'POST', url: '/v1/workflows/only-a/runs', payload: {} }));
    expect((await call(A, { url: '/v1/workflows/only-a' })).body.archived).toBe(false);
  });
});

describe('runs', () => {
  it('a run is seen, followed, signalled, cancelled and retried only in its namespace', async () => {
    // The same idempotency key starts one run per namespace.
    const a = await start(A, 'waiter', { idempotencyKey: 'same-key' });
    const b = await start(B, 'waiter', { idempotencyKey: 'same-key' });
    expect(a).not.toBe(b);
    await untilStatus(A, a, ['waiting']);
    await untilStatus(B, b, ['waiting']);

    const listed = (ns: string) => call(ns, { url: '/v1/runs?workflow=waiter' }).then((r) => r.body.items.map((i: { id: string }) => i.id));
    expect(await listed(A)).toEqual([a]);
    expect(await listed(B)).toEqual([b]);
    for (const req of [
      { url: `/v1/runs/${a}` },
      { url: `/v1/runs/${a}/events` },
      { url: `/v1/runs/${a}/events?follow=1` },
      { url: `/v1/runs/${a}/steps/hold/logs` },
      { method: 'POST' as const, url: `/v1/runs/${a}/signals/go`, payload: {} },
      { method: 'POST' as const, url: `/v1/runs/${a}/cancel` },
      { method: 'POST' as const, url: `/v1/runs/${a}/retry` },
    ]) {
      expectNotFound(await call(B, req));
    }
    // Untouched by all that: still waiting, and no signal was recorded.
    const events = await call(A, { url: `/v1/runs/${a}/events` });
    expect(events.body.items.map((e: { type: string }) => e.type)).not.toContain('signal.received');
    expect((await call(A, { url: `/v1/runs/${a}` })).body.status).toBe('waiting');

    // In its own namespace: signalled, and followed to its end.
    expect((await call(A, { method: 'POST', url: `/v1/runs/${a}/signals/go`, payload: {} })).body.delivered).toBe(true);
    const stream = await call(A, { url: `/v1/runs/${a}/events?follow=1` });
    expect(stream.text).toContain(`event: end\ndata: ${JSON.stringify({ runId: a, status: 'succeeded' })}`);

    const cancelled = await call(B, { method: 'POST', url: `/v1/runs/${b}/cancel` });
    expect(cancelled.status).toBe(202);
    expect(cancelled.body.status).toBe('cancelled');
    expectNotFound(await call(A, { method: 'POST', url: `/v1/runs/${b}/retry` }));
    expect((await call(B, { method: 'POST', url: `/v1/runs/${b}/retry` })).status).toBe(202);
    await untilStatus(B, b, ['waiting']);
  });

  it('a child workflow starts in its parent’s namespace', async () => {
    await register(B, 'name: kid\nsteps: { a: { run: echo, with: { v: 42 } } }\noutput: "${{ steps.a.output.v }}"\n');
    await register(B, 'name: parent\nstart: call\nstates:\n  call: { workflow: { name: kid }, end: true }\n');
    // A has a parent too, but no kid: its child cannot start.
    await register(A, 'name: parent\nstart: call\nstates:\n  call: { workflow: { name: kid }, end: true }\n');
    const run = await finished(B, await start(B, 'parent'));
    expect(run.status).toBe('succeeded');
    const child = run.steps[0].childRunId as string;
    expect((await call(B, { url: `/v1/runs/${child}` })).body).toMatchObject({ workflow: 'kid', parentRunId: run.id });
    expectNotFound(await call(A, { url: `/v1/runs/${child}` }));
    const orphan = await finished(A, await start(A, 'parent'));
    expect(orphan.status).toBe('failed');
    expect(orphan.steps[0].error.name).toBe('ChildWorkflowNotFound');
  });
});

describe('secrets', () => {
  it('are stored, listed and deleted per namespace; a task reads its run’s namespace’s only', async () => {
    expect((await call(A, { method: 'PUT', url: '/v1/secrets/TOKEN', payload: { value: 'token-of-team-a' } })).status).toBe(201);
    expect(names((await call(A, { url: '/v1/secrets' })).body.items)).toEqual(['TOKEN']);
    expect((await call(B, { url: '/v1/secrets' })).body.items).toEqual([]);
    expectNotFound(await call(B, { method: 'DELETE', url: '/v1/secrets/TOKEN' }));

    const okA = await finished(A, await start(A, 'caller'));
    expect(okA.status).toBe('succeeded');
    expect(srv.requests.at(-1)?.headers.authorization).toBe('Bearer token-of-team-a');
    // In B the same workflow finds no TOKEN: it fails as for any missing secret, and nothing is sent.
    const sent = srv.requests.length;
    const failedB = await finished(B, await start(B, 'caller'));
    expect(failedB.status).toBe('failed');
    expect(failedB.steps[0]).toMatchObject({ attempt: 1, error: { name: 'SecretNotFound' } });
    expect(srv.requests.length).toBe(sent);

    // B's own TOKEN is B's value, and A's is unchanged.
    expect((await call(B, { method: 'PUT', url: '/v1/secrets/TOKEN', payload: { value: 'token-of-team-b' } })).status).toBe(201);
    expect((await finished(B, await start(B, 'caller'))).status).toBe('succeeded');
    expect(srv.requests.at(-1)?.headers.authorization).toBe('Bearer token-of-team-b');
    expect((await call(A, { method: 'DELETE', url: '/v1/secrets/TOKEN' })).status).toBe(204);
    expect(names((await call(B, { url: '/v1/secrets' })).body.items)).toEqual(['TOKEN']);
  });
});

describe('dead letters', () => {
  it('are listed and replayed only in their namespace', async () => {
    const run = await finished(A, await start(A, 'doomed'));
    expect(run.status).toBe('failed');
    const listA = await call(A, { url: '/v1/dead-letters?workflow=doomed' });
    const dl = listA.body.items.find((d: { runId: string }) => d.runId === run.id);
    expect(dl).toMatchObject({ stepKey: 'd', workflow: 'doomed' });
    expect((await call(B, { url: '/v1/dead-letters' })).body.items.map((d: { id: string }) => d.id)).not.toContain(dl.id);
    expectNotFound(await call(B, { method: 'POST', url: `/v1/dead-letters/${dl.id}/replay` }));
    expect((await call(A, { url: `/v1/runs/${run.id}` })).body.status).toBe('failed');
    const replay = await call(A, { method: 'POST', url: `/v1/dead-letters/${dl.id}/replay` });
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual({ runId: run.id, deadLetterId: dl.id });
  });
});

describe('schedules', () => {
  it('are listed, read and paused only in their namespace, and fire runs there', async () => {
    await register(B, 'name: ticking\nsteps: { a: { run: noop } }\ntriggers:\n  - { cron: "* * * * * *", catchUp: none }\n');
    const listB = await call(B, { url: '/v1/schedules' });
    expect(listB.body.items).toHaveLength(1);
    const id = listB.body.items[0].id as string;
    expect((await call(A, { url: '/v1/schedules' })).body.items).toEqual([]);
    expectNotFound(await call(A, { url: `/v1/schedules/${id}` }));
    expectNotFound(await call(A, { method: 'POST', url: `/v1/schedules/${id}/pause` }));
    expectNotFound(await call(A, { method: 'POST', url: `/v1/schedules/${id}/resume` }));
    // A tick starts its run in the schedule's namespace.
    const fired = await waitFor(async () => (await call(B, { url: '/v1/runs?workflow=ticking' })).body.items[0], 30_000);
    expect(fired.trigger).toMatchObject({ type: 'cron', scheduleId: id });
    expect((await call(A, { url: '/v1/runs?workflow=ticking' })).body.items).toEqual([]);
    expect((await call(B, { method: 'POST', url: `/v1/schedules/${id}/pause` })).body).toMatchObject({ paused: true, nextFireAt: null });
  });
});

describe('webhooks', () => {
  const HOOK = (ns: string) =>
    `name: hooked\nsteps: { a: { run: echo, with: { ns: ${ns}, body: "\${{ inputs }}" } } }\noutput: "\${{ steps.a.output }}"\n` +
    'triggers:\n  - webhook: { name: main, secret: HOOK_SECRET }\n';
  const deliver = (query: string, secret: string, deliveryId: string) => {
    const body = `{"delivery":"${deliveryId}"}`;
    const ts = Math.floor(Date.now() / 1000);
    return t.call({
      method: 'POST',
      url: `/v1/hooks/hooked/main${query}`,
      headers: {
        'content-type': 'application/json',
        'x-openclaw-signature': `t=${ts},v1=${sign(secret, ts, body)}`,
        'x-openclaw-delivery': deliveryId,
      },
      payload: body,
    });
  };

  it('?namespace= delivers to that namespace’s workflow, verified with that namespace’s secret', async () => {
    for (const ns of [A, B]) {
      await register(ns, HOOK(ns));
      await call(ns, { method: 'PUT', url: '/v1/secrets/HOOK_SECRET', payload: { value: `hook-secret-of-${ns}` } });
    }
    const toB = await deliver(`?namespace=${B}`, `hook-secret-of-${B}`, 'd-1');
    expect(toB.status, toB.text).toBe(202);
    expect((await finished(B, toB.body.runId)).output).toEqual({ ns: B, body: { delivery: 'd-1' } });
    expectNotFound(await call(A, { url: `/v1/runs/${toB.body.runId}` }));
    // A's secret does not open B's hook; the same delivery id is a new delivery in A.
    expect((await deliver(`?namespace=${B}`, `hook-secret-of-${A}`, 'd-2')).status).toBe(401);
    const toA = await deliver(`?namespace=${A}`, `hook-secret-of-${A}`, 'd-1');
    expect(toA.status).toBe(202);
    expect(toA.body).toMatchObject({ duplicate: false });
    expect((await finished(A, toA.body.runId)).output).toMatchObject({ ns: A });
    // No namespace: the default one, which has no such workflow.
    expectNotFound(await deliver('', `hook-secret-of-${A}`, 'd-3'));
  });
});

describe('skills', () => {
  it('are registered and listed per namespace; a wasm task resolves its run’s namespace’s skills', async () => {
    const component = Buffer.from(await constantComponent('{"from":"a"}')).toString('base64');
    const reg = await call(A, {
      method: 'POST',
      url: '/v1/skills',
      payload: { manifest: { name: 'ns-skill', version: '1.0.0' }, component },
    });
    expect(reg.status).toBe(201);
    expect((await call(A, { url: '/v1/skills' })).body.items.map((s: { name: string }) => s.name)).toEqual(['ns-skill']);
    expect((await call(B, { url: '/v1/skills' })).body.items).toEqual([]);
    for (const ns of [A, B])
      await register(ns, 'name: skilled\nsteps: { s: { wasm: { skill: ns-skill@1 } } }\noutput: "${{ steps.s.output }}"\n');
    const inB = await finished(B, await start(B, 'skilled'));
    expect(inB.status).toBe('failed');
    expect(inB.steps[0].error.name).toBe('UnknownSkill');
    const inA = await finished(A, await start(A, 'skilled'));
    expect(inA.status, JSON.stringify(inA.steps[0].error)).toBe('succeeded');
    expect(inA.output).toEqual({ from: 'a' });
  });
});

describe('the CLI', () => {
  it('--namespace (or OPENCLAW_NAMESPACE) picks the namespace of a client command', { timeout: 60_000 }, async () => {
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const workflows = async (args: string[], env: Record<string, string> = {}): Promise<string[]> => {
      const r = await runCli(['workflows', '--json', '--url', url, ...args], { env });
      expect(r.code, r.stderr).toBe(0);
      return names((JSON.parse(r.stdout) as { items: Array<{ name: string }> }).items);
    };
    expect(await workflows(['--namespace', A])).toContain('only-a');
    expect(await workflows(['--namespace', B])).not.toContain('only-a');
    expect(await workflows([], { OPENCLAW_NAMESPACE: A })).toContain('only-a');
    expect(await workflows([])).toEqual([]);
  });
});
