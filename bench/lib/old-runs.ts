/**
 * Bulk-loads finished runs straight into the schema with SQL (P7 and the history-partitioning
 * measurement): each run looks like a real run of a 3-step DAG (a -> b -> c) as the engine writes
 * it — 1 run row, 3 steps, 3 attempts, 12 history events (run.created, run.started, ready /
 * started / succeeded per step, run.succeeded), 1 step log line — and 1 run in 20 failed, with its
 * last step dead and a dead letter. Runs finished `ageDays` ago and before, 10 ms apart.
 */
import type pg from 'pg';
import { round } from './stats.js';

/** Rows per run of each table (failed runs add one dead letter). */
export const ROWS_PER_RUN = { run: 1, step: 3, step_attempt: 3, run_event: 12, step_log: 1, dead_letter: 0.05 } as const;

const EVENTS = `(VALUES
  (1, NULL, 'run.created', '{"trigger":{"type":"api"},"version":1}'::jsonb),
  (2, NULL, 'run.started', NULL),
  (3, 'a', 'step.ready', NULL), (4, 'a', 'step.started', '{"worker":"bench-worker","attempt":1}'), (5, 'a', 'step.succeeded', '{"attempt":1}'),
  (6, 'b', 'step.ready', NULL), (7, 'b', 'step.started', '{"worker":"bench-worker","attempt":1}'), (8, 'b', 'step.succeeded', '{"attempt":1}'),
  (9, 'c', 'step.ready', NULL), (10, 'c', 'step.started', '{"worker":"bench-worker","attempt":1}'), (11, 'c', 'step.succeeded', '{"attempt":1}'),
  (12, NULL, 'run.succeeded', NULL)) AS ev(n, step_key, type, data)`;

const ERROR = `'{"name":"Boom","message":"boom","attempt":1}'::jsonb`;

/** One statement: runs `from`..`to` (numbers) and everything that hangs off them. */
const LOAD = `
WITH r AS (
  INSERT INTO openclaw.run (id, namespace, workflow, version, version_id, status, input, output, error, input_hash,
                            trigger, created_at, started_at, finished_at, updated_at)
  SELECT gen_random_uuid(), 'default', $1, 1, $2, CASE WHEN i % 20 = 0 THEN 'failed' ELSE 'succeeded' END, '{}'::jsonb,
         CASE WHEN i % 20 = 0 THEN NULL ELSE '{"c":null}'::jsonb END,
         CASE WHEN i % 20 = 0 THEN ${ERROR} || '{"step":"c"}'::jsonb END,
         md5(i::text), '{"type":"api"}'::jsonb, t, t, t + interval '60 ms', t + interval '60 ms'
    FROM (SELECT i, now() - make_interval(days => $5) - (($6::int - i) * interval '10 ms') AS t
            FROM generate_series($3::int, $4::int) AS i) g
  RETURNING id, status, created_at
), s AS (
  INSERT INTO openclaw.step (run_id, key, name, kind, status, attempt, max_attempts, lease_token, available_at, input, output,
                             error, created_at, started_at, finished_at)
  SELECT r.id, k.key, k.key, 'task', CASE WHEN r.status = 'failed' AND k.key = 'c' THEN 'dead' ELSE 'succeeded' END, 1, 1, 1,
         r.created_at, CASE WHEN k.key = 'b' THEN '{"message":"done"}'::jsonb END,
         CASE WHEN k.key = 'b' THEN '{"logged":4}'::jsonb END,
         CASE WHEN r.status = 'failed' AND k.key = 'c' THEN ${ERROR} END,
         r.created_at, r.created_at + k.n * interval '20 ms', r.created_at + (k.n + 1) * interval '20 ms'
    FROM r CROSS JOIN (VALUES ('a', 0), ('b', 1), ('c', 2)) AS k(key, n)
  RETURNING id, run_id, key, status, error, started_at, finished_at
), a AS (
  INSERT INTO openclaw.step_attempt (step_id, run_id, attempt, lease_token, worker, status, error, started_at, finished_at)
  SELECT id, run_id, 1, 1, 'bench-worker', CASE WHEN status = 'dead' THEN 'failed' ELSE 'succeeded' END, error, started_at, finished_at
    FROM s
), d AS (
  INSERT INTO openclaw.dead_letter (run_id, step_id, step_key, workflow, error, errors, attempts, namespace, created_at)
  SELECT run_id, id, key, $1, error, jsonb_build_array(error), 1, 'default', finished_at FROM s WHERE status = 'dead'
), e AS (
  INSERT INTO openclaw.run_event (run_id, step_key, type, data, created_at)
  SELECT r.id, ev.step_key, ev.type, ev.data, r.created_at + ev.n * interval '5 ms' FROM r CROSS JOIN ${EVENTS}
), l AS (
  INSERT INTO openclaw.step_log (run_id, step_key, attempt, stream, message, created_at)
  SELECT id, 'b', 1, 'log', 'done', created_at + interval '30 ms' FROM r
)
SELECT count(*)::int AS n FROM r`;

/**
 * Loads `count` finished runs of `workflow` (version 1, `versionId`), in statements of `chunk` runs,
 * the newest finished `ageDays` ago. Returns how long it took.
 */
export async function loadOldRuns(
  pool: pg.Pool,
  opts: { workflow: string; versionId: string; count: number; ageDays: number; chunk?: number; log?: (m: string) => void },
): Promise<{ runs: number; ms: number }> {
  const chunk = opts.chunk ?? 10_000;
  const t = performance.now();
  let runs = 0;
  for (let from = 1; from <= opts.count; from += chunk) {
    const to = Math.min(opts.count, from + chunk - 1);
    const { rows } = await pool.query<{ n: number }>(LOAD, [opts.workflow, opts.versionId, from, to, opts.ageDays, opts.count]);
    runs += rows[0]?.n ?? 0;
    if (opts.log && (to === opts.count || (to / chunk) % 5 === 0)) opts.log(`loaded ${to} of ${opts.count} old runs`);
  }
  return { runs, ms: round(performance.now() - t) };
}

/** The tables that hang off runs. */
export const RUN_TABLES = ['run', 'step', 'step_attempt', 'run_event', 'step_log', 'dead_letter', 'signal', 'webhook_delivery'] as const;

export interface TableSize {
  table_mb: number;
  index_mb: number;
  live_rows: number;
  dead_rows: number;
}

/** Table (heap + TOAST) and index sizes in MiB, with the live and dead tuple counts of the statistics. */
export async function tableSizes(pool: pg.Pool): Promise<Record<string, TableSize> & { total_mb: number }> {
  const { rows } = await pool.query<{ relname: string; t: string; i: string; live: string; dead: string }>(
    `SELECT c.relname, pg_table_size(c.oid) AS t, pg_indexes_size(c.oid) AS i, s.n_live_tup AS live, s.n_dead_tup AS dead
       FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid
      WHERE s.schemaname = 'openclaw' AND c.relname = ANY($1::text[]) ORDER BY c.relname`,
    [RUN_TABLES],
  );
  const mb = (b: string): number => round(Number(b) / 1024 / 1024, 1);
  const out: Record<string, TableSize> = {};
  let total = 0;
  for (const r of rows) {
    out[r.relname] = { table_mb: mb(r.t), index_mb: mb(r.i), live_rows: Number(r.live), dead_rows: Number(r.dead) };
    total += Number(r.t) + Number(r.i);
  }
  return Object.assign(out, { total_mb: round(total / 1024 / 1024, 1) });
}
