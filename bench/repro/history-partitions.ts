/**
 * Measurement (not a benchmark): `npx tsx bench/repro/history-partitions.ts [old runs]`.
 *
 * Should the history (run_event), the largest of the tables that only grow, be partitioned by time
 * so that retention drops a month instead of deleting rows? On one fresh database it loads
 * `old runs` (default 200,000) finished runs with realistic rows (bench/lib/old-runs.ts: 12 history
 * events each) plus 20,000 recent ones, copies the history into a table partitioned by month
 * (`created_at`, 12 monthly partitions holding the old runs' history, oldest runs in the oldest month, plus one for the
 * current month; the same index on (run_id, id) as run_event), and measures:
 *
 * A. deleting one month's runs' history row by row through the index, 500 runs per statement (what
 *    retention does through ON DELETE CASCADE), on the plain table and on the partitioned one (where
 *    a lookup by run_id probes every partition);
 * B. dropping that month's partition (DETACH + DROP);
 * C. reading one run's history (`WHERE run_id = $1 ORDER BY id`: the API's read), plain vs partitioned;
 * D. inserting 120,000 history rows (10,000 runs), plain vs partitioned.
 *
 * Each measured after a CHECKPOINT; times and WAL bytes (pg_current_wal_lsn) per run. Both tables
 * have the same indexes (primary key, (run_id, id)); D runs without run_event's foreign key (the
 * partitioned copy has none). Prints one JSON line. The decision and the
 * figures are in docs/operations.md ("Retention").
 */
import os from 'node:os';
import pg from 'pg';
import { createEngine } from '../../engine/index.js';
import { createLogger } from '../../engine/telemetry/logger.js';
import { loadOldRuns } from '../lib/old-runs.js';
import { createDb, serverFacts, startServer } from '../lib/server.js';
import { round, summarize } from '../lib/stats.js';

const OLD = Number(process.argv[2] ?? 200_000);
const MONTHS = 12;
const BATCH = 500;
const log = (m: string): void => void process.stderr.write(`[partitions] ${m}\n`);

const server = await startServer();
const db = await createDb(server.adminUrl, 'partitions');
const engine = await createEngine({ databaseUrl: db.url, migrate: true, logger: createLogger({ level: 'silent' }) });
const pool = new pg.Pool({ connectionString: db.url, max: 2 });

