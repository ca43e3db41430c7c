/** API: run views, listing and pagination, history and following it live, step logs, cancel, retry, signals, dead letters. */
import { describe, expect, it } from 'vitest';
import { useApi, yamlHeaders } from '../helpers/api.js';
import { query, waitFor } from '../helpers/engine.js';

const t = useApi('apiruns', { slots: 4, scheduler: true, config: { maxStepLogBytes: 64 } });

const register = async (text: string) => {
  const res = await t.call({ method: 'POST', url: '/v1/workflows', headers: yamlHeaders, payload: text });
  expect(res.status).toBeLessThan(300);
};
const start = async (workflow: string, input?: unknown) => {
  const res = await t.call({ method: 'POST', url: `/v1/workflows/${workflow}/runs`, payload: input === undefined ? {} : { input } });
  expect(res.status).toBe(201);
  return res.body.id as string;
};
const finished = (id: string) =>
  waitFor(async () => {
    const r = await t.call({ url: `/v1/runs/${id}` });
    return ['succeeded', 'failed', 'cancelled'].includes(r.body.status) ? r.body : null;
  });

const CHAIN = `name: chain
steps:
  a: { run: echo, with: { n: 1 } }
  b: { needs: [a], run: echo, with: { n: "\${{ steps.a.output.n + 1 }}" } }
output: "\${{ steps.b.output }}"
`;
const FLAKY = `name: flaky
steps:
  f:
    run: fail
    with: { error: Flaky, message: hiccup, untilAttempt: 2 }
    retry: { maxAttempts: 3, delay: 10ms }
`;
const DOOMED = `name: doomed
steps:
  d: { run: fail, with: { error: Broken, message: always }, retry: { maxAttempts: 2, delay: 10ms } }
`;
const WAITER = `name: waiter
start: hold
states:
  hold:
    wait: { signal: go, timeout: 1h }
    next: done
  done: { run: echo, with: { got: "\${{ states.hold.output }}" }, end: true }
`;

describe('run views', () => {
  it('GET /v1/runs/{id} returns the run with every step: status, attempt, output, error, times', async () => {
    await register(CHAIN);
    const id = await start('chain');
    const run = await finished(id);
    expect(run).toMatchObject({ id, workflow: 'chain', version: 1, status: 'succeeded', output: { n: 2 }, error: null });
    expect(run.steps).toHaveLength(2);
    for (const s of run.steps) {
      expect(s).toMatchObject({ status: 'succeeded', attempt: 1, error: null });
      expect(Date.parse(s.startedAt)).toBeLessThanOrEqual(Date.parse(s.finishedAt));
    }
    expect(run.steps[1].output).toEqual({ n: 2 });
    expect(Date.parse(run.finishedAt)).toBeGreaterThanOrEqual(Date.parse(run.createdAt));
    const missing = await t.call({ url: '/v1/runs/00000000-0000-4000-8000-000000000000' });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
    const malformed = await t.call({ url: '/v1/runs/not-a-uuid' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('invalid_request');
  });

  it('a failed step shows its error {name, message, attempt}', async () => {
    await register(DOOMED);
    const run = await finished(await start('doomed'));
    expect(run.status).toBe('failed');
    expect(run.steps[0]).toMatchObject({ key: 'd', status: 'dead', attempt: 2, error: { name: 'Broken', message: 'always' } });
  });
});

describe('GET /v1/runs', () => {
  it('lists newest first with filters, and pagination is stable while runs are inserted', async () => {
    await register('name: pager\nsteps:\n  a: { run: noop }\n');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await start('pager'));
    const page1 = await t.call({ url: '/v1/runs?workflow=pager&limit=2' });
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((r: { id: string }) => r.id)).toEqual([ids[4], ids[3]]);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    // New runs arrive between pages: they are newer than the cursor, so the next pages neither
    // repeat nor skip anything.
    for (let i = 0; i < 3; i++) await start('pager');
    const seen = [...page1.body.items.map((r: { id: string }) => r.id)];
    let cursor = page1.body.nextCursor as string | null;
    while (cursor) {
      const page = await t.call({ url: `/v1/runs?workflow=pager&limit=2&cursor=${encodeURIComponent(cursor)}` });
      seen.push(...page.body.items.map((r: { id: string }) => r.id));
      cursor = page.body.nextCursor;
    }
    expect(seen).toEqual([...ids].reverse());
    const all = await t.call({ url: '/v1/runs?workflow=pager&limit=500' });
    expect(all.body.items).toHaveLength(8);
    expect(all.body.nextCursor).toBeNull();
    await waitFor(async () => (await t.call({ url: '/v1/runs?workflow=pager&status=succeeded' })).body.items.length === 8);
    expect((await t.call({ url: '/v1/runs?workflow=pager&status=failed' })).body.items).toHaveLength(0);
  });

  it('rejects a bad cursor, status or limit with invalid_request naming the field', async () => {
    const cur = await t.call({ url: '/v1/runs?cursor=garbage' });
    expect(cur.status).toBe(400);
    expect(cur.body.error).toMatchObject({ code: 'invalid_request', details: { field: 'cursor' } });
    const st = await t.call({ url: '/v1/runs?status=exploded' });
    expect(st.status).toBe(400);
    expect(st.body.error.details[0]).toMatchObject({ in: 'querystring', field: 'status' });
    const lim = await t.call({ url: '/v1/runs?limit=501' });
    expect(lim.status).toBe(400);
    expect(lim.body.error.message).toContain('limit');
  });
});

