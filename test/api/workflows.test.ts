/** API: registering, reading, listing and archiving workflows; starting runs (idempotency, input). */
import { describe, expect, it } from 'vitest';
import { useApi, yamlHeaders } from '../helpers/api.js';
import { query } from '../helpers/engine.js';

const t = useApi('apiwf', { app: { bodyLimit: 64 * 1024 } });

const spec = (name: string, extra = '') => `name: ${name}
inputs:
  type: object
  properties:
    amount: { type: number }
  required: [amount]
steps:
  a: { run: echo, with: { amount: "\${{ inputs.amount }}" } }${extra}
`;

const register = (text: string, headers: Record<string, string> = yamlHeaders) =>
  t.call({ method: 'POST', url: '/v1/workflows', headers, payload: text });

describe('POST /v1/workflows', () => {
  it('registers YAML: 201 for a new version, 200 for the same content, a new version for changed content', async () => {
    const first = await register(spec('reg'));
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ name: 'reg', version: 1, created: true });
    expect(first.headers.location).toBe('/v1/workflows/reg/versions/1');
    // Same content, different formatting: unchanged.
    const again = await register(`# a comment\n${spec('reg')}`, { 'content-type': 'text/yaml' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ name: 'reg', version: 1, created: false });
    const changed = await register(spec('reg', '\n  b: { needs: [a], run: noop }'));
    expect(changed.status).toBe(201);
    expect(changed.body.version).toBe(2);
    const rows = await query(t.engine, `SELECT version FROM openclaw.workflow_version WHERE name = 'reg' ORDER BY version`);
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
  });

  it('registers JSON, and reports JSON errors with line and column', async () => {
    const json = JSON.stringify({ name: 'regjson', steps: { a: { run: 'noop' } } }, null, 2);
    const ok = await register(json, { 'content-type': 'application/json' });
    expect(ok.status).toBe(201);
    expect(ok.body.name).toBe('regjson');
    const bad = JSON.stringify({ name: 'regjson2', steps: { a: { run: 'noop', needs: ['zz'] } } }, null, 2);
    const res = await register(bad, { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_spec');
    expect(res.body.error.details[0]).toMatchObject({ path: '/steps/a/needs/0', line: 7 });
  });

  it('rejects a bad spec with the path, line and column, and stores nothing', async () => {
    const res = await register('name: badspec\nsteps:\n  a: { run: noop }\n  b: { needs: [a], rn: echo }\n');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_spec');
    expect(res.body.error.message).toMatch(/line 4/);
    expect(res.body.error.details[0]).toMatchObject({ line: 4 });
    expect(res.body.error.details[0].column).toBeGreaterThan(0);
    const broken = await register('name: [unclosed\nsteps: {}\n');
    expect(broken.status).toBe(400);
    expect(broken.body.error.details[0].line).toBeGreaterThanOrEqual(1);
    expect(await query(t.engine, `SELECT 1 FROM openclaw.workflow WHERE name = 'badspec'`)).toHaveLength(0);
  });

  it('rejects an empty body, an unsupported media type and a body over the limit', async () => {
    const empty = await register('', yamlHeaders);
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe('invalid_spec');
    const text = await register(spec('plain'), { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe('unsupported_media_type');
    const huge = await register(`${spec('huge')}# ${'x'.repeat(70 * 1024)}\n`);
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');
    expect(huge.body.error.message).toMatch(/OPENCLAW_MAX_BODY_BYTES/);
  });
});

describe('reading and archiving workflows', () => {
  it('gets the latest version with its spec, one version, and 404s for unknown names and versions', async () => {
    await register(spec('readme'));
    await register(spec('readme', '\n  b: { needs: [a], run: noop }'));
    const latest = await t.call({ url: '/v1/workflows/readme' });
    expect(latest.status).toBe(200);
    expect(latest.body).toMatchObject({ name: 'readme', version: 2, latestVersion: 2, archived: false });
    expect(latest.body.spec.steps.b).toEqual({ needs: ['a'], run: 'noop' });
    expect(latest.body.specText).toContain('name: readme');
    const v1 = await t.call({ url: '/v1/workflows/readme/versions/1' });
    expect(v1.body.version).toBe(1);
    expect(v1.body.spec.steps.b).toBeUndefined();
    const missing = await t.call({ url: '/v1/workflows/nope' });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
    expect((await t.call({ url: '/v1/workflows/readme/versions/9' })).status).toBe(404);
    const zero = await t.call({ url: '/v1/workflows/readme/versions/0' });
    expect(zero.status).toBe(400);
    expect(zero.body.error).toMatchObject({ code: 'invalid_request', details: [{ in: 'params', field: 'version' }] });
  });

  it('lists workflows by name with cursor pagination', async () => {
    for (const n of ['lst-a', 'lst-b', 'lst-c']) await register(spec(n));
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: Array<{ name: string }>; nextCursor: string | null } } = await t.call({
        url: `/v1/workflows?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      names.push(...page.body.items.map((w) => w.name));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(names).toEqual([...names].sort());
    const first = await t.call({ url: '/v1/workflows?limit=500' });
    expect(first.body.items.find((w: { name: string }) => w.name === 'lst-a')).toMatchObject({
      latestVersion: 1,
      archived: false,
      description: null,
    });
    expect(names).toEqual(expect.arrayContaining(['lst-a', 'lst-b', 'lst-c']));
    expect(new Set(names).size).toBe(names.length);
  });

  it('DELETE archives: 204, no new runs (409), registering again restores it', async () => {
    await register(spec('arch'));
    const del = await t.call({ method: 'DELETE', url: '/v1/workflows/arch' });
    expect(del.status).toBe(204);
    expect((await t.call({ url: '/v1/workflows/arch' })).body.archived).toBe(true);
    const run = await t.call({ method: 'POST', url: '/v1/workflows/arch/runs', payload: { input: { amount: 1 } } });
    expect(run.status).toBe(409);
    expect(run.body.error.code).toBe('conflict');
    expect((await t.call({ method: 'DELETE', url: '/v1/workflows/never' })).status).toBe(404);
    await register(spec('arch'));
    expect((await t.call({ method: 'POST', url: '/v1/workflows/arch/runs', payload: { input: { amount: 1 } } })).status).toBe(201);
  });
});

describe('POST /v1/workflows/{name}/runs', () => {
  it('starts a run (201) with its steps; unknown workflow 404; input checked against inputs', async () => {
    await register(spec('startme'));
    const res = await t.call({ method: 'POST', url: '/v1/workflows/startme/runs', payload: { input: { amount: 5 } } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ workflow: 'startme', version: 1, input: { amount: 5 }, trigger: { type: 'api' } });
    expect(['running', 'queued']).toContain(res.body.status);
    expect(res.body.steps.map((s: { key: string }) => s.key)).toEqual(['a']);
    expect(res.headers.location).toBe(`/v1/runs/${res.body.id}`);
    const unknown = await t.call({ method: 'POST', url: '/v1/workflows/nothere/runs', payload: {} });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    const bad = await t.call({ method: 'POST', url: '/v1/workflows/startme/runs', payload: { input: { amount: 'five' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_input');
    expect(JSON.stringify(bad.body.error.details)).toContain('/input/amount');
    const missing = await t.call({ method: 'POST', url: '/v1/workflows/startme/runs', payload: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('invalid_input');
    const extra = await t.call({ method: 'POST', url: '/v1/workflows/startme/runs', payload: { input: { amount: 1 }, inptu: 1 } });
    expect(extra.status).toBe(400);
    expect(extra.body.error).toMatchObject({ code: 'invalid_request', details: [{ in: 'body', field: 'inptu' }] });
    const runs = await query(t.engine, `SELECT id FROM openclaw.run WHERE workflow = 'startme'`);
    expect(runs).toHaveLength(1);
  });

  it('pins a version when asked', async () => {
    await register(spec('pinned'));
    await register(spec('pinned', '\n  b: { needs: [a], run: noop }'));
    const res = await t.call({ method: 'POST', url: '/v1/workflows/pinned/runs', payload: { input: { amount: 1 }, version: 1 } });
    expect(res.status).toBe(201);
    expect(res.body.version).toBe(1);
    expect(res.body.steps).toHaveLength(1);
  });

  it('idempotency: header or body key; same input replays (200, same run), different input is 409, both differing is 400', async () => {
    await register(spec('idem'));
    const first = await t.call({
      method: 'POST',
      url: '/v1/workflows/idem/runs',
      headers: { 'idempotency-key': 'order-1' },
      payload: { input: { amount: 1 } },
    });
    expect(first.status).toBe(201);
    expect(first.body.idempotencyKey).toBe('order-1');
    const replay = await t.call({
      method: 'POST',
      url: '/v1/workflows/idem/runs',
      payload: { input: { amount: 1 }, idempotencyKey: 'order-1' },
    });
    expect(replay.status).toBe(200);
    expect(replay.body.id).toBe(first.body.id);
    const reused = await t.call({
      method: 'POST',
      url: '/v1/workflows/idem/runs',
      headers: { 'idempotency-key': 'order-1' },
      payload: { input: { amount: 2 } },
    });
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
    const both = await t.call({
      method: 'POST',
      url: '/v1/workflows/idem/runs',
      headers: { 'idempotency-key': 'a' },
      payload: { input: { amount: 1 }, idempotencyKey: 'b' },
    });
    expect(both.status).toBe(400);
    expect(both.body.error.code).toBe('invalid_request');
    expect(await query(t.engine, `SELECT id FROM openclaw.run WHERE workflow = 'idem'`)).toHaveLength(1);
  });
});