/** Time and WAL of `fn`, after a CHECKPOINT (so that each starts with the same full-page-write state). */
async function measure(fn: () => Promise<unknown>): Promise<{ ms: number; wal_bytes: number }> {
  await pool.query('CHECKPOINT');
  const lsn = async (): Promise<string> => (await pool.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l')).rows[0]!.l;
  const before = await lsn();
  const t = performance.now();
  await fn();
  const ms = performance.now() - t;
  const { rows } = await pool.query<{ b: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn) AS b', [before]);
  return { ms: round(ms), wal_bytes: Number(rows[0]!.b) };
}

try {
  const facts = await serverFacts(server.adminUrl);
  await engine.registerWorkflow('name: old\nsteps:\n  a: { run: noop }\n  b: { needs: [a], run: noop }\n  c: { needs: [b], run: noop }\n');
  const { rows: v } = await pool.query<{ id: string }>("SELECT id FROM openclaw.workflow_version WHERE name = 'old'");
  await loadOldRuns(pool, { workflow: 'old', versionId: v[0]!.id, count: OLD, ageDays: 45, log });
  await loadOldRuns(pool, { workflow: 'old', versionId: v[0]!.id, count: 20_000, ageDays: 0, chunk: 20_000 });

  // The partitioned copy: the old runs' history spread over 12 months (by run), recent history in the current month.
  await pool.query(`CREATE TABLE bench_event (LIKE openclaw.run_event INCLUDING DEFAULTS) PARTITION BY RANGE (created_at)`);
  for (let m = MONTHS; m >= 1; m--) {
    await pool.query(`CREATE TABLE bench_event_m${m} PARTITION OF bench_event
      FOR VALUES FROM (date_trunc('month', now()) - make_interval(months => ${m})) TO (date_trunc('month', now()) - make_interval(months => ${m - 1}))`);
  }
  await pool.query(`CREATE TABLE bench_event_now PARTITION OF bench_event FOR VALUES FROM (date_trunc('month', now())) TO (MAXVALUE)`);
  // The same indexes as run_event: the primary key (which must include the partition key) and (run_id, id).
  await pool.query('ALTER TABLE bench_event ADD PRIMARY KEY (id, created_at)');
  await pool.query('CREATE INDEX ON bench_event (run_id, id)');
  // Old runs: month (1..12) by age, in contiguous blocks (as insertion order lays history out in the
  // plain table); their events' created_at moved into that month.
  await pool.query(`CREATE TABLE bench_month AS
    SELECT id AS run_id, 1 + ((row_number() OVER (ORDER BY created_at DESC) - 1) * ${MONTHS} / ${OLD})::int AS m
      FROM openclaw.run WHERE finished_at < now() - interval '1 day'`);
  await pool.query(`INSERT INTO bench_event
    SELECT e.id, e.run_id, e.step_key, e.type, e.data,
           CASE WHEN b.m IS NULL THEN e.created_at
                ELSE date_trunc('month', now()) - make_interval(months => b.m) + interval '1 day' + (e.created_at - date_trunc('day', e.created_at)) END
      FROM openclaw.run_event e LEFT JOIN bench_month b ON b.run_id = e.run_id`);
  await pool.query('VACUUM ANALYZE bench_event, openclaw.run_event');
  const month = (await pool.query<{ run_id: string }>('SELECT run_id FROM bench_month WHERE m = 6')).rows.map((r) => r.run_id);
  const mb = async (sql: string): Promise<number> => round(Number((await pool.query<{ s: string }>(sql)).rows[0]!.s) / 1024 / 1024, 1);
  const sizes = {
    plain_mb: await mb(`SELECT pg_total_relation_size('openclaw.run_event') AS s`),
    partitioned_mb: await mb(
      `SELECT sum(pg_total_relation_size(inhrelid)) AS s FROM pg_inherits WHERE inhparent = 'bench_event'::regclass`,
    ),
    one_month_partition_mb: await mb(`SELECT pg_total_relation_size('bench_event_m6') AS s`),
  };
  log(`${month.length} runs in the month to delete; ${sizes.plain_mb} MiB of history`);

  const byIndex = async (table: string): Promise<void> => {
    for (let i = 0; i < month.length; i += BATCH) {
      await pool.query(`DELETE FROM ${table} WHERE run_id = ANY($1::uuid[])`, [month.slice(i, i + BATCH)]);
    }
  };
  // C first (before anything is deleted): 200 recent runs' history, each read 3 times.
  const recent = (
    await pool.query<{ id: string }>(`SELECT id FROM openclaw.run WHERE finished_at > now() - interval '1 day' ORDER BY random() LIMIT 200`)
  ).rows;
  const read = async (table: string): Promise<number[]> => {
    const out: number[] = [];
    for (let k = 0; k < 3; k++)
      for (const r of recent) {
        const t = performance.now();
        await pool.query(`SELECT id, step_key, type, data, created_at FROM ${table} WHERE run_id = $1 ORDER BY id LIMIT 10000`, [r.id]);
        out.push(performance.now() - t);
      }
    return out;
  };
  const readPlain = summarize(await read('openclaw.run_event'));
  const readPart = summarize(await read('bench_event'));

  const a_plain = await measure(() => byIndex('openclaw.run_event'));
  const a_part = await measure(() => byIndex('bench_event'));
  // B: the same month again, as a partition drop (its rows are still in bench_event_m5 ... use m5, same size).
  const m5 = Number((await pool.query<{ n: string }>('SELECT count(DISTINCT run_id) AS n FROM bench_event_m5')).rows[0]!.n);
  const b = await measure(async () => {
    await pool.query('ALTER TABLE bench_event DETACH PARTITION bench_event_m5');
    await pool.query('DROP TABLE bench_event_m5');
  });

  // D: 10,000 runs' history inserted (one statement per 500 runs, as a busy engine's group commits would).
  const insert = async (table: string): Promise<void> => {
    for (let i = 0; i < 20; i++) {
      await pool.query(`INSERT INTO ${table} (run_id, step_key, type, data, created_at)
        SELECT gen_random_uuid(), 'a', 'step.succeeded', '{"attempt":1}'::jsonb, now() FROM generate_series(1, ${BATCH * 12})`);
    }
  };
  await pool.query('ALTER TABLE openclaw.run_event DROP CONSTRAINT run_event_run_id_fkey');
  const d_plain = await measure(() => insert('openclaw.run_event'));
  const d_part = await measure(() => insert('bench_event'));

  const perRun = (m: { ms: number; wal_bytes: number }, runs: number) => ({
    total_ms: m.ms,
    us_per_run: round((m.ms * 1000) / runs, 1),
    wal_bytes_per_run: Math.round(m.wal_bytes / runs),
  });
  process.stdout.write(
    `${JSON.stringify({
      measurement: 'history: delete a month of runs by index vs drop a monthly partition',
      old_runs: OLD,
      month_runs: month.length,
      history_rows_per_run: 12,
      history_size: sizes,
      a_delete_by_index_plain: perRun(a_plain, month.length),
      a_delete_by_index_partitioned: perRun(a_part, month.length),
      b_drop_partition: { ...perRun(b, m5), runs: m5 },
      c_read_one_runs_history_ms: {
        plain: { p50: readPlain.p50, p99: readPlain.p99 },
        partitioned_13: { p50: readPart.p50, p99: readPart.p99 },
      },
      d_insert_120k_rows: { plain: d_plain, partitioned: d_part },
      conditions: { pg: facts.pg, fsync: facts.fsync, cpus: os.cpus().length, loadavg_1m: round(os.loadavg()[0] ?? 0) },
    })}\n`,
  );
} finally {
  await pool.end();
  await engine.close();
  await db.drop();
  await server.stop();
}
