/** Helpers of the retention tests: age runs, and count the rows that hang off runs. */
import type { Engine } from '../../engine/index.js';
import { query } from './engine.js';

/** Makes runs look `age` old (a PostgreSQL interval): created then, and finished then when finished. */
export async function age(engine: Engine, runIds: string[], interval: string): Promise<void> {
  await query(
    engine,
    `UPDATE openclaw.run SET created_at = now() - $2::interval,
            finished_at = CASE WHEN finished_at IS NULL THEN NULL ELSE now() - $2::interval END
      WHERE id = ANY($1::uuid[])`,
    [runIds, interval],
  );
}

/** Every table with rows of a run, and how a run's rows are found in it. */
const DEPENDENTS = {
  step: 'SELECT run_id, count(*)::int AS n FROM openclaw.step WHERE run_id = ANY($1::uuid[]) GROUP BY run_id',
  step_attempt: 'SELECT run_id, count(*)::int AS n FROM openclaw.step_attempt WHERE run_id = ANY($1::uuid[]) GROUP BY run_id',
  run_event: 'SELECT run_id, count(*)::int AS n FROM openclaw.run_event WHERE run_id = ANY($1::uuid[]) GROUP BY run_id',
  step_log: 'SELECT run_id, count(*)::int AS n FROM openclaw.step_log WHERE run_id = ANY($1::uuid[]) GROUP BY run_id',
  signal: 'SELECT run_id, count(*)::int AS n FROM openclaw.signal WHERE run_id = ANY($1::uuid[]) GROUP BY run_id',
  dead_letter: 'SELECT run_id, count(*)::int AS n FROM openclaw.dead_letter WHERE run_id = ANY($1::uuid[]) GROUP BY run_id',
  webhook_delivery: 'SELECT run_id, count(*)::int AS n FROM openclaw.webhook_delivery WHERE run_id = ANY($1::uuid[]) GROUP BY run_id',
  schedule_fire: 'SELECT run_id, count(*)::int AS n FROM openclaw.schedule_fire WHERE run_id = ANY($1::uuid[]) GROUP BY run_id',
} as const;

export type DependentCounts = Record<string, Partial<Record<keyof typeof DEPENDENTS, number>>>;

/** Per run id: how many rows each dependent table holds for it (tables with none left out). */
export async function dependents(engine: Engine, runIds: string[]): Promise<DependentCounts> {
  const out: DependentCounts = Object.fromEntries(runIds.map((id) => [id, {}]));
  for (const [table, sql] of Object.entries(DEPENDENTS)) {
    for (const r of await query<{ run_id: string; n: number }>(engine, sql, [runIds])) {
      out[r.run_id]![table as keyof typeof DEPENDENTS] = r.n;
    }
  }
  return out;
}

/** The ids of every run in the database. */
export async function allRunIds(engine: Engine): Promise<string[]> {
  return (await query<{ id: string }>(engine, 'SELECT id FROM openclaw.run ORDER BY id')).map((r) => r.id);
}
