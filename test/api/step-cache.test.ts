/** The step cache through the API (docs/caching.md): a step's `cached`, the history, and a run started with `{"cache": "refresh"}`. */
import { describe, expect, it } from 'vitest';
import { useApi, yamlHeaders } from '../helpers/api.js';
import { waitForRun } from '../helpers/engine.js';

const t = useApi('api-step-cache', { slots: 2 });

const spec = `
name: cached-api
steps:
  compute:
    run: echo
    with: { day: "\${{ inputs.day }}" }
    cache: { ttl: 1h }
  after: { needs: [compute], run: noop }
`;

async function start(body: unknown): Promise<string> {
  const res = await t.call({ method: 'POST', url: '/v1/workflows/cached-api/runs', payload: body as object });
  expect(res.status).toBe(201);
  await waitForRun(t.engine, res.body.id);
  return res.body.id as string;
}

const computeOf = async (id: string) =>
  (await t.call({ method: 'GET', url: `/v1/runs/${id}` })).body.steps.find((s: { key: string }) => s.key === 'compute');

describe('step caching over the API', () => {
  it('shows a step served from the cache, its step.cached event, and refreshes on {"cache": "refresh"}', async () => {
    expect((await t.call({ method: 'POST', url: '/v1/workflows', headers: yamlHeaders, payload: spec })).status).toBe(201);
    const first = await start({ input: { day: '2026-01-01' } });
    expect((await computeOf(first)).cached).toBeNull();

    const second = await start({ input: { day: '2026-01-01' } });
    const served = await computeOf(second);
    expect(served).toMatchObject({ status: 'succeeded', output: { day: '2026-01-01' }, cached: { runId: first, stepKey: 'compute' } });
    expect(Date.parse(served.cached.at)).not.toBeNaN();
    const events = (await t.call({ method: 'GET', url: `/v1/runs/${second}/events` })).body.items;
    expect(events.filter((e: { type: string }) => e.type === 'step.cached')).toEqual([
      expect.objectContaining({ stepKey: 'compute', data: served.cached }),
    ]);

    const refreshed = await start({ input: { day: '2026-01-01' }, cache: 'refresh' });
    expect((await computeOf(refreshed)).cached).toBeNull();
    const third = await start({ input: { day: '2026-01-01' } });
    expect((await computeOf(third)).cached).toMatchObject({ runId: refreshed });
  });

  it('refuses an unknown cache mode, naming the field', async () => {
    const res = await t.call({ method: 'POST', url: '/v1/workflows/cached-api/runs', payload: { cache: 'off' } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('cache');
  });
});
