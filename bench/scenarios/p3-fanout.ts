/**
 * P3 fan-out: one run whose `fan` step is `forEach: ${{ [1..N] }}` (a JSONata range) of `noop`,
 * then a `join` step that needs it (echo of the item count, which checks the joined output).
 * One worker, 8 slots. N = 1,000 (headline) and N = 250; per-item cost = total / N, and the
 * ratio per_item(1000) / per_item(250) shows whether the join cost is constant per item (~1) or
 * grows with N (> 1).
 *
 * Phases (database clock): expand = run created -> first item claimed (the expansion runs inside
 * the startRun transaction); items = first item claimed -> last item finished; join = last item
 * finished -> run finished (parent aggregation, the join step, the run's end).
 * A variant with `with: { n: "${{ item }}" }` (one expression per item at expansion) is also timed.
 * Each size runs BENCH_P3_REPS (3) times, alternating; the median run of each size is reported.
 */
import type { Engine } from '../../engine/index.js';
import type pg from 'pg';
import { round } from '../lib/stats.js';
import { pgStatsDump, pgStatsReset } from '../lib/pg-stats.js';
import { usageFigures, waitRunsDone, type BenchContext, type Figures, type Scenario } from '../lib/harness.js';

const spec = (name: string, n: number, withItem: boolean): string => `name: ${name}
steps:
  fan:
    forEach: "\${{ [1..${n}] }}"
    run: noop${withItem ? '\n    with: { n: "${{ item }}" }' : ''}
  join:
    needs: [fan]
    run: echo
    with: { count: "\${{ $count(steps.fan.output) }}" }
`;

interface FanResult {
  items: number;
  total_ms: number;
  per_item_ms: number;
  start_run_ms: number;
  expand_ms: number;
  items_ms: number;
  join_ms: number;
  joined_count: unknown;
  /** Time (ms) to finish each successive quarter of the items (by finish order): flat = constant cost per item. */
  items_quarters_ms: number[];
  usage_per_item: Record<string, number | null>;
}

async function fanRun(ctx: BenchContext, engine: Engine, pool: pg.Pool, name: string, n: number, withItem = false): Promise<FanResult> {
  await engine.registerWorkflow(spec(name, n, withItem));
  await pgStatsReset(pool);
  const cpu = await ctx.meter(pool);
  const t = performance.now();
  const { runId } = await engine.startRun({ workflow: name });
  const startMs = performance.now() - t;
  const status = await waitRunsDone(pool, name, 1);
  const used = await cpu.stop();
  await pgStatsDump(pool, `P3 ${name}`, n);
  if (status.succeeded !== 1) throw new Error(`P3 ${name}: run did not succeed: ${JSON.stringify(status)}`);
  const { rows } = await pool.query<{ total: number; expand: number; items: number; join: number; output: { join?: { count?: unknown } } }>(
    `SELECT date_part('epoch', (r.finished_at - r.created_at)) * 1000 AS total,
            date_part('epoch', (min(s.started_at) - r.created_at)) * 1000 AS expand,
            date_part('epoch', (max(s.finished_at) - min(s.started_at))) * 1000 AS items,
            date_part('epoch', (r.finished_at - max(s.finished_at))) * 1000 AS join,
            r.output
       FROM openclaw.run r JOIN openclaw.step s ON s.run_id = r.id AND s.kind = 'item'
      WHERE r.id = $1 GROUP BY r.id`,
    [runId],
  );
  const r = rows[0]!;
  const { rows: fin } = await pool.query<{ t: number }>(
    `SELECT date_part('epoch', finished_at) * 1000 AS t FROM openclaw.step WHERE run_id = $1 AND kind = 'item' ORDER BY finished_at`,
    [runId],
  );
  const { rows: first } = await pool.query<{ t: number }>(
    `SELECT date_part('epoch', min(started_at)) * 1000 AS t FROM openclaw.step WHERE run_id = $1 AND kind = 'item'`,
    [runId],
  );
  const quarters: number[] = [];
  let prev = first[0]?.t ?? NaN;
  for (let q = 1; q <= 4; q++) {
    const at = fin[Math.ceil((q * fin.length) / 4) - 1]?.t ?? NaN;
    quarters.push(round(at - prev));
    prev = at;
  }
  return {
    items: n,
    total_ms: round(r.total),
    per_item_ms: round(r.total / n, 3),
    start_run_ms: round(startMs),
    expand_ms: round(r.expand),
    items_ms: round(r.items),
    join_ms: round(r.join),
    joined_count: r.output?.join?.count ?? null,
    items_quarters_ms: quarters,
    usage_per_item: usageFigures(used, n),
  };
}

const REPS = Math.max(1, Number(process.env.BENCH_P3_REPS ?? 3));

/** The run with the median total time. */
function median(runs: FanResult[]): FanResult {
  return [...runs].sort((a, b) => a.total_ms - b.total_ms)[Math.floor((runs.length - 1) / 2)]!;
}

export const p3Fanout: Scenario = {
  id: 'P3',
  title: 'fan-out: one run, forEach over 1,000 items then a join',
  async run(ctx: BenchContext): Promise<Figures> {
    const db = await ctx.database('p3');
    const engine = await ctx.engine(db.url, { migrate: true });
    const pool = ctx.pool(db.url);
    const worker = engine.createWorker({ slots: 8 });
    await worker.start();

    await fanRun(ctx, engine, pool, 'fan-warm', 100); // warm-up
    // Alternate sizes, REPS times each, and keep the median run of each size: one run is a few
    // seconds, so a burst of other load on a shared box would otherwise decide the figure.
    const smalls: FanResult[] = [];
    const bigs: FanResult[] = [];
    for (let r = 1; r <= REPS; r++) {
      smalls.push(await fanRun(ctx, engine, pool, `fan250-${r}`, 250));
      bigs.push(await fanRun(ctx, engine, pool, `fan1000-${r}`, 1000));
    }
    const withItem = await fanRun(ctx, engine, pool, 'fan1000-with', 1000, true);
    const small = median(smalls);
    const big = median(bigs);
    const ratio = round(big.per_item_ms / small.per_item_ms, 3);
    return {
      scenario: 'P3',
      workload: '1 run: forEach over [1..1000] of noop, then a join step',
      total_ms: big.total_ms,
      per_item_ms: big.per_item_ms,
      per_item_ratio_1000_vs_250: ratio,
      reps: REPS,
      n1000_all_total_ms: bigs.map((b) => b.total_ms),
      n250_all_total_ms: smalls.map((b) => b.total_ms),
      n1000: big,
      n250: small,
      n1000_with_item_expr: withItem,
      target: { total_ms: 2000, per_item_ratio: '~1 (constant join cost per item)' },
      met: { total_ms: big.total_ms <= 2000, constant_per_item: ratio <= 1.25, joined_all: big.joined_count === 1000 },
      conditions: ctx.conditions(1, 8, { listen: true, in_process: true }),
    };
  },
};
