import { describe, expect, it } from 'vitest';
import { query } from '../helpers/engine.js';
import { useApi } from '../helpers/api.js';

// Above 4 KiB a run input goes to the artifact store, above 128 KiB it is refused; other bodies stop at 64 KiB.
const MAX = 128 * 1024;
const t = useApi('apilargejson', { config: { inlineJsonBytes: 4 * 1024, maxJsonBytes: MAX }, app: { bodyLimit: 64 * 1024 } });

const rows = (n: number): Array<{ i: number; name: string; pad: string }> =>
  Array.from({ length: n }, (_, i) => ({ i, name: `row-${i}`, pad: 'x'.repeat(20) }));

const start = (payload: unknown) =>
  t.call({
    method: 'POST',
    url: '/v1/workflows/takes-input/runs',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(payload),
  });

describe('large run inputs over the API', () => {
  it('accepts a run input above OPENCLAW_MAX_BODY_BYTES up to OPENCLAW_MAX_JSON_BYTES and shows it whole', async () => {
    await t.engine.registerWorkflow('name: takes-input\nsteps:\n  a: { run: noop }\n');
    const input = { rows: rows(1500) }; // about 90 KB: over this app's 64 KiB body limit, under the 128 KiB JSON limit
    const res = await start({ input });
    expect(res.status).toBe(201);
    expect(res.body.input).toEqual(input);
    const run = await t.call({ method: 'GET', url: `/v1/runs/${res.body.id}` });
    expect(run.status).toBe(200);
    expect(run.body.input).toEqual(input);
    const [row] = await query<{ input: unknown }>(t.engine, 'SELECT input FROM openclaw.run WHERE id = $1', [res.body.id]);
    expect(row?.input).toMatchObject({ $openclaw: 'ref', key: expect.any(String) });
    // A list shows the reference (size and digest), not the value.
    const list = await t.call({ method: 'GET', url: '/v1/runs?workflow=takes-input' });
    expect(list.body.items[0].input).toEqual({ $openclaw: 'ref', size: JSON.stringify(input).length, sha256: expect.any(String) });
  });

  it('answers 413 payload_too_large naming OPENCLAW_MAX_JSON_BYTES for an input over it, and for a body over the route limit', async () => {
    const over = await start({ input: { rows: rows(3000) } }); // about 180 KB
    expect(over.status).toBe(413);
    expect(over.body.error.code).toBe('payload_too_large');
    expect(over.body.error.message).toContain(`over the limit maxJsonBytes=${MAX} (OPENCLAW_MAX_JSON_BYTES; raise it`);
    const huge = await start({ input: { blob: 'x'.repeat(MAX + 1024 * 1024 + 10) } });
    expect(huge.status).toBe(413);
    expect(huge.body.error).toMatchObject({ code: 'payload_too_large', details: { limit: MAX + 1024 * 1024 } });
    expect(huge.body.error.message).toContain('raise OPENCLAW_MAX_JSON_BYTES');
    expect(await query(t.engine, `SELECT count(*)::int AS n FROM openclaw.run WHERE workflow = 'takes-input'`)).toEqual([{ n: 1 }]);
    // Other routes keep OPENCLAW_MAX_BODY_BYTES.
    const signal = await t.call({
      method: 'POST',
      url: '/v1/runs/00000000-0000-0000-0000-000000000000/signals/go',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ payload: rows(1500) }),
    });
    expect(signal.status).toBe(413);
    expect(signal.body.error.message).toContain('OPENCLAW_MAX_BODY_BYTES');
  });
});
