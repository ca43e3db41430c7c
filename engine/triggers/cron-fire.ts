/**
 * Firing cron ticks, done by the scheduler leader (scheduler.ts) from the database clock.
 *
 * One transaction per batch of due schedules:
 *
 * 1. one statement finds and locks the due schedules: `next_fire_at <= now()`, not paused,
 *    `FOR NO KEY UPDATE SKIP LOCKED` (two schedulers acting at once split the work, never share it);
 * 2. the ticks to fire are planned from `now()` (cron.ts: catch-up policy, grace, bound);
 * 3. one statement inserts every `(schedule_id, fire_at)` under schedule_fire's primary key; only
 *    the rows it actually inserted go on, so a tick that has a row already is never fired again;
 * 4. per inserted tick, the trigger's `input` is evaluated (`tick`, `schedule` in scope) and the run
 *    is created in the same transaction (createRunInTx: idempotency key
 *    `cron:<schedule id>:<fire ISO>`, trigger `{type: 'cron', scheduleId, fireAt}`, the workflow's
 *    `concurrency.onOverlap` applied);
 * 5. one statement records each tick's run (or error) and one moves every schedule's
 *    `next_fire_at` past `now()`; COMMIT.
 *
 * All of it commits or none of it does, so a crash at any point leaves a tick either wholly fired
 * or still due: a tick fires exactly once across restarts and any number of schedulers.
 *
 * A tick whose input cannot become a run (expression error, input rejected by the workflow's
 * `inputs` schema, workflow gone) is recorded with its error and counts as fired: it is not retried
 * every second forever. An unexpected failure rolls the batch back; its schedules are then tried
 * one transaction each, and one that still fails has its ticks recorded with the error.
 */
import { toErrorInfo } from '../errors.js';
import type { EngineCore } from '../core/engine-core.js';
import type { TransitionTx } from '../core/transition-tx.js';
import { tryCreateRunInTx } from '../runs/create-run.js';
import { notifyReady, withTransitionTx } from '../runs/driver.js';
import { evaluateTemplate } from '../spec/expressions.js';
import { planTicks, tickScope, type CatchUp, type TickPlan } from './cron.js';

export interface CronPassReport {
  /** Due schedules handled. */
  schedules: number;
  /** Ticks that started a run. */
  fired: number;
  /** Ticks recorded with an error instead of a run. */
  failed: number;
  /** Due ticks skipped by a catch-up policy or the bound. */
  skipped: number;
  /** Milliseconds until the next tick of any active schedule (database clock); null when none. */
  nextDueMs: number | null;
}

interface DueRow {
  id: string;
  namespace: string;
  workflow: string;
  trigger_index: number;
  cron: string;
  timezone: string;
  catch_up: CatchUp;
  input: unknown;
  next_fire_at: Date;
  now: Date;
}

interface FireResult {
  scheduleId: string;
  fireAt: Date;
  runId: string | null;
  error: { name: string; message: string } | null;
}

interface BatchResult {
  /** Rows locked (some may be left for the next batch when the fire budget ran out). */
  locked: number;
  handled: number;
  fired: number;
  failed: number;
  skipped: number;
  readied: number;
}

/** The identity of a tick: its run's idempotency key. */
export function cronIdempotencyKey(scheduleId: string, fireAt: Date): string {
  return `cron:${scheduleId}:${fireAt.toISOString()}`;
}

const DEFAULT_BATCH = 200;
/** Runs one batch transaction creates at most (the rest of its locked schedules wait for the next batch). */
const FIRE_BUDGET = 1000;
/** Batches one pass runs at most before letting the scheduler's other work go on. */
const MAX_BATCHES = 20;