describe('history', () => {
  it('GET /v1/runs/{id}/events is the ordered history; after= resumes', async () => {
    const id = await start('chain');
    await finished(id);
    const res = await t.call({ url: `/v1/runs/${id}/events` });
    expect(res.status).toBe(200);
    const types = res.body.items.map((e: { type: string }) => e.type);
    expect(types[0]).toBe('run.created');
    expect(types.at(-1)).toBe('run.succeeded');
    expect(types.indexOf('step.succeeded')).toBeGreaterThan(types.indexOf('step.running'));
    const ids = res.body.items.map((e: { id: string }) => BigInt(e.id));
    expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);
    expect(res.body.nextCursor).toBeNull();
    const rest = await t.call({ url: `/v1/runs/${id}/events?after=${res.body.items[2].id}` });
    expect(rest.body.items).toEqual(res.body.items.slice(3));
    // Paged: limit + nextCursor (passed as after) walk the same history.
    const paged: unknown[] = [];
    let after: string | null = null;
    do {
      const page: { body: { items: unknown[]; nextCursor: string | null } } = await t.call({
        url: `/v1/runs/${id}/events?limit=4${after ? `&after=${after}` : ''}`,
      });
      expect(page.body.items.length).toBeLessThanOrEqual(4);
      paged.push(...page.body.items);
      after = page.body.nextCursor;
    } while (after);
    expect(paged).toEqual(res.body.items);
  });

  it('follow=1 streams server-sent events live and ends with the run; Last-Event-ID resumes without repeats', async () => {
    await register(WAITER);
    const id = await start('waiter');
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`${address}/v1/runs/${id}/events?follow=1`, { headers: { accept: 'text/event-stream' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    };
    // The run is waiting for the signal: the stream is open and has delivered the history so far.
    await readUntil('event: step.waiting');
    expect(text).not.toContain('event: end');
    const sig = await t.call({ method: 'POST', url: `/v1/runs/${id}/signals/go`, payload: { payload: { ok: true } } });
    expect(sig.status).toBe(202);
    expect(sig.body).toEqual({ runId: id, signal: 'go', delivered: true });
    await readUntil('event: end');
    expect(text).toContain('event: run.succeeded');
    expect(text).toMatch(/event: end\ndata: \{"runId":"[^"]+","status":"succeeded"\}/);
    const messages = text.split('\n\n').filter((m) => m.startsWith('id: '));
    const eventIds = messages.map((m) => m.split('\n')[0]!.slice(4));
    expect(new Set(eventIds).size).toBe(eventIds.length);
    // Resume from the third event: exactly the rest, no repeats.
    const resumed = await t.call({ url: `/v1/runs/${id}/events?follow=1`, headers: { 'last-event-id': eventIds[2]! } });
    const resumedIds = resumed.text
      .split('\n\n')
      .filter((m) => m.startsWith('id: '))
      .map((m) => m.split('\n')[0]!.slice(4));
    expect(resumedIds).toEqual(eventIds.slice(3));
    const done = await t.call({ url: `/v1/runs/${id}` });
    expect(done.body.output).toEqual({ got: { ok: true } });
  });

  it('following an unknown run is a 404, not a stream', async () => {
    const res = await t.call({ url: '/v1/runs/00000000-0000-4000-8000-000000000001/events?follow=1' });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

describe('step logs', () => {
  it('serves what the task wrote, per attempt, as JSON or text; 404 for an unknown step', async () => {
    await register(FLAKY);
    const id = await start('flaky');
    expect((await finished(id)).status).toBe('succeeded');
    const logs = await t.call({ url: `/v1/runs/${id}/steps/f/logs` });
    expect(logs.status).toBe(200);
    expect(logs.body.items.map((l: { attempt: number; stream: string }) => [l.attempt, l.stream])).toEqual([
      [1, 'stderr'],
      [2, 'log'],
    ]);
    expect(logs.body.items[0].message).toBe('attempt 1: failing with Flaky: hiccup');
    const second = await t.call({ url: `/v1/runs/${id}/steps/f/logs?attempt=2` });
    expect(second.body.items).toHaveLength(1);
    const text = await t.call({ url: `/v1/runs/${id}/steps/f/logs`, headers: { accept: 'text/plain' } });
    expect(text.headers['content-type']).toContain('text/plain');
    expect(text.text).toContain('[1] stderr: attempt 1: failing with Flaky: hiccup\n');
    const paged = await t.call({ url: `/v1/runs/${id}/steps/f/logs?limit=1` });
    const next = await t.call({ url: `/v1/runs/${id}/steps/f/logs?limit=1&cursor=${paged.body.nextCursor}` });
    expect(next.body.items[0].attempt).toBe(2);
    expect(next.body.nextCursor).toBeNull();
    expect((await t.call({ url: `/v1/runs/${id}/steps/nope/logs` })).status).toBe(404);
  });

  it('caps an attempt’s log at maxStepLogBytes (64 in this file) with one marker line naming the limit', async () => {
    await register(`name: chatty
steps:
  short: { run: log, with: { message: "fits", stream: stdout } }
  long: { run: log, with: { message: "\${{ $pad('', 100, 'x') }}" } }
`);
    const id = await start('chatty');
    expect((await finished(id)).status).toBe('succeeded');
    const short = await t.call({ url: `/v1/runs/${id}/steps/short/logs` });
    expect(short.body.items).toMatchObject([{ stream: 'stdout', message: 'fits' }]);
    const long = await t.call({ url: `/v1/runs/${id}/steps/long/logs` });
    expect(long.body.items).toHaveLength(1);
    expect(long.body.items[0].message).toMatch(/more than 64 bytes.*OPENCLAW_MAX_STEP_LOG_BYTES/);
  });
});

describe('cancel, retry, signals', () => {
  it('cancel: 202 with the cancelled run; cancelling a finished run is 409 conflict', async () => {
    const id = await start('waiter');
    await waitFor(async () => (await t.call({ url: `/v1/runs/${id}` })).body.status === 'waiting');
    const res = await t.call({ method: 'POST', url: `/v1/runs/${id}/cancel` });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('cancelled');
    expect(res.body.steps[0].status).toBe('cancelled');
    const again = await t.call({ method: 'POST', url: `/v1/runs/${id}/cancel` });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'conflict', details: { status: 'cancelled' } });
    const sig = await t.call({ method: 'POST', url: `/v1/runs/${id}/signals/go`, payload: {} });
    expect(sig.status).toBe(409);
    expect((await t.call({ method: 'POST', url: '/v1/runs/00000000-0000-4000-8000-000000000002/cancel' })).status).toBe(404);
  });

  it('retry: a cancelled run runs again from where it stopped; retrying a running or succeeded run is 409', async () => {
    const id = await start('waiter');
    await waitFor(async () => (await t.call({ url: `/v1/runs/${id}` })).body.status === 'waiting');
    expect((await t.call({ method: 'POST', url: `/v1/runs/${id}/retry` })).status).toBe(409);
    await t.call({ method: 'POST', url: `/v1/runs/${id}/cancel` });
    const retried = await t.call({ method: 'POST', url: `/v1/runs/${id}/retry` });
    expect(retried.status).toBe(202);
    expect(['running', 'waiting']).toContain(retried.body.status);
    await t.call({ method: 'POST', url: `/v1/runs/${id}/signals/go`, payload: { payload: 7 } });
    const run = await finished(id);
    expect(run).toMatchObject({ status: 'succeeded', output: { got: 7 } });
    const again = await t.call({ method: 'POST', url: `/v1/runs/${id}/retry` });
    expect(again.status).toBe(409);
  });

  it('a signal with nobody waiting yet is buffered (delivered: false) and consumed later', async () => {
    await register(`name: late
start: first
states:
  first: { run: sleep, with: { ms: 300 }, next: hold }
  hold: { wait: { signal: go }, next: done }
  done: { run: echo, with: { got: "\${{ states.hold.output }}" }, end: true }
`);
    const id = await start('late');
    const sig = await t.call({ method: 'POST', url: `/v1/runs/${id}/signals/go`, payload: { payload: 'early' } });
    expect(sig.body.delivered).toBe(false);
    expect(await finished(id)).toMatchObject({ status: 'succeeded', output: { got: 'early' } });
  });
});

describe('dead letters', () => {
  it('lists dead-lettered steps with their errors and replays one with a fresh budget', async () => {
    const id = await start('doomed');
    await finished(id);
    const list = await t.call({ url: '/v1/dead-letters?workflow=doomed' });
    expect(list.status).toBe(200);
    const dl = list.body.items.find((d: { runId: string }) => d.runId === id);
    expect(dl).toMatchObject({ stepKey: 'd', workflow: 'doomed', attempts: 2, error: { name: 'Broken' }, replayedAt: null });
    expect(dl.errors).toHaveLength(2);
    const replay = await t.call({ method: 'POST', url: `/v1/dead-letters/${dl.id}/replay` });
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual({ runId: id, deadLetterId: dl.id });
    await waitFor(async () => (await query(t.engine, `SELECT 1 FROM openclaw.step WHERE run_id = $1 AND attempt = 4`, [id])).length === 1);
    const after = await t.call({ url: '/v1/dead-letters?workflow=doomed' });
    expect(after.body.items.find((d: { id: string }) => d.id === dl.id).replayedAt).toEqual(expect.any(String));
    expect((await t.call({ method: 'POST', url: '/v1/dead-letters/00000000-0000-4000-8000-000000000003/replay' })).status).toBe(404);
  });
});
