/**
 * API: what the web UI's runs list and run page need: GET /v1/runs filtered by trigger type,
 * creation time and idempotency key (with workflow and status); GET /v1/dead-letters by run;
 * a workflow version's compiled graph; GET /v1/whoami.
 */
import { describe, expect, it } from 'vitest';
import { useApi, yamlHeaders } from '../helpers/api.js';
import { waitFor } from '../helpers/engine.js';

const t = useApi('apirunfilters', { slots: 4, scheduler: true });

const PARENT = `name: parent
start: call
states:
  call: { workflow: { name: leaf }, end: true }
`;
const LEAF = `name: leaf
steps:
  a: { run: echo, with: { ok: true } }
`;
const DOOMED = `name: doomed
steps:
  d: { run: fail, with: { error: Broken, message: always }, retry: { maxAttempts: 1 } }
`;

const ids = (body: { items: { id: string }[] }): string[] => body.items.map((r) => r.id);
const start = async (workflow: string, idempotencyKey?: string): Promise<string> => {
  const res = await t.call({ method: 'POST', url: `/v1/workflows/${workflow}/runs`, payload: idempotencyKey ? { idempotencyKey } : {} });
  expect(res.status).toBe(201);
  return res.body.id as string;
};
const ended = (id: string) =>
  waitFor(async () => {
    const r = await t.call({ url: `/v1/runs/${id}` });
    return ['succeeded', 'failed', 'cancelled'].includes(r.body.status) ? r.body : null;
  });

describe('runs list filters', () => {
  it('by trigger type, creation time and idempotency key, alone and with workflow and status', async () => {
    for (const spec of [LEAF, PARENT]) {
      expect((await t.call({ method: 'POST', url: '/v1/workflows', headers: yamlHeaders, payload: spec })).status).toBe(201);
    }
    const before = new Date().toISOString();
    const parent = await start('parent', 'order-1');
    const leaf = await start('leaf', 'order-2');
    await ended(parent);
    await ended(leaf);
    const child = (await t.call({ url: `/v1/runs/${parent}` })).body.steps[0].childRunId as string;
    expect(child).toMatch(/^[0-9a-f-]{36}$/);

    expect(ids((await t.call({ url: '/v1/runs?trigger=parent' })).body)).toEqual([child]);
    expect(ids((await t.call({ url: '/v1/runs?trigger=api' })).body).sort()).toEqual([parent, leaf].sort());
    expect(ids((await t.call({ url: '/v1/runs?trigger=api&workflow=leaf&status=succeeded' })).body)).toEqual([leaf]);
    expect(ids((await t.call({ url: '/v1/runs?idempotencyKey=order-1' })).body)).toEqual([parent]);
    expect(ids((await t.call({ url: '/v1/runs?idempotencyKey=nope' })).body)).toEqual([]);
    expect(ids((await t.call({ url: `/v1/runs?since=${encodeURIComponent(before)}` })).body)).toHaveLength(3);
    expect(ids((await t.call({ url: `/v1/runs?until=${encodeURIComponent(before)}` })).body)).toEqual([]);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect(ids((await t.call({ url: `/v1/runs?since=${encodeURIComponent(future)}` })).body)).toEqual([]);
    // Pages keep the filters.
    const first = await t.call({ url: '/v1/runs?trigger=api&limit=1' });
    const second = await t.call({ url: `/v1/runs?trigger=api&limit=1&cursor=${first.body.nextCursor}` });
    expect([...ids(first.body), ...ids(second.body)].sort()).toEqual([parent, leaf].sort());
    expect(second.body.nextCursor).toBeNull();
  });

  it('refuses malformed filters with 400 invalid_request', async () => {
    for (const q of ['since=yesterday', 'until=2026-13-01', 'trigger=API!', 'idempotencyKey=']) {
      const res = await t.call({ url: `/v1/runs?${q}` });
      expect(res.status, q).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
  });
});

describe('what the run page reads', () => {
  it('dead letters by run', async () => {
    await t.call({ method: 'POST', url: '/v1/workflows', headers: yamlHeaders, payload: DOOMED });
    const a = await start('doomed');
    const b = await start('doomed');
    await ended(a);
    await ended(b);
    const forA = await waitFor(async () => {
      const r = await t.call({ url: `/v1/dead-letters?runId=${a}` });
      return r.body.items.length > 0 ? r.body.items : null;
    });
    expect(forA.map((d: { runId: string; stepKey: string }) => [d.runId, d.stepKey])).toEqual([[a, 'd']]);
    expect((await t.call({ url: '/v1/dead-letters?runId=not-a-uuid' })).status).toBe(400);
  });

  it('a workflow version carries its compiled run graph', async () => {
    const dag = (await t.call({ url: '/v1/workflows/leaf/versions/1' })).body;
    expect(dag.graph).toMatchObject({ model: 'dag', nodes: { a: { name: 'a', needs: [] } } });
    const sm = (await t.call({ url: '/v1/workflows/parent' })).body;
    expect(sm.graph).toMatchObject({ model: 'sm', start: 'call', states: { call: { type: 'workflow', workflow: 'leaf' } } });
  });

  it('whoami names the caller, its role and namespaces, and the request’s namespace', async () => {
    const res = await t.call({ url: '/v1/whoami', headers: { 'x-openclaw-namespace': 'team-a' } });
    expect(res.body).toEqual({ principal: 'local', kind: 'local', role: 'admin', namespaces: '*', namespace: 'team-a' });
  });
});