function skipNote(row: DueRow, plan: TickPlan, max: number): Record<string, unknown> {
  const bounded = row.catch_up === 'all' || plan.fire.length >= max;
  return {
    count: plan.skipped,
    exact: plan.skippedExact,
    from: plan.skippedFrom?.toISOString() ?? null,
    to: plan.skippedTo?.toISOString() ?? null,
    at: row.now.toISOString(),
    reason: bounded
      ? `more than ${max} ticks were due at once (OPENCLAW_CRON_MAX_CATCHUP); the oldest were skipped`
      : `missed while no scheduler ran (catchUp: ${row.catch_up})`,
  };
}

/**
 * One batch transaction. With `ids`, only those schedules (the one-by-one retry); with `failWith`,
 * no run is started: every planned tick is recorded with that error (the last resort for a
 * schedule whose ticks keep failing unexpectedly).
 */
async function fireBatch(
  core: EngineCore,
  opts: { limit: number; ids?: string[]; failWith?: { name: string; message: string } },
): Promise<BatchResult> {
  const { value: result, readied } = await withTransitionTx(
    core,
    async (tx) => {
      const client = tx.client;
      // A process frozen inside this transaction (SIGSTOP, a stuck event loop) would keep its
      // schedules locked, and SKIP LOCKED would make every other scheduler pass them by: PostgreSQL
      // ends such a session once it idles in the transaction for as long as a frozen leader is tolerated.
      await client.query(`SELECT set_config('idle_in_transaction_session_timeout', $1, true)`, [
        String(Math.max(1000, Math.round(core.config.leaderStaleMs))),
      ]);
      const { rows } = await client.query<DueRow>(
        `SELECT id, namespace, workflow, trigger_index, cron, timezone, catch_up, input, next_fire_at, now() AS now
         FROM openclaw.schedule
        WHERE next_fire_at <= now() AND NOT paused AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[]))
        ORDER BY next_fire_at
        LIMIT $1
        FOR NO KEY UPDATE SKIP LOCKED`,
        [opts.limit, opts.ids ?? null],
      );
      const result: BatchResult = { locked: rows.length, handled: 0, fired: 0, failed: 0, skipped: 0, readied: 0 };
      if (rows.length === 0) return result;
      const { cronGraceMs: graceMs, cronMaxCatchUp: max } = core.config;

      // Plan every schedule (within the fire budget), then claim all its ticks in one statement.
      const plans: Array<{ row: DueRow; plan: TickPlan }> = [];
      let budget = 0;
      for (const row of rows) {
        if (plans.length > 0 && budget >= FIRE_BUDGET) break;
        const plan = planTicks({
          cron: row.cron,
          timezone: row.timezone,
          seed: row.id,
          catchUp: row.catch_up,
          nextFireAt: row.next_fire_at,
          now: row.now,
          graceMs,
          maxCatchUp: max,
        });
        budget += plan.fire.length;
        plans.push({ row, plan });
      }
      const claimed = new Set<string>();
      const ticks = plans.flatMap(({ row, plan }) => plan.fire.map((t) => ({ id: row.id, t })));
      if (ticks.length > 0) {
        const ins = await client.query<{ schedule_id: string; fire_at: Date }>(
          `INSERT INTO openclaw.schedule_fire (schedule_id, fire_at)
         SELECT * FROM unnest($1::uuid[], $2::timestamptz[])
         ON CONFLICT DO NOTHING
         RETURNING schedule_id, fire_at`,
          [ticks.map((x) => x.id), ticks.map((x) => x.t)],
        );
        for (const r of ins.rows) claimed.add(`${r.schedule_id}|${r.fire_at.getTime()}`);
      }

      const fires: FireResult[] = [];
      const updates: Array<{ row: DueRow; plan: TickPlan; last: FireResult | null }> = [];
      for (const { row, plan } of plans) {
        let last: FireResult | null = null;
        for (const fireAt of plan.fire) {
          if (!claimed.has(`${row.id}|${fireAt.getTime()}`)) {
            core.log.warn({ scheduleId: row.id, fireAt }, 'cron tick already has a fire row; not fired again');
            continue;
          }
          const fire: FireResult = { scheduleId: row.id, fireAt, runId: null, error: opts.failWith ?? null };
          if (!opts.failWith) await startTickRun(tx, row, fire);
          fires.push(fire);
          last = fire;
          if (fire.error) result.failed++;
          else result.fired++;
          tx.metrics.cronTick(fire.error ? 'failed' : 'fired', (row.now.getTime() - fireAt.getTime()) / 1000);
        }
        if (plan.skipped > 0) {
          result.skipped += plan.skipped;
          tx.metrics.cronSkipped(plan.skipped);
          core.log.warn(
            {
              scheduleId: row.id,
              workflow: row.workflow,
              catchUp: row.catch_up,
              skipped: plan.skipped,
              from: plan.skippedFrom,
              to: plan.skippedTo,
            },
            'cron ticks skipped',
          );
        }
        updates.push({ row, plan, last });
      }

      if (fires.length > 0) {
        await client.query(
          `UPDATE openclaw.schedule_fire f SET run_id = v.run_id, error = v.error
           FROM unnest($1::uuid[], $2::timestamptz[], $3::uuid[], $4::jsonb[]) AS v(schedule_id, fire_at, run_id, error)
          WHERE f.schedule_id = v.schedule_id AND f.fire_at = v.fire_at`,
          [fires.map((f) => f.scheduleId), fires.map((f) => f.fireAt), fires.map((f) => f.runId), fires.map((f) => errorJson(f))],
        );
      }
      await client.query(
        `UPDATE openclaw.schedule s
          SET next_fire_at = v.next_fire_at,
              last_fire_at = CASE WHEN v.fired THEN v.last_fire_at ELSE s.last_fire_at END,
              last_run_id = CASE WHEN v.fired THEN v.last_run_id ELSE s.last_run_id END,
              last_error = CASE WHEN v.fired THEN v.last_error ELSE s.last_error END,
              skipped_ticks = s.skipped_ticks + v.skipped,
              last_skip = coalesce(v.last_skip, s.last_skip)
         FROM unnest($1::uuid[], $2::timestamptz[], $3::boolean[], $4::timestamptz[], $5::uuid[], $6::jsonb[], $7::bigint[], $8::jsonb[])
              AS v(id, next_fire_at, fired, last_fire_at, last_run_id, last_error, skipped, last_skip)
        WHERE s.id = v.id`,
        [
          updates.map((u) => u.row.id),
          updates.map((u) => u.plan.next),
          updates.map((u) => u.last !== null),
          updates.map((u) => u.last?.fireAt ?? null),
          updates.map((u) => u.last?.runId ?? null),
          updates.map((u) => (u.last ? errorJson(u.last) : null)),
          updates.map((u) => u.plan.skipped),
          updates.map((u) => (u.plan.skipped > 0 ? JSON.stringify(skipNote(u.row, u.plan, max)) : null)),
        ],
      );
      result.handled = updates.length;
      return result;
    },
    { notify: false },
  );
  result.readied = readied;
  return result;
}

