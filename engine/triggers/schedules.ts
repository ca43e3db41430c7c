/**
 * Cron schedules in the database: kept in step with the latest spec when a workflow is registered
 * (one `openclaw.schedule` row per cron trigger), paused and resumed, listed. Firing is in
 * cron-fire.ts; the maths in cron.ts. Every time comes from the database clock (`now()`).
 *
 * `next_fire_at` is NULL exactly when a schedule cannot fire: paused, workflow archived, or an
 * expression with no further tick. Paused time is never made up (like Temporal): resuming, and
 * registering an archived workflow again, start from the first tick after now.
 */
import { randomUUID } from 'node:crypto';
import { keysetPage, tupleCursor, type Page } from '../db/keyset-page.js';
import type { Queryable } from '../db/pool.js';
import { withTx } from '../db/tx.js';
import { NotFoundError } from '../errors.js';
import type { EngineCore } from '../core/engine-core.js';
import { canonicalJson } from '../spec/content-hash.js';
import { CATCH_UP_POLICIES, DEFAULT_CATCH_UP, nextFireAfter, type CatchUp } from './cron.js';

/** A cron trigger of a spec, as the schedule row stores it. */
export interface CronTriggerDef {
  /** Position in the spec's `triggers:` list. */
  index: number;
  cron: string;
  timezone: string;
  catchUp: CatchUp;
  /** The `input` template, evaluated per tick (undefined: the run input is `{}`). */
  input: unknown;
}

/** The cron triggers of a compiled workflow's `triggers:` (which the compiler has validated). */
export function cronTriggersOf(triggers: unknown[]): CronTriggerDef[] {
  const out: CronTriggerDef[] = [];
  triggers.forEach((t, index) => {
    if (t === null || typeof t !== 'object') return;
    const o = t as Record<string, unknown>;
    if (typeof o.cron !== 'string') return;
    const catchUp = CATCH_UP_POLICIES.find((p) => p === o.catchUp) ?? DEFAULT_CATCH_UP;
    out.push({ index, cron: o.cron, timezone: typeof o.timezone === 'string' ? o.timezone : 'UTC', catchUp, input: o.input });
  });
  return out;
}

interface ExistingRow {
  id: string;
  trigger_index: number;
  cron: string;
  timezone: string;
  catch_up: string;
  input: unknown;
  paused: boolean;
  next_fire_at: Date | null;
}

async function dbNow(db: Queryable): Promise<Date> {
  const { rows } = await db.query<{ now: Date }>('SELECT now() AS now');
  return rows[0]!.now;
}

/**
 * Makes the schedules of workflow `name` match its latest spec's cron triggers, inside the
 * registration transaction (which holds the workflow row lock). A trigger keeps its row — id,
 * pause state and next fire — when its cron expression and time zone are unchanged, even if it
 * moved in the list; a changed expression or zone gets its next fire recomputed from now; a removed
 * trigger's row is deleted (with its fire history). Rows without a next fire that are not paused
 * (the workflow was archived) resume from now. Nothing is written when nothing changed, so
 * registering the same content again — which also syncs, creating the schedules of a workflow
 * registered before schedules existed — is free.
 */
