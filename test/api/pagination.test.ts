/**
 * API: every paged list (runs, dead letters, workflows, schedules, secrets, a run's history, a step's logs;
 * skills page the same way, see test/wasm/registry.test.ts)
 * pages the same way: `limit` + the previous page's `nextCursor`, each row exactly once, null on
 * the last page, and 400 invalid_request for a cursor the list did not hand out.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateMasterKey } from '../../engine/index.js';
import { useApi, yamlHeaders } from '../helpers/api.js';
import { waitFor } from '../helpers/engine.js';

const t = useApi('apipages', { slots: 2, config: { secretKey: generateMasterKey() } });

const register = async (text: string) => {
  const res = await t.call({ method: 'POST', url: '/v1/workflows', headers: yamlHeaders, payload: text });
  expect(res.status).toBeLessThan(300);
};
const start = async (workflow: string) => {
  const res = await t.call({ method: 'POST', url: `/v1/workflows/${workflow}/runs`, payload: {} });
  expect(res.status).toBe(201);
  return res.body.id as string;
};
const status = async (id: string) => (await t.call({ url: `/v1/runs/${id}` })).body.status as string;

let doomed: string[] = [];
let chatty = '';

beforeAll(async () => {
  for (const n of ['pg-a', 'pg-b', 'pg-c']) {
    await register(`name: ${n}\nsteps: { a: { run: noop } }\ntriggers:\n  - cron: "0 0 1 1 *"\n  - cron: "0 0 2 1 *"\n`);
  }
  await register(
    'name: pg-doomed\nsteps:\n  d: { run: fail, with: { error: Broken, message: always }, retry: { maxAttempts: 2, delay: 10ms } }\n',
  );
  await register('name: pg-chatty\nsteps:\n  c: { run: echo, with: { n: 1 } }\n  d: { needs: [c], run: echo, with: { n: 2 } }\n');
  for (const name of ['PG_SECRET_A', 'PG_SECRET_B', 'PG_SECRET_C']) {
    const put = await t.call({ method: 'PUT', url: `/v1/secrets/${name}`, payload: { value: `value-of-${name}` } });
    expect(put.status, put.text).toBe(201);
  }
  doomed = [await start('pg-doomed'), await start('pg-doomed'), await start('pg-doomed')];
  chatty = await start('pg-chatty');
  await waitFor(async () => (await Promise.all([...doomed, chatty].map(status))).every((s) => s === 'failed' || s === 'succeeded'));
});

/** Walks a list one row at a time; returns every page's items. */
async function walk(url: string, key: (item: Record<string, unknown>) => unknown, cursorParam = 'cursor'): Promise<unknown[]> {
  const sep = url.includes('?') ? '&' : '?';
  const seen: unknown[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const res = await t.call({ url: `${url}${sep}limit=1${cursor ? `&${cursorParam}=${encodeURIComponent(cursor)}` : ''}` });
    expect(res.status, res.text).toBe(200);
    expect(res.body.items.length).toBeLessThanOrEqual(1);
    seen.push(...res.body.items.map(key));
    cursor = res.body.nextCursor;
    if (cursor === null) return seen;
  }
  throw new Error(`${url}: more than 100 pages`);
}

describe('every list', () => {
  const lists: Array<[string, (item: Record<string, unknown>) => unknown, string?]> = [
    ['/v1/runs', (r) => r.id],
    ['/v1/dead-letters', (d) => d.id],
    ['/v1/workflows', (w) => w.name],
    ['/v1/schedules', (s) => s.id],
    ['/v1/secrets', (s) => s.name],
  ];

  it.each(lists)('%s pages with limit + nextCursor, every row once, in the order of one big page', async (url, key) => {
    const paged = await walk(url, key);
    const whole = await t.call({ url: `${url}?limit=500` });
    expect(whole.body.nextCursor).toBeNull();
    expect(paged).toEqual(whole.body.items.map(key));
    expect(paged.length).toBeGreaterThanOrEqual(3);
  });

  it('a run’s history and a step’s logs page the same way (their cursor is an id)', async () => {
    const events = await walk(`/v1/runs/${chatty}/events`, (e) => e.id, 'after');
    const allEvents = await t.call({ url: `/v1/runs/${chatty}/events` });
    expect(events).toEqual(allEvents.body.items.map((e: { id: string }) => e.id));
    expect(events.length).toBeGreaterThan(3);
    const logs = await walk(`/v1/runs/${doomed[0]}/steps/d/logs`, (l) => l.id);
    const allLogs = await t.call({ url: `/v1/runs/${doomed[0]}/steps/d/logs` });
    expect(logs).toEqual(allLogs.body.items.map((l: { id: string }) => l.id));
    expect(logs).toHaveLength(2); // one line per attempt
  });

  it.each(lists)('%s refuses a cursor it did not hand out: 400 invalid_request naming the cursor', async (url) => {
    const forged = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const workflowsCursor = (await t.call({ url: '/v1/workflows?limit=1' })).body.nextCursor as string;
    const runsCursor = (await t.call({ url: '/v1/runs?limit=1' })).body.nextCursor as string;
    // Workflows and secrets are both keyed by name: a cursor of one is a valid position in the other.
    const foreign = url === '/v1/workflows' || url === '/v1/secrets' ? runsCursor : workflowsCursor;
    for (const cursor of ['garbage', forged(['yesterday', 'not-a-uuid']), forged([1, 2, 3]), forged({ t: 'x', id: 'y' }), foreign]) {
      const res = await t.call({ url: `${url}?cursor=${encodeURIComponent(cursor)}` });
      expect(res.status, `${url} cursor=${cursor}: ${res.text}`).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'invalid_request', details: { field: 'cursor' } });
    }
  });
});
