/**
 * Cron schedules against PostgreSQL: registration keeps one row per cron trigger in step with the
 * latest spec, archive and pause stop them, and the firing pass (engine/triggers/cron-fire.ts,
 * called directly here with schedules made due by SQL) fires each tick once — fire row, run,
 * next fire in one transaction — applies the catch-up policy and the workflow's onOverlap.
 * Real-time firing by scheduler processes that are killed and restarted is in
 * test/recovery/cron.test.ts.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../engine/index.js';
import { fireDueSchedules } from '../../engine/triggers/cron-fire.js';
import { nextFireAfter, ticksAfter, zonedTime } from '../../engine/triggers/cron.js';
import { query, testEngine, useEngine, waitFor, waitForRun } from '../helpers/engine.js';
import { engineCore } from '../../engine/engine.js';

const t = useEngine('sched');

interface Row {
  id: string;
  workflow: string;
  trigger_index: number;
  cron: string;
  timezone: string;
  catch_up: string;
  input: unknown;
  paused: boolean;
  next_fire_at: Date | null;
  last_fire_at: Date | null;
  last_run_id: string | null;
  last_error: { fireAt: string; name: string; message: string } | null;
  skipped_ticks: string;
  last_skip: { count: number; exact: boolean; from: string; to: string; at: string; reason: string } | null;
  updated_at: Date;
}
interface Fire {
  fire_at: Date;
  run_id: string | null;
  error: { name: string; message: string } | null;
  created_at: Date;
}

const schedules = (workflow: string): Promise<Row[]> =>
  query<Row>(t.engine, 'SELECT * FROM openclaw.schedule WHERE workflow = $1 ORDER BY trigger_index', [workflow]);
const one = async (workflow: string): Promise<Row> => {
  const rows = await schedules(workflow);
  expect(rows).toHaveLength(1);
  return rows[0]!;
};
const fires = (scheduleId: string): Promise<Fire[]> =>
  query<Fire>(t.engine, 'SELECT fire_at, run_id, error, created_at FROM openclaw.schedule_fire WHERE schedule_id = $1 ORDER BY fire_at', [
    scheduleId,
  ]);
const dbNow = async (): Promise<Date> => (await query<{ now: Date }>(t.engine, 'SELECT now() AS now'))[0]!.now;
/** Makes a schedule due: its next fire becomes `sql` (an expression over now()). */
const dueAt = (id: string, sql: string): Promise<unknown> =>
  query(t.engine, `UPDATE openclaw.schedule SET next_fire_at = ${sql} WHERE id = $1`, [id]);
const fire = (engine: Engine = t.engine) => fireDueSchedules(engineCore(engine));

// Per-second schedules left active would fire in later tests' passes.
afterEach(async () => {
  await query(t.engine, 'UPDATE openclaw.schedule SET paused = true, next_fire_at = NULL');
});

