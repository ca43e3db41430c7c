/**
 * API and CLI: `GET /v1/schedules`, `GET /v1/schedules/{id}`, `POST /v1/schedules/{id}/pause|resume`,
 * and `openclaw schedules`, `openclaw schedule pause|resume|show` (the built CLI against a listening
 * app).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useApi, yamlHeaders } from '../helpers/api.js';
import { runCli } from '../helpers/cli.js';
import { query } from '../helpers/engine.js';

const t = useApi('apisched');

const register = (text: string) => t.call({ method: 'POST', url: '/v1/workflows', headers: yamlHeaders, payload: text });

beforeAll(async () => {
  await register(`
name: report
steps: { a: { run: noop } }
triggers:
  - cron: "0 6 * * 1-5"
    timezone: America/New_York
    catchUp: all
    input: { day: "\${{ schedule.date }}" }
  - cron: "0 0 1 * *"
`);
  await register('name: another\nsteps: { a: { run: noop } }\ntriggers:\n  - { cron: "*/30 * * * * *", catchUp: none }\n');
});

describe('GET /v1/schedules', () => {
  it('lists every schedule by workflow, then trigger position, with its state and next fire', async () => {
    const res = await t.call({ url: '/v1/schedules' });
    expect(res.status).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.items.map((s: { workflow: string; triggerIndex: number }) => [s.workflow, s.triggerIndex])).toEqual([
      ['another', 0],
      ['report', 0],
      ['report', 1],
    ]);
    const report = res.body.items[1];
    expect(report).toMatchObject({
      workflow: 'report',
      cron: '0 6 * * 1-5',
      timezone: 'America/New_York',
      catchUp: 'all',
      input: { day: '${{ schedule.date }}' },
      paused: false,
      pausedAt: null,
      archived: false,
      lastFireAt: null,
      lastRunId: null,
      lastError: null,
      skippedTicks: 0,
      lastSkip: null,
    });
    expect(report.id).toMatch(/^[0-9a-f-]{36}$/);
    // 06:00 in New York is 10:00 or 11:00 UTC, on a weekday.
    const next = new Date(report.nextFireAt);
    expect([10, 11]).toContain(next.getUTCHours());
    expect(next.getTime()).toBeGreaterThan(Date.now() - 5_000);
    expect(res.body.items[2]).toMatchObject({ cron: '0 0 1 * *', timezone: 'UTC', catchUp: 'latest' });
  });

  it('filters by workflow and pages with an opaque cursor', async () => {
    const only = await t.call({ url: '/v1/schedules?workflow=report' });
    expect(only.body.items).toHaveLength(2);
    const first = await t.call({ url: '/v1/schedules?limit=2' });
    expect(first.body.items).toHaveLength(2);
    const second = await t.call({ url: `/v1/schedules?limit=2&cursor=${first.body.nextCursor}` });
    expect(second.body.items.map((s: { workflow: string }) => s.workflow)).toEqual(['report']);
    expect(second.body.nextCursor).toBeNull();
    const bad = await t.call({ url: '/v1/schedules?cursor=nonsense' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
  });
});

describe('POST /v1/schedules/{id}/pause and /resume', () => {
  it('pause stops the schedule (no next fire); resume starts again from the first tick after now', async () => {
    const [row] = await query<{ id: string }>(t.engine, `SELECT id FROM openclaw.schedule WHERE workflow = 'another'`);
    const paused = await t.call({ method: 'POST', url: `/v1/schedules/${row!.id}/pause` });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ id: row!.id, paused: true, nextFireAt: null });
    expect(typeof paused.body.pausedAt).toBe('string');
    expect((await t.call({ url: `/v1/schedules/${row!.id}` })).body).toEqual(paused.body);

    const resumed = await t.call({ method: 'POST', url: `/v1/schedules/${row!.id}/resume` });
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ paused: false, pausedAt: null });
    const next = new Date(resumed.body.nextFireAt).getTime();
    expect(next % 30_000).toBe(0);
    expect(next).toBeGreaterThan(Date.now() - 5_000);
  });

  it('answers 404 for an unknown schedule and 400 for an id that is not a UUID', async () => {
    const missing = await t.call({ method: 'POST', url: '/v1/schedules/00000000-0000-4000-8000-000000000000/pause' });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
    expect((await t.call({ method: 'POST', url: '/v1/schedules/nope/resume' })).status).toBe(400);
    expect((await t.call({ url: '/v1/schedules/00000000-0000-4000-8000-000000000000' })).status).toBe(404);
  });

  it('shows an archived workflow’s schedules as archived, without a next fire', async () => {
    await register('name: gone\nsteps: { a: { run: noop } }\ntriggers:\n  - { cron: "0 0 * * *" }\n');
    expect((await t.call({ method: 'DELETE', url: '/v1/workflows/gone' })).status).toBe(204);
    const [s] = (await t.call({ url: '/v1/schedules?workflow=gone' })).body.items;
    expect(s).toMatchObject({ archived: true, paused: false, nextFireAt: null });
    await register('name: gone\nsteps: { a: { run: noop } }\ntriggers:\n  - { cron: "0 0 * * *" }\n');
    const [back] = (await t.call({ url: '/v1/schedules?workflow=gone' })).body.items;
    expect(back).toMatchObject({ id: s.id, archived: false });
    expect(back.nextFireAt).not.toBeNull();
  });
});

describe('the CLI', () => {
  let url: string;
  beforeAll(async () => {
    url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await t.app.close();
  });
  const cli = (...args: string[]) => runCli([...args, '--url', url]);

  it('openclaw schedules lists them; schedule pause / resume / show act on one', { timeout: 60_000 }, async () => {
    const list = await cli('schedules', '--workflow', 'report');
    expect(list.code, list.stderr).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+WORKFLOW\s+CRON\s+TIMEZONE\s+CATCH-UP\s+STATE\s+NEXT FIRE\s+LAST FIRE$/);
    expect(lines[1]).toMatch(/report\s+0 6 \* \* 1-5\s+America\/New_York\s+all\s+active\s+\d{4}-\d\d-\d\d /);
    const id = lines[1]!.split(/\s+/)[0]!;

    const paused = await cli('schedule', 'pause', id);
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout.trim()).toBe(`schedule ${id} (report, 0 6 * * 1-5) is paused`);
    const json = await cli('schedules', '--workflow', 'report', '--json');
    expect(JSON.parse(json.stdout).items[0]).toMatchObject({ id, paused: true, nextFireAt: null });

    const resumed = await cli('schedule', 'resume', id);
    expect(resumed.stdout).toMatch(new RegExp(`^schedule ${id} \\(report, 0 6 \\* \\* 1-5\\) is active; next fire \\d{4}-`));
    const shown = await cli('schedule', 'show', id, '--json');
    expect(JSON.parse(shown.stdout)).toMatchObject({ id, paused: false, catchUp: 'all' });
    const text = await cli('schedule', 'show', id);
    expect(text.stdout).toMatch(/^id: +[0-9a-f-]{36}\nworkflow: +report\ncron: +0 6 \* \* 1-5 \(America\/New_York\)\n/);

    const missing = await cli('schedule', 'pause', '00000000-0000-4000-8000-000000000000');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not found/);
  });
});
