/**
 * Opt-in statement profile (BENCH_PG_STATS=1, embedded server or a server with
 * pg_stat_statements preloaded): resets pg_stat_statements before a measurement and prints the
 * statements that took the most server time in this database to stderr afterwards, with calls,
 * total and mean ms, and ms per unit of work (step, job).
 */
import type pg from 'pg';

export const pgStatsEnabled = (): boolean => process.env.BENCH_PG_STATS === '1';

export async function pgStatsReset(pool: pg.Pool): Promise<void> {
  if (!pgStatsEnabled()) return;
  await pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  await pool.query('SELECT pg_stat_statements_reset()');
}

export async function pgStatsDump(pool: pg.Pool, label: string, units: number, top = 20): Promise<void> {
  if (!pgStatsEnabled()) return;
  const { rows } = await pool.query<{ calls: number; total: number; plan: number; query: string }>(
    `SELECT calls::int, total_exec_time AS total, total_plan_time AS plan, regexp_replace(query, '\\s+', ' ', 'g') AS query
       FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
      ORDER BY total_exec_time + total_plan_time DESC LIMIT $1`,
    [top],
  );
  const sum = await pool.query<{ total: number; plan: number; calls: number; top_calls: number }>(
    `SELECT sum(total_exec_time) AS total, sum(total_plan_time) AS plan, sum(calls)::int AS calls,
            sum(calls) FILTER (WHERE toplevel)::int AS top_calls
       FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  const s = sum.rows[0];
  const per = (x: number | undefined, d = 3): string => ((x ?? 0) / units).toFixed(d);
  const out = [
    `[pg-stats] ${label}: per unit of work (${units} units): ${per(s?.top_calls, 2)} top-level statements (${per(s?.calls, 2)} with nested), ` +
      `exec ${per(s?.total)} ms, plan ${per(s?.plan)} ms`,
  ];
  for (const r of rows) {
    out.push(
      `  calls/unit=${(r.calls / units).toFixed(2)} exec/unit=${(r.total / units).toFixed(3)}ms plan/unit=${(r.plan / units).toFixed(3)}ms mean=${(r.total / r.calls).toFixed(3)}ms  ${r.query.slice(0, 150)}`,
    );
  }
  process.stderr.write(`${out.join('\n')}\n`);
}