function errorJson(f: FireResult): string | null {
  return f.error ? JSON.stringify({ fireAt: f.fireAt.toISOString(), ...f.error }) : null;
}

/**
 * Evaluates the tick's input and creates its run in the batch transaction. Failures that happen
 * before anything is written (the input expression; the checks createRunInTx makes before its
 * first write: workflow, version, input size and schema) are recorded on the tick. Anything else
 * propagates and rolls the batch back: no half-created run is ever committed.
 */
async function startTickRun(tx: TransitionTx, row: DueRow, fire: FireResult): Promise<void> {
  let input: unknown;
  try {
    input =
      row.input === null || row.input === undefined
        ? undefined
        : await evaluateTemplate(
            row.input,
            tickScope({ id: row.id, workflow: row.workflow, cron: row.cron, timezone: row.timezone, catchUp: row.catch_up }, fire.fireAt),
            { field: `/triggers/${row.trigger_index}/input`, timeoutMs: tx.core.config.expressionTimeoutMs },
          );
  } catch (err) {
    fire.error = { name: toErrorInfo(err).name, message: (err as Error).message };
    tx.core.log.warn({ scheduleId: row.id, fireAt: fire.fireAt, err }, 'cron tick input failed; tick recorded with its error');
    return;
  }
  const res = await tryCreateRunInTx(tx, {
    namespace: row.namespace,
    workflow: row.workflow,
    ...(input === undefined ? {} : { input }),
    idempotencyKey: cronIdempotencyKey(row.id, fire.fireAt),
    trigger: { type: 'cron', scheduleId: row.id, fireAt: fire.fireAt.toISOString() },
  });
  if ('refused' in res) {
    const err = res.refused;
    fire.error = { name: err.code, message: err.message };
    tx.core.log.warn({ scheduleId: row.id, fireAt: fire.fireAt, err }, 'cron tick could not start a run; tick recorded with its error');
    return;
  }
  fire.runId = res.created.runId;
  tx.core.log.debug({ scheduleId: row.id, fireAt: fire.fireAt, runId: res.created.runId, status: res.created.status }, 'cron tick fired');
}