export async function syncSchedules(db: Queryable, namespace: string, name: string, triggers: unknown[]): Promise<void> {
  const wanted = cronTriggersOf(triggers);
  const { rows: existing } = await db.query<ExistingRow>(
    `SELECT id, trigger_index, cron, timezone, catch_up, input, paused, next_fire_at FROM openclaw.schedule
      WHERE namespace = $1 AND workflow = $2 ORDER BY trigger_index FOR UPDATE`,
    [namespace, name],
  );
  if (wanted.length === 0 && existing.length === 0) return;
  // Match: same expression and zone (same position first), then whatever is left at the same position.
  const match = new Map<CronTriggerDef, ExistingRow>();
  const free = new Set(existing);
  const take = (def: CronTriggerDef, pick: (r: ExistingRow) => boolean): void => {
    if (match.has(def)) return;
    const row = [...free].find(pick);
    if (!row) return;
    free.delete(row);
    match.set(def, row);
  };
  const same = (d: CronTriggerDef, r: ExistingRow): boolean => r.cron === d.cron && r.timezone === d.timezone;
  for (const d of wanted) take(d, (r) => same(d, r) && r.trigger_index === d.index);
  for (const d of wanted) take(d, (r) => same(d, r));
  for (const d of wanted) take(d, (r) => r.trigger_index === d.index);

  if (free.size > 0) await db.query('DELETE FROM openclaw.schedule WHERE id = ANY($1::uuid[])', [[...free].map((r) => r.id)]);
  // Rows that change position move out of the way first: (namespace, workflow, trigger_index) is unique.
  const moving = [...match].filter(([d, r]) => d.index !== r.trigger_index).map(([, r]) => r.id);
  if (moving.length > 0)
    await db.query('UPDATE openclaw.schedule SET trigger_index = -1 - trigger_index WHERE id = ANY($1::uuid[])', [moving]);

  let now: Date | null = null;
  const clock = async (): Promise<Date> => (now ??= await dbNow(db));
  for (const d of wanted) {
    const row = match.get(d);
    const input = d.input === undefined ? null : JSON.stringify(d.input);
    if (!row) {
      const id = randomUUID();
      await db.query(
        `INSERT INTO openclaw.schedule (id, namespace, workflow, trigger_index, cron, timezone, catch_up, input, next_fire_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [id, namespace, name, d.index, d.cron, d.timezone, d.catchUp, input, nextFireAfter({ ...d, seed: id }, await clock())],
      );
      continue;
    }
    const recompute = !row.paused && (!same(d, row) || row.next_fire_at === null);
    const unchanged =
      !recompute && same(d, row) && row.trigger_index === d.index && row.catch_up === d.catchUp && sameJson(row.input, d.input);
    if (unchanged) continue;
    const next = recompute ? nextFireAfter({ ...d, seed: row.id }, await clock()) : row.next_fire_at;
    await db.query(
      `UPDATE openclaw.schedule
          SET trigger_index = $2, cron = $3, timezone = $4, catch_up = $5, input = $6, next_fire_at = $7,
              updated_at = CASE WHEN (cron, timezone, catch_up, trigger_index) IS DISTINCT FROM ($3, $4, $5, $2)
                                  OR input IS DISTINCT FROM $6::jsonb THEN now() ELSE updated_at END
        WHERE id = $1`,
      [row.id, d.index, d.cron, d.timezone, d.catchUp, input, next],
    );
  }
}

function sameJson(stored: unknown, wanted: unknown): boolean {
  const norm = (v: unknown): string => (v === undefined || v === null ? 'null' : canonicalJson(v));
  return norm(stored) === norm(wanted);
}

/** The `triggers:` of a stored version (its compiled graph), for re-syncing when older content is registered again. */
export async function versionTriggers(db: Queryable, namespace: string, name: string, version: number): Promise<unknown[]> {
  const { rows } = await db.query<{ triggers: unknown }>(
    `SELECT graph->'triggers' AS triggers FROM openclaw.workflow_version WHERE namespace = $1 AND name = $2 AND version = $3`,
    [namespace, name, version],
  );
  const t = rows[0]?.triggers;
  return Array.isArray(t) ? t : [];
}

/** Archiving a workflow stops its schedules (in the archiving statement's transaction). */
export const STOP_SCHEDULES_SQL = `UPDATE openclaw.schedule SET next_fire_at = NULL WHERE namespace = $1 AND workflow = $2`;

export interface ScheduleView {
  id: string;
  workflow: string;
  /** Position of the trigger in the spec's `triggers:` list. */
  triggerIndex: number;
  cron: string;
  timezone: string;
  catchUp: CatchUp;
  /** The `input` template (evaluated per tick). */
  input: unknown;
  paused: boolean;
  pausedAt: Date | null;
  /** The workflow is archived: the schedule does not fire until it is registered again. */
  archived: boolean;
  /** null while paused or archived. */
  nextFireAt: Date | null;
  lastFireAt: Date | null;
  lastRunId: string | null;
  lastError: unknown;
  skippedTicks: number;
  lastSkip: unknown;
  createdAt: Date;
  updatedAt: Date;
}

interface ScheduleRow {
  id: string;
  workflow: string;
  trigger_index: number;
  cron: string;
  timezone: string;
  catch_up: CatchUp;
  input: unknown;
  paused: boolean;
  paused_at: Date | null;
  archived: boolean;
  next_fire_at: Date | null;
  last_fire_at: Date | null;
  last_run_id: string | null;
  last_error: unknown;
  skipped_ticks: string;
  last_skip: unknown;
  created_at: Date;
  updated_at: Date;
}

const VIEW_SQL = `SELECT s.id, s.workflow, s.trigger_index, s.cron, s.timezone, s.catch_up, s.input, s.paused, s.paused_at,
       w.archived_at IS NOT NULL AS archived, s.next_fire_at, s.last_fire_at, s.last_run_id, s.last_error,
       s.skipped_ticks, s.last_skip, s.created_at, s.updated_at
  FROM openclaw.schedule s JOIN openclaw.workflow w ON w.namespace = s.namespace AND w.name = s.workflow`;

function toView(r: ScheduleRow): ScheduleView {
  return {
    id: r.id,
    workflow: r.workflow,
    triggerIndex: r.trigger_index,
    cron: r.cron,
    timezone: r.timezone,
    catchUp: r.catch_up,
    input: r.input,
    paused: r.paused,
    pausedAt: r.paused_at,
    archived: r.archived,
    nextFireAt: r.next_fire_at,
    lastFireAt: r.last_fire_at,
    lastRunId: r.last_run_id,
    lastError: r.last_error,
    skippedTicks: Number(r.skipped_ticks),
    lastSkip: r.last_skip,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function getSchedule(core: EngineCore, ns: string, id: string, db: Queryable = core.pool): Promise<ScheduleView> {
  if (!UUID_RE.test(id)) throw new NotFoundError('schedule', id);
  const { rows } = await db.query<ScheduleRow>(`${VIEW_SQL} WHERE s.namespace = $1 AND s.id = $2`, [ns, id]);
  const row = rows[0];
  if (!row) throw new NotFoundError('schedule', id);
  return toView(row);
}

export interface ListSchedulesOptions {
  workflow?: string;
  limit?: number;
  cursor?: string;
}

/** Schedules are listed by workflow name, then trigger position (unique in a namespace). */
const byWorkflowAndPosition = {
  format: tupleCursor('string', 'integer'),
  keyOf: (r: ScheduleRow): [string, number] => [r.workflow, r.trigger_index],
};

/** Schedules by workflow name, then trigger position; keyset pages with an opaque cursor. */
export async function listSchedules(core: EngineCore, ns: string, opts: ListSchedulesOptions = {}): Promise<Page<ScheduleView>> {
  const { items, nextCursor } = await keysetPage(opts, byWorkflowAndPosition, async (after, take) => {
    const { rows } = await core.pool.query<ScheduleRow>(
      `${VIEW_SQL}
        WHERE s.namespace = $1 AND ($2::text IS NULL OR s.workflow = $2)
          AND ($3::text IS NULL OR (s.workflow, s.trigger_index) > ($3::text, $4::int))
        ORDER BY s.workflow, s.trigger_index LIMIT $5`,
      [ns, opts.workflow ?? null, after?.[0] ?? null, after?.[1] ?? null, take],
    );
    return rows;
  });
  return { items: items.map(toView), nextCursor };
}

/** Pauses a schedule: no tick fires until it is resumed (idempotent). */
export async function pauseSchedule(core: EngineCore, ns: string, id: string): Promise<ScheduleView> {
  if (!UUID_RE.test(id)) throw new NotFoundError('schedule', id);
  return await withTx(core.pool, async (db) => {
    const { rowCount } = await db.query(
      `UPDATE openclaw.schedule SET paused = true, paused_at = coalesce(paused_at, now()), next_fire_at = NULL, updated_at = now()
        WHERE namespace = $1 AND id = $2`,
      [ns, id],
    );
    if (!rowCount) throw new NotFoundError('schedule', id);
    core.log.info({ scheduleId: id, namespace: ns }, 'schedule paused');
    return await getSchedule(core, ns, id, db);
  });
}

/**
 * Resumes a paused schedule from now: its next fire is the first tick after now, and the ticks
 * that passed while it was paused are not made up (whatever its catch-up policy). Resuming a
 * schedule that is not paused changes nothing. A schedule of an archived workflow stays stopped
 * until the workflow is registered again.
 */
export async function resumeSchedule(core: EngineCore, ns: string, id: string): Promise<ScheduleView> {
  if (!UUID_RE.test(id)) throw new NotFoundError('schedule', id);
  return await withTx(core.pool, async (db) => {
    const { rows } = await db.query<{ cron: string; timezone: string; paused: boolean; archived: boolean }>(
      `SELECT s.cron, s.timezone, s.paused, w.archived_at IS NOT NULL AS archived
         FROM openclaw.schedule s JOIN openclaw.workflow w ON w.namespace = s.namespace AND w.name = s.workflow
        WHERE s.namespace = $1 AND s.id = $2 FOR NO KEY UPDATE OF s`,
      [ns, id],
    );
    const row = rows[0];
    if (!row) throw new NotFoundError('schedule', id);
    if (row.paused) {
      const next = row.archived ? null : nextFireAfter({ cron: row.cron, timezone: row.timezone, seed: id }, await dbNow(db));
      await db.query(`UPDATE openclaw.schedule SET paused = false, paused_at = NULL, next_fire_at = $2, updated_at = now() WHERE id = $1`, [
        id,
        next,
      ]);
      core.log.info({ scheduleId: id, namespace: ns, nextFireAt: next }, 'schedule resumed');
    }
    return await getSchedule(core, ns, id, db);
  });
}
