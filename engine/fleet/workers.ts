/**
 * The worker fleet as `GET /v1/workers` and `openclaw workers` show it. Workers are shared by every
 * namespace (a worker runs any namespace's steps), so the list is not namespaced.
 *
 * A worker's state is derived when the row is read, from the database clock (never a process's):
 * - `stopped`: its graceful stop finished (`stopped_at`);
 * - `stale`: no heartbeat within its heartbeat timeout, which is its own lease TTL (`lease_ttl_ms`,
 *   recorded at registration): its leases have expired too, e.g. the process was SIGKILLed, frozen
 *   or cut off from the database;
 * - `draining`: a graceful stop was requested; it claims nothing more and finishes (or hands back)
 *   the tasks it has, still heartbeating;
 * - `alive`: heartbeating and claiming.
 */
import type { EngineCore } from '../core/engine-core.js';
import { keysetPage, tupleCursor, type Page, type PageRequest } from '../db/keyset-page.js';

export const WORKER_STATES = ['alive', 'draining', 'stale', 'stopped'] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

/**
 * The state of a `openclaw.worker` row (alias-free: usable in SELECT and WHERE). Stopped wins over
 * stale (a stopped worker heartbeats no more), stale over draining (a worker killed mid-drain).
 */
export const WORKER_STATE_SQL = `CASE
    WHEN stopped_at IS NOT NULL THEN 'stopped'
    WHEN last_seen < now() - make_interval(secs => lease_ttl_ms / 1000.0) THEN 'stale'
    WHEN stop_requested_at IS NOT NULL THEN 'draining'
    ELSE 'alive' END`;

export interface ListWorkersOptions extends PageRequest {
  state?: WorkerState | undefined;
}

/** One worker as the API shows it. */
export interface WorkerView {
  /** `<host>:<pid>:<random>` unless the worker was given an id. */
  id: string;
  host: string | null;
  pid: number | null;
  /** The openclaw package version it runs. */
  version: string | null;
  slots: number;
  /** Slots running a task at its last heartbeat. */
  busySlots: number;
  state: WorkerState;
  startedAt: string;
  lastHeartbeatAt: string;
  /** Seconds from the last heartbeat to the database's now(). */
  secondsSinceHeartbeat: number;
  /** Its lease TTL: with no heartbeat for this long it is `stale`. */
  heartbeatTimeoutMs: number;
  stopRequestedAt: string | null;
  stoppedAt: string | null;
}

interface DbRow {
  id: string;
  hostname: string | null;
  pid: number | null;
  version: string | null;
  slots: number;
  busy_slots: number;
  state: WorkerState;
  started_at: Date;
  last_seen: Date;
  since_heartbeat: number;
  lease_ttl_ms: number;
  stop_requested_at: Date | null;
  stopped_at: Date | null;
}

const byId = { format: tupleCursor('string'), keyOf: (r: DbRow): [string] => [r.id] };

/** Workers by id (so a host's workers are listed together), with their state; `state` filters. */
export async function listWorkers(core: EngineCore, options: ListWorkersOptions = {}): Promise<Page<WorkerView>> {
  const page = await keysetPage(options, byId, async (after, take) => {
    const { rows } = await core.pool.query<DbRow>(
      `SELECT * FROM (
         SELECT id, hostname, pid, version, slots, busy_slots, ${WORKER_STATE_SQL} AS state, started_at, last_seen,
                GREATEST(0, extract(epoch FROM now() - last_seen))::float8 AS since_heartbeat,
                lease_ttl_ms, stop_requested_at, stopped_at
           FROM openclaw.worker
          WHERE $1::text IS NULL OR id > $1
       ) w
       WHERE $2::text IS NULL OR state = $2
       ORDER BY id
       LIMIT $3`,
      [after?.[0] ?? null, options.state ?? null, take],
    );
    return rows;
  });
  return {
    items: page.items.map((r) => ({
      id: r.id,
      host: r.hostname,
      pid: r.pid,
      version: r.version,
      slots: r.slots,
      busySlots: r.state === 'stopped' ? 0 : r.busy_slots,
      state: r.state,
      startedAt: r.started_at.toISOString(),
      lastHeartbeatAt: r.last_seen.toISOString(),
      secondsSinceHeartbeat: Math.round(r.since_heartbeat * 1000) / 1000,
      heartbeatTimeoutMs: r.lease_ttl_ms,
      stopRequestedAt: r.stop_requested_at?.toISOString() ?? null,
      stoppedAt: r.stopped_at?.toISOString() ?? null,
    })),
    nextCursor: page.nextCursor,
  };
}