/**
 * Fires every due tick (batches of `limit` schedules), then reports when the next one is due.
 * Called by the scheduler leader each tick and again at the next due time between ticks.
 */
export async function fireDueSchedules(core: EngineCore, opts: { limit?: number } = {}): Promise<CronPassReport> {
  const limit = opts.limit ?? DEFAULT_BATCH;
  const report: CronPassReport = { schedules: 0, fired: 0, failed: 0, skipped: 0, nextDueMs: null };
  let readied = 0;
  const add = (r: BatchResult): void => {
    report.schedules += r.handled;
    report.fired += r.fired;
    report.failed += r.failed;
    report.skipped += r.skipped;
    readied += r.readied;
  };
  try {
    for (let i = 0; i < MAX_BATCHES; i++) {
      let batch: BatchResult;
      try {
        batch = await fireBatch(core, { limit });
      } catch (err) {
        core.log.error({ err }, 'cron batch failed; retrying its schedules one by one');
        await fireOneByOne(core, limit, add);
        break;
      }
      add(batch);
      if (batch.locked < limit && batch.handled === batch.locked) break;
    }
  } finally {
    await notifyReady(core, readied);
  }
  const { rows } = await core.pool.query<{ ms: number | null }>(
    `SELECT extract(epoch FROM min(next_fire_at) - clock_timestamp()) * 1000 AS ms
       FROM openclaw.schedule WHERE next_fire_at > now() AND NOT paused`,
  );
  const ms = rows[0]?.ms;
  report.nextDueMs = ms === null || ms === undefined ? null : Math.max(0, Number(ms));
  return report;
}

/** After a failed batch: each due schedule in its own transaction; one that fails again has its ticks recorded with the error. */
async function fireOneByOne(core: EngineCore, limit: number, add: (r: BatchResult) => void): Promise<void> {
  const { rows } = await core.pool.query<{ id: string }>(
    `SELECT id FROM openclaw.schedule WHERE next_fire_at <= now() AND NOT paused ORDER BY next_fire_at LIMIT $1`,
    [limit],
  );
  for (const { id } of rows) {
    try {
      add(await fireBatch(core, { limit: 1, ids: [id] }));
    } catch (err) {
      core.log.error({ err, scheduleId: id }, 'cron tick failed; recording the error on its ticks');
      const info = toErrorInfo(err);
      try {
        add(await fireBatch(core, { limit: 1, ids: [id], failWith: { name: info.name, message: info.message } }));
      } catch (again) {
        core.log.error({ err: again, scheduleId: id }, 'could not record the cron tick failure; the tick stays due');
      }
    }
  }
}