describe('registration keeps the schedules in step with the spec', () => {
  it('one row per cron trigger, next fire from the database clock; the same content again changes nothing', async () => {
    const spec = `
name: reg
steps: { a: { run: noop } }
triggers:
  - cron: "0 2 * * *"
    timezone: Europe/Berlin
    catchUp: all
    input: { day: "\${{ schedule.date }}" }
  - webhook: { name: gh }
  - cron: "*/10 * * * * *"
`;
    const before = await dbNow();
    await t.engine.registerWorkflow(spec);
    const rows = await schedules('reg');
    expect(rows.map((r) => [r.trigger_index, r.cron, r.timezone, r.catch_up, r.input, r.paused])).toEqual([
      [0, '0 2 * * *', 'Europe/Berlin', 'all', { day: '${{ schedule.date }}' }, false],
      [2, '*/10 * * * * *', 'UTC', 'latest', null, false],
    ]);
    const daily = rows[0]!;
    // The first tick after the registration transaction's now(): 02:00 Berlin, within a day.
    expect(daily.next_fire_at!.getTime()).toBeGreaterThan(before.getTime());
    expect(daily.next_fire_at).toEqual(nextFireAfter({ cron: '0 2 * * *', timezone: 'Europe/Berlin' }, before));
    expect(rows[1]!.next_fire_at!.getTime() % 10_000).toBe(0);

    await t.engine.registerWorkflow(spec);
    expect(await schedules('reg')).toEqual(rows);

    // A workflow whose schedules are missing (registered before they existed) gets them back by
    // registering the same content again.
    await query(t.engine, `DELETE FROM openclaw.schedule WHERE workflow = 'reg'`);
    await t.engine.registerWorkflow(spec);
    expect((await schedules('reg')).map((r) => [r.trigger_index, r.cron])).toEqual([
      [0, '0 2 * * *'],
      [2, '*/10 * * * * *'],
    ]);
  });

  it('a new version: a changed expression recomputes the next fire, other changes keep it (and the id), a removed trigger is deleted', async () => {
    const v = (cron: string, catchUp: string, extra = ''): string =>
      `name: edit\nsteps: { a: { run: noop } }\ntriggers:\n${extra}  - { cron: "${cron}", catchUp: ${catchUp} }\n  - { cron: "0 0 1 1 *" }\n`;
    await t.engine.registerWorkflow(v('0 3 * * *', 'none'));
    const [first, yearly] = await schedules('edit');
    await t.engine.registerWorkflow(v('0 3 * * *', 'all'));
    const [sameCron] = await schedules('edit');
    expect(sameCron).toMatchObject({ id: first!.id, catch_up: 'all', next_fire_at: first!.next_fire_at });

    // A webhook trigger inserted in front: the cron triggers move down the list but keep their rows.
    await t.engine.registerWorkflow(v('0 3 * * *', 'all', '  - { webhook: { name: gh } }\n'));
    const moved = await schedules('edit');
    expect(moved.map((r) => [r.id, r.trigger_index])).toEqual([
      [first!.id, 1],
      [yearly!.id, 2],
    ]);

    const now = await dbNow();
    await t.engine.registerWorkflow(v('30 4 * * *', 'all', '  - { webhook: { name: gh } }\n'));
    const [changed] = await schedules('edit');
    expect(changed).toMatchObject({ id: first!.id, cron: '30 4 * * *' });
    expect(changed!.next_fire_at!.getUTCHours()).toBe(4);
    expect(changed!.next_fire_at!.getTime()).toBeGreaterThan(now.getTime());

    await t.engine.registerWorkflow('name: edit\nsteps: { a: { run: noop } }\ntriggers:\n  - { cron: "0 0 1 1 *" }\n');
    expect((await schedules('edit')).map((r) => [r.id, r.trigger_index])).toEqual([[yearly!.id, 0]]);
    await t.engine.registerWorkflow('name: edit\nsteps: { a: { run: noop } }\n');
    expect(await schedules('edit')).toEqual([]);
  });

  it('archiving stops the schedules; registering again resumes them from now (archived time is not made up)', async () => {
    const spec = 'name: arch\nsteps: { a: { run: noop } }\ntriggers:\n  - { cron: "0 0 * * *", catchUp: all }\n';
    await t.engine.registerWorkflow(spec);
    const row = await one('arch');
    await dueAt(row.id, `date_trunc('day', now()) - interval '3 days'`);
    await t.engine.archiveWorkflow('arch');
    expect((await one('arch')).next_fire_at).toBeNull();
    expect((await fire()).fired).toBe(0);
    expect(await fires(row.id)).toEqual([]);
    expect((await t.engine.getSchedule(row.id)).archived).toBe(true);

    const now = await dbNow();
    await t.engine.registerWorkflow(spec); // the same content: the existing version comes back
    const resumed = await one('arch');
    expect(resumed.next_fire_at!.getTime()).toBeGreaterThan(now.getTime());
    expect((await fire()).fired).toBe(0);
    expect((await t.engine.getSchedule(row.id)).archived).toBe(false);
  });

  it('pause stops a schedule until resume; resume starts from the first tick after now', async () => {
    await t.engine.registerWorkflow('name: pz\nsteps: { a: { run: noop } }\ntriggers:\n  - { cron: "* * * * * *", catchUp: all }\n');
    const row = await one('pz');
    const paused = await t.engine.pauseSchedule(row.id);
    expect(paused).toMatchObject({ id: row.id, paused: true, nextFireAt: null });
    expect(paused.pausedAt).toBeInstanceOf(Date);
    expect(await t.engine.pauseSchedule(row.id)).toMatchObject({ paused: true, pausedAt: paused.pausedAt }); // idempotent
    await new Promise((r) => setTimeout(r, 1200));
    expect((await fire()).fired).toBe(0);

    const now = await dbNow();
    const resumed = await t.engine.resumeSchedule(row.id);
    expect(resumed).toMatchObject({ paused: false, pausedAt: null });
    expect(resumed.nextFireAt!.getTime()).toBeGreaterThan(now.getTime());
    expect(resumed.nextFireAt!.getTime() - now.getTime()).toBeLessThanOrEqual(1000);
    expect(await fires(row.id)).toEqual([]); // nothing fired for the paused second(s), catchUp all or not
    await expect(t.engine.pauseSchedule('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('firing a tick', () => {
  it('inserts the fire row, starts the run (trigger, idempotency key, input from the tick) and moves the next fire, in one transaction', async () => {
    await t.engine.registerWorkflow(`
name: nightly
inputs: { type: object, required: [day, at], properties: { day: { type: string }, at: { type: string } } }
steps: { a: { run: echo, with: { day: "\${{ inputs.day }}" } } }
triggers:
  - cron: "0 0 * * *"
    input: { day: "\${{ schedule.date }}", at: "\${{ tick }}", local: "\${{ schedule.localTime }}" }
`);
    const row = await one('nightly');
    await dueAt(row.id, `date_trunc('day', now())`);
    const report = await fire();
    expect(report).toMatchObject({ schedules: 1, fired: 1, failed: 0 });
    const [f, ...more] = await fires(row.id);
    expect(more).toEqual([]);
    const day = f!.fire_at.toISOString().slice(0, 10);
    expect(f!.fire_at.toISOString()).toBe(`${day}T00:00:00.000Z`);
    const run = await t.engine.queries.getRun(f!.run_id!);
    expect(run.trigger).toEqual({ type: 'cron', scheduleId: row.id, fireAt: f!.fire_at.toISOString() });
    expect(run.idempotencyKey).toBe(`cron:${row.id}:${f!.fire_at.toISOString()}`);
    expect(run.input).toEqual({ day, at: f!.fire_at.toISOString(), local: `${day}T00:00:00+00:00` });
    expect(run.status).toBe('running');
    const after = await one('nightly');
    expect(after).toMatchObject({ last_fire_at: f!.fire_at, last_run_id: run.id, last_error: null, skipped_ticks: '0' });
    expect(after.next_fire_at!.getTime()).toBe(f!.fire_at.getTime() + 86_400_000);
    // The fire row and the run were written by the same transaction (same now()).
    const [created] = await query<{ created_at: Date }>(t.engine, 'SELECT created_at FROM openclaw.run WHERE id = $1', [run.id]);
    expect(created!.created_at).toEqual(f!.created_at);

    expect((await fire()).fired).toBe(0);
    expect(await fires(row.id)).toHaveLength(1);
    await t.engine.cancelRun(run.id);
  });

  it('fires each tick once when several schedulers pass at the same time', async () => {
    const other = await testEngine(t.db);
    try {
      for (let i = 0; i < 10; i++)
        await t.engine.registerWorkflow(
          `name: race-${i}\nsteps: { a: { run: noop } }\ntriggers:\n  - { cron: "0 0 * * *", catchUp: all }\n`,
        );
      const ids = (await query<{ id: string }>(t.engine, `SELECT id FROM openclaw.schedule WHERE workflow LIKE 'race-%'`)).map((r) => r.id);
      // Three days due for each: 30 ticks.
      await query(t.engine, `UPDATE openclaw.schedule SET next_fire_at = date_trunc('day', now()) - interval '2 days' WHERE id = ANY($1)`, [
        ids,
      ]);
      const reports = await Promise.all([fire(), fire(other), fire(), fire(other), fire()]);
      expect(reports.reduce((a, r) => a + r.fired, 0)).toBe(30);
      const [counts] = await query<{ fires: number; runs: number; keys: number; linked: number }>(
        t.engine,
        `SELECT (SELECT count(*)::int FROM openclaw.schedule_fire WHERE schedule_id = ANY($1)) AS fires,
                (SELECT count(*)::int FROM openclaw.run WHERE trigger->>'scheduleId' = ANY($1::text[])) AS runs,
                (SELECT count(DISTINCT idempotency_key)::int FROM openclaw.run WHERE trigger->>'scheduleId' = ANY($1::text[])) AS keys,
                (SELECT count(*)::int FROM openclaw.schedule_fire f JOIN openclaw.run r ON r.id = f.run_id
                  WHERE f.schedule_id = ANY($1) AND r.trigger->>'fireAt' = to_char(f.fire_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) AS linked`,
        [ids],
      );
      expect(counts).toEqual({ fires: 30, runs: 30, keys: 30, linked: 30 });
    } finally {
      await other.close();
    }
  });

  it('a tick that already has a fire row is not fired again', async () => {
    await t.engine.registerWorkflow('name: dup\nsteps: { a: { run: noop } }\ntriggers:\n  - { cron: "0 0 * * *" }\n');
    const row = await one('dup');
    await dueAt(row.id, `date_trunc('day', now())`);
    await query(t.engine, `INSERT INTO openclaw.schedule_fire (schedule_id, fire_at) VALUES ($1, date_trunc('day', now()))`, [row.id]);
    expect(await fire()).toMatchObject({ schedules: 1, fired: 0 });
    expect((await fires(row.id)).map((f) => f.run_id)).toEqual([null]);
    expect(await query(t.engine, `SELECT 1 FROM openclaw.run WHERE workflow = 'dup'`)).toEqual([]);
    expect((await one('dup')).next_fire_at!.getTime()).toBeGreaterThan((await dbNow()).getTime());
  });

  it('a tick whose input cannot become a run is recorded with its error and not retried; the next good tick clears it', async () => {
    const spec = (input: string): string => `
name: bad-input
inputs: { type: object, required: [n], properties: { n: { type: number } } }
steps: { a: { run: noop } }
triggers:
  - { cron: "0 0 * * *", input: ${input} }
`;
    await t.engine.registerWorkflow(spec('{ n: "${{ $error(\'no report today\') }}" }'));
    const row = await one('bad-input');
    await dueAt(row.id, `date_trunc('day', now())`);
    expect(await fire()).toMatchObject({ fired: 0, failed: 1 });
    const [f] = await fires(row.id);
    expect(f).toMatchObject({ run_id: null, error: { name: 'ExpressionError' } });
    expect(f!.error!.message).toMatch(/^\/triggers\/0\/input\/n: .*no report today/);
    const after = await one('bad-input');
    expect(after.last_error).toMatchObject({ fireAt: f!.fire_at.toISOString(), name: 'ExpressionError' });
    expect(after.next_fire_at!.getTime()).toBeGreaterThan(f!.fire_at.getTime());
    expect((await fire()).failed).toBe(0); // not retried

    // Input that the workflow's inputs schema rejects: invalid_input, no run.
    await t.engine.registerWorkflow(spec('{ n: "not a number" }'));
    await dueAt(row.id, `date_trunc('day', now()) - interval '1 day'`);
    await query(t.engine, 'DELETE FROM openclaw.schedule_fire WHERE schedule_id = $1', [row.id]);
    expect(await fire()).toMatchObject({ fired: 0, failed: 1 });
    expect((await one('bad-input')).last_error).toMatchObject({ name: 'invalid_input' });
    expect(await query(t.engine, `SELECT 1 FROM openclaw.run WHERE workflow = 'bad-input'`)).toEqual([]);

    await t.engine.registerWorkflow(spec('{ n: 7 }'));
    await query(t.engine, 'DELETE FROM openclaw.schedule_fire WHERE schedule_id = $1', [row.id]);
    await dueAt(row.id, `date_trunc('day', now())`);
    expect(await fire()).toMatchObject({ fired: 1, failed: 0 });
    const good = await one('bad-input');
    expect(good.last_error).toBeNull();
    expect((await t.engine.queries.getRun(good.last_run_id!)).input).toEqual({ n: 7 });
  });
});

describe('a scheduler frozen inside its firing transaction', () => {
  it('holds its schedules only until PostgreSQL ends its idle transaction (after leaderStaleMs); then another pass fires them', async () => {
    await t.engine.registerWorkflow('name: frozen\nsteps: { a: { run: noop } }\ntriggers:\n  - { cron: "0 0 * * *" }\n');
    const row = await one('frozen');
    await dueAt(row.id, `date_trunc('day', now())`);
    // What fireBatch does first, then a freeze: the row stays locked by an idle transaction.
    const frozen = new pg.Client({ connectionString: t.db.url });
    const ended = new Promise<Error>((resolve) => frozen.on('error', resolve));
    await frozen.connect();
    try {
      await frozen.query('BEGIN');
      await frozen.query(`SELECT set_config('idle_in_transaction_session_timeout', $1, true)`, ['1000']);
      await frozen.query('SELECT id FROM openclaw.schedule WHERE id = $1 FOR NO KEY UPDATE SKIP LOCKED', [row.id]);
      expect((await fire()).fired).toBe(0); // skipped: locked
      expect((await ended).message).toMatch(/idle-in-transaction timeout/);
      expect((await fire()).fired).toBe(1);
    } finally {
      await frozen.end().catch(() => undefined);
    }
  });
});

describe('catch-up after downtime (grace 0, at most 5 ticks at once)', () => {
  let strict: Engine;
  beforeAll(async () => {
    strict = await testEngine(t.db, { cronGraceMs: 0, cronMaxCatchUp: 5 });
  });
  afterAll(async () => {
    await strict?.close();
  });

  /** Registers a per-second schedule with `catchUp`, makes 20 s of ticks due, runs one pass. */
  async function downtime(catchUp: string): Promise<{ row: Row; fired: Fire[]; due: number }> {
    const name = `cu-${catchUp}`;
    await t.engine.registerWorkflow(
      `name: ${name}\nsteps: { a: { run: noop } }\ntriggers:\n  - { cron: "* * * * * *", catchUp: ${catchUp} }\n`,
    );
    const { id } = await one(name);
    await dueAt(id, `date_trunc('second', now()) - interval '20 seconds'`);
    const [{ start }] = (await query<{ start: Date }>(t.engine, 'SELECT next_fire_at AS start FROM openclaw.schedule WHERE id = $1', [
      id,
    ])) as [{ start: Date }];
    await fireDueSchedules(engineCore(strict));
    const row = await one(name);
    const at = new Date(row.last_skip?.at ?? (await fires(id))[0]!.created_at);
    const due = Math.floor((at.getTime() - start.getTime()) / 1000) + 1; // ticks in [start, pass time]
    return { row, fired: await fires(id), due };
  }
  const contiguous = (fs: Fire[]): void => {
    for (let i = 1; i < fs.length; i++) expect(fs[i]!.fire_at.getTime() - fs[i - 1]!.fire_at.getTime()).toBe(1000);
  };

  it('none: the missed ticks are skipped and counted', async () => {
    const { row, fired, due } = await downtime('none');
    expect(fired).toEqual([]);
    expect(Number(row.skipped_ticks)).toBe(due);
    expect(row.last_skip).toMatchObject({ count: due, exact: true, reason: 'missed while no scheduler ran (catchUp: none)' });
  });

  it('latest: only the most recent missed tick fires', async () => {
    const { row, fired, due } = await downtime('latest');
    expect(fired).toHaveLength(1);
    expect(fired[0]!.fire_at.getTime()).toBe(Math.floor(fired[0]!.created_at.getTime() / 1000) * 1000);
    expect(Number(row.skipped_ticks)).toBe(due - 1);
    expect(row.last_run_id).toBe(fired[0]!.run_id);
  });

  it('all: every missed tick up to the bound (the most recent 5, oldest first); the older ones are skipped and reported', async () => {
    const { row, fired, due } = await downtime('all');
    expect(fired).toHaveLength(5);
    contiguous(fired);
    expect(fired[4]!.fire_at.getTime()).toBe(Math.floor(fired[4]!.created_at.getTime() / 1000) * 1000);
    expect(fired.every((f) => f.run_id !== null)).toBe(true);
    expect(Number(row.skipped_ticks)).toBe(due - 5);
    expect(row.last_skip).toMatchObject({ count: due - 5, reason: expect.stringMatching(/more than 5 ticks .*OPENCLAW_CRON_MAX_CATCHUP/) });
    expect(new Date(row.last_skip!.to).getTime()).toBe(fired[0]!.fire_at.getTime() - 1000);
  });
});

describe('overlap: the workflow’s concurrency.onOverlap applies to cron runs', () => {
  for (const [onOverlap, second] of [
    ['skip', 'cancelled'],
    ['queue', 'queued'],
  ] as const) {
    it(`${onOverlap}: a tick while the previous run is still going makes a ${second} run`, async () => {
      const name = `ov-${onOverlap}`;
      await t.engine.registerWorkflow(
        `name: ${name}\nconcurrency: { limit: 1, onOverlap: ${onOverlap} }\nsteps: { a: { run: sleep, with: { ms: 60000 } } }\ntriggers:\n  - { cron: "0 0 * * *", catchUp: all }\n`,
      );
      const row = await one(name);
      await dueAt(row.id, `date_trunc('day', now()) - interval '1 day'`); // two ticks: yesterday and today
      expect((await fire()).fired).toBe(2);
      const runs = await query<{ id: string; status: string; error: { name: string } | null; fire: string }>(
        t.engine,
        `SELECT id, status, error, trigger->>'fireAt' AS fire FROM openclaw.run WHERE workflow = $1 ORDER BY trigger->>'fireAt'`,
        [name],
      );
      expect(runs.map((r) => r.status)).toEqual(['running', second]);
      if (onOverlap === 'skip') expect(runs[1]!.error).toMatchObject({ name: 'ConcurrencySkipped' });
      for (const r of runs) await t.engine.cancelRun(r.id).catch(() => undefined);
    });
  }
});

describe('the scheduler fires in real time', () => {
  it('an every-second schedule fires each second once, from the scheduler loop', { timeout: 30_000 }, async () => {
    await t.engine.registerWorkflow('name: live\nsteps: { a: { run: noop } }\ntriggers:\n  - { cron: "* * * * * *" }\n');
    const row = await one('live');
    const scheduler = t.engine.createScheduler();
    scheduler.start();
    try {
      await waitFor(async () => (await fires(row.id)).length >= 4, 15_000, 100);
    } finally {
      await scheduler.stop();
    }
    await t.engine.pauseSchedule(row.id);
    const fs = await fires(row.id);
    for (let i = 1; i < fs.length; i++) expect(fs[i]!.fire_at.getTime() - fs[i - 1]!.fire_at.getTime()).toBe(1000);
    expect(fs.every((f) => f.run_id !== null && f.error === null)).toBe(true);
    const lateness = fs.map((f) => f.created_at.getTime() - f.fire_at.getTime());
    console.log(`[cron] in-process scheduler, every-second schedule: lateness of ${fs.length} fires (ms): ${lateness.join(', ')}`);
  });
});

describe('the nightly-report example', () => {
  it('its most recent tick starts the report of the day before, with the tick’s local date as input', { timeout: 30_000 }, async () => {
    await t.engine.registerWorkflow(readFileSync(new URL('../../workflows/nightly-report.yaml', import.meta.url), 'utf8'));
    const row = await one('nightly-report');
    expect(row).toMatchObject({ cron: '30 2 * * *', timezone: 'Europe/Berlin', catch_up: 'latest' });
    const now = await dbNow();
    const latest = ticksAfter({ cron: '30 2 * * *', timezone: 'Europe/Berlin' }, new Date(now.getTime() - 3 * 86_400_000), 4)
      .filter((d) => d <= now)
      .pop()!;
    await query(t.engine, 'UPDATE openclaw.schedule SET next_fire_at = $2 WHERE id = $1', [row.id, latest]);
    expect(await fire()).toMatchObject({ fired: 1 });
    const [f] = await fires(row.id);
    const worker = t.engine.createWorker({ slots: 2 });
    await worker.start();
    try {
      const run = await waitForRun(t.engine, f!.run_id!);
      const day = zonedTime(latest, 'Europe/Berlin').date;
      expect(run.input).toEqual({ day, firedAt: latest.toISOString() });
      const before = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
      expect(run).toMatchObject({ status: 'succeeded', output: { day: before, orders: 3, revenue: 230 } });
    } finally {
      await worker.stop();
    }
  });
});
