/**
 * `GET /v1/stats`: per namespace, the queue (steps ready or retrying and due now, and how long the
 * oldest of them has waited, by the database clock), the running steps and the active runs by
 * status. One statement, bounded: each part reads at most `scanLimit` rows, each through a partial
 * index, and none reads beyond the active work (finished runs and steps are never touched; see
 * docs/operations.md, "The worker fleet", for the plan and measured cost):
 *
 * - `active`: the active runs (`run_active_idx`: queued, running, waiting) with their namespace
 *   and status, materialized once; limited to the caller's namespaces;
 * - `due`: due steps in due order (`step_ready_idx`, the claim's index), oldest first, so the
 *   oldest age of every namespace seen is exact even when the scan is cut;
 * - `busy`: running steps (a partial index on `status = 'running'`).
 *
 * Steps carry no namespace: they take it from their run by a hash join with `active` (a queued or
 * running step always belongs to an active run), never by a lookup per step into the whole run
 * table. When a part reaches `scanLimit`, `truncated` is true and the counts are lower bounds.
 */
import type { EngineCore } from '../core/engine-core.js';
import { ACTIVE_RUN_STATUSES, SQL, type RunStatus } from '../vocabulary/statuses.js';
import type { NamespaceGrant } from '../vocabulary/roles.js';

/** Rows each part of the statement reads at most. */
export const STATS_SCAN_LIMIT = 100_000;

export interface NamespaceStats {
  namespace: string;
  /** Steps ready or retrying whose `available_at` has passed: what workers could claim now. */
  queueDepth: number;
  /** Seconds the oldest due step has waited (database clock); null when none is due. */
  oldestReadySeconds: number | null;
  runningSteps: number;
  activeRuns: Record<(typeof ACTIVE_RUN_STATUSES)[number], number>;
}

export interface QueueStats {
  /** The database time the figures are for. */
  at: string;
  namespaces: NamespaceStats[];
  /** A part of the statement reached `scanLimit` rows: the counts are lower bounds. */
  truncated: boolean;
  scanLimit: number;
}

interface Row {
  namespace: string | null;
  kind: 'run' | 'due' | 'running' | 'active';
  status: string | null;
  n: number;
  oldest: number | null;
  at: Date;
}

/**
 * The statement: `$1` the scan limit, `$2` the namespaces (null: all). Steps of runs that are not
 * in `active` (another namespace) come out with a null namespace; they count towards the scan only.
 */
export const QUEUE_STATS_SQL = `WITH active AS MATERIALIZED (
       SELECT id, namespace, status FROM openclaw.run
        WHERE status IN (${SQL.activeRun}) AND ($2::text[] IS NULL OR namespace = ANY($2::text[]))
        LIMIT $1
     ), due AS (
       SELECT run_id, available_at FROM openclaw.step
        WHERE status IN (${SQL.claimableStep}) AND available_at <= now()
        ORDER BY available_at, id
        LIMIT $1
     ), busy AS (
       SELECT run_id FROM openclaw.step WHERE status = 'running' LIMIT $1
     )
     SELECT namespace, 'run' AS kind, status, count(*)::int AS n, NULL::float8 AS oldest, now() AS at FROM active GROUP BY namespace, status
     UNION ALL
     SELECT a.namespace, 'due', NULL, count(*)::int, GREATEST(0, extract(epoch FROM now() - min(d.available_at)))::float8, now()
       FROM due d LEFT JOIN active a ON a.id = d.run_id GROUP BY a.namespace
     UNION ALL
     SELECT a.namespace, 'running', NULL, count(*)::int, NULL, now() FROM busy b LEFT JOIN active a ON a.id = b.run_id GROUP BY a.namespace
     UNION ALL
     SELECT NULL, 'active', NULL, (SELECT count(*) FROM active)::int, NULL, now()`;

/**
 * The figures for `namespaces`: with `*`, every namespace that has an active run; with a list,
 * exactly those (zeros included). Sorted by namespace.
 */
export async function queueStats(core: EngineCore, namespaces: NamespaceGrant = '*', scanLimit = STATS_SCAN_LIMIT): Promise<QueueStats> {
  const { rows } = await core.pool.query<Row>(QUEUE_STATS_SQL, [scanLimit, namespaces === '*' ? null : [...namespaces]]);
  const byNamespace = new Map<string, NamespaceStats>();
  const entry = (ns: string): NamespaceStats => {
    let s = byNamespace.get(ns);
    if (!s) {
      s = { namespace: ns, queueDepth: 0, oldestReadySeconds: null, runningSteps: 0, activeRuns: { queued: 0, running: 0, waiting: 0 } };
      byNamespace.set(ns, s);
    }
    return s;
  };
  if (namespaces !== '*') for (const ns of namespaces) entry(ns);
  const scanned = { active: 0, due: 0, running: 0 };
  for (const r of rows) {
    if (r.kind === 'active') scanned.active = r.n;
    else if (r.kind !== 'run') scanned[r.kind] += r.n;
    if (r.namespace === null) continue;
    const s = entry(r.namespace);
    if (r.kind === 'run') s.activeRuns[r.status as Extract<RunStatus, 'queued' | 'running' | 'waiting'>] = r.n;
    else if (r.kind === 'due') {
      s.queueDepth = r.n;
      s.oldestReadySeconds = r.oldest === null ? null : Math.round(r.oldest * 1000) / 1000;
    } else s.runningSteps = r.n;
  }
  return {
    at: (rows[0]?.at ?? new Date()).toISOString(),
    namespaces: [...byNamespace.values()].sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0)),
    truncated: scanned.active >= scanLimit || scanned.due >= scanLimit || scanned.running >= scanLimit,
    scanLimit,
  };
}
