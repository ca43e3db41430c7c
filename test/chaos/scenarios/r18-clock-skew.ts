/**
 * R18: clocks off by minutes. The server (API and scheduler) runs 3 minutes ahead, one worker 7
 * minutes ahead and the other 7 minutes behind (a preload shifts Date in each process; see
 * lib/skew-clock.js). They run retries with a backoff, durable timers, a signal wait that times out,
 * run deadlines and a cron schedule firing every second. Bar: nothing changes, because every time
 * the engine decides with comes from the database clock: no lease is lost, every delay is what
 * the spec says (measured on the database clock), every cron tick fires once and on time.
 */
import { acknowledged } from '../lib/api.js';
import { CHAOS_TIMINGS, round, sleep, summarize, waitFor, type ChaosContext, type Scenario } from '../lib/context.js';
import { checkRunOutputs, feedRuns } from '../lib/load.js';

const MIN = 60_000;
const SKEW = { server: 3 * MIN, ahead: 7 * MIN, behind: -7 * MIN };

const FLAKY = `
name: flaky
inputs: { type: object, properties: { n: { type: number } }, required: [n] }
steps:
  try: { run: fail, with: { untilAttempt: 2 }, retry: { maxAttempts: 3, delay: 1s, jitter: none } }
  done: { needs: [try], run: echo, with: { n: "\${{ inputs.n }}" } }
output: "\${{ steps.done.output }}"
`;

const TIMERS = `
name: timers
start: nap
states:
  nap: { wait: { for: 2s }, next: ask }
  ask: { wait: { signal: never, timeout: 2s }, next: unreachable, onTimeout: done }
  unreachable: { run: noop, end: true }
  done: { run: echo, with: { ok: true }, end: true }
`;

const DEADLINE = `
name: deadline
timeout: 3s
steps:
  long: { run: sleep, with: { ms: 20000 } }
`;

const TICKER = `
name: ticker
triggers:
  - cron: "* * * * * *"
steps:
  t: { run: noop }
`;

export const r18ClockSkew: Scenario = {
  id: 'R18',
  title: 'server 3 min ahead, workers 7 min ahead and 7 min behind: timers, retries, deadlines, cron and leases unchanged',
  async run(ctx: ChaosContext) {
    const RUNS = ctx.scale(30, 120);
    const TIMED = ctx.scale(4, 15);
    const CRON_MS = ctx.scale(10_000, 30_000);
    const url = await ctx.database('r18');
    const pool = ctx.pool(url);
    const { api } = await ctx.server('r18-server', url, {}, SKEW.server);
    await ctx.worker('r18-ahead', url, { slots: 4, clockSkewMs: SKEW.ahead });
    await ctx.worker('r18-behind', url, { slots: 4, clockSkewMs: SKEW.behind });
    for (const spec of [FLAKY, TIMERS, DEADLINE]) await api.registerWorkflow(spec);
    ctx.watchInvariants(pool, { maxOverdueLeaseMs: Number(CHAOS_TIMINGS.OPENCLAW_SCHEDULER_TICK_MS) + 3_000 });

    const t0 = Date.now();
    await api.registerWorkflow(TICKER);
    const cronFrom = await ctx.dbNow(pool);
    const feed = feedRuns(api, 'flaky', RUNS, CRON_MS, (i) => ({ n: i }));
    const timed: string[] = [];
    const deadlines: string[] = [];
    for (let i = 0; i < TIMED; i++) {
      const a = await api.startRun('timers', {}, `timers-${i}`);
      const b = await api.startRun('deadline', {}, `deadline-${i}`);
      if (!acknowledged(a.status) || !acknowledged(b.status) || !a.id || !b.id) throw new Error('R18: a start was refused');
      timed.push(a.id);
      deadlines.push(b.id);
      await sleep(CRON_MS / TIMED / 2);
    }
    const fed = await feed.finished;
    await sleep(Math.max(0, t0 + CRON_MS - Date.now()));
    // Stop the ticks: archiving the workflow stops its schedule (no fire after this).
    await api.request('DELETE', '/v1/workflows/ticker');
    const cronTo = await ctx.dbNow(pool);
    await waitFor(
      'every run to finish',
      async () =>
        (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM openclaw.run WHERE status IN ('queued', 'running', 'waiting')`))
          .rows[0]!.n === 0,
      90_000,
      250,
    );
    await ctx.finalInvariants(pool);

    const ack = fed.filter((r) => acknowledged(r.status));
    const outputs = await checkRunOutputs(ctx, pool, ack, (input) => ({ n: input.n }));
    const slack = Number(CHAOS_TIMINGS.OPENCLAW_SCHEDULER_TICK_MS) + Number(CHAOS_TIMINGS.OPENCLAW_POLL_MS) + 1_000;

    // Retry backoff (1 s, no jitter): from the failed attempt to the next claim, database clock.
    const retry = (
      await pool.query<{ ms: number }>(
        `SELECT (extract(epoch FROM st.created_at - rt.created_at) * 1000)::float8 AS ms
           FROM openclaw.run_event rt
           JOIN LATERAL (SELECT created_at FROM openclaw.run_event e WHERE e.run_id = rt.run_id AND e.step_key = rt.step_key
                           AND e.type = 'step.started' AND e.id > rt.id ORDER BY e.id LIMIT 1) st ON true
          WHERE rt.type = 'step.retrying'`,
      )
    ).rows.map((r) => Math.round(r.ms));
    ctx.check(retry.length === RUNS, 'every flaky step retried once', retry.length);
    ctx.check(
      retry.every((ms) => ms >= 1_000 && ms <= 1_000 + slack),
      `every retry came 1 s after its failure (up to +${slack} ms)`,
      retry.filter((ms) => ms < 1_000 || ms > 1_000 + slack),
    );
    // Timers: wait 2 s, then a signal wait that times out after 2 s.
    const gaps = async (step: string, endType: string): Promise<number[]> =>
      (
        await pool.query<{ ms: number }>(
          `SELECT (extract(epoch FROM e2.created_at - e1.created_at) * 1000)::float8 AS ms
             FROM openclaw.run_event e1 JOIN openclaw.run_event e2 ON e2.run_id = e1.run_id AND e2.step_key = e1.step_key AND e2.type = $2
            WHERE e1.run_id = ANY($3::uuid[]) AND e1.step_key = $1 AND e1.type = 'step.waiting'`,
          [step, endType, timed],
        )
      ).rows.map((r) => Math.round(r.ms));
    const naps = await gaps('nap', 'step.succeeded');
    const timeouts = await gaps('ask', 'step.timed_out');
    for (const [what, list] of [
      ['timer (wait 2 s)', naps],
      ['signal timeout (2 s)', timeouts],
    ] as const) {
      ctx.check(list.length === TIMED, `every ${what} fired`, list.length);
      ctx.check(
        list.every((ms) => ms >= 2_000 && ms <= 2_000 + slack),
        `every ${what} fired 2 s after it began (up to +${slack} ms)`,
        list,
      );
    }
    const { rows: timedRuns } = await pool.query<{ status: string; output: unknown }>(
      'SELECT status, output FROM openclaw.run WHERE id = ANY($1::uuid[])',
      [timed],
    );
    ctx.check(
      timedRuns.every((r) => r.status === 'succeeded'),
      'every timer run went through its timeout branch and succeeded',
      timedRuns,
    );
    // Deadlines (timeout: 3s): from the run's start to its failure.
    const { rows: dl } = await pool.query<{ ms: number; status: string; error: string | null }>(
      `SELECT (extract(epoch FROM finished_at - started_at) * 1000)::float8 AS ms, status, error->>'name' AS error
         FROM openclaw.run WHERE id = ANY($1::uuid[])`,
      [deadlines],
    );
    const dlMs = dl.map((r) => Math.round(r.ms));
    ctx.check(
      dl.every((r) => r.status === 'failed' && r.error === 'DeadlineExceeded'),
      'every run past its deadline failed with DeadlineExceeded',
      dl,
    );
    ctx.check(
      dlMs.every((ms) => ms >= 3_000 && ms <= 3_000 + slack),
      `every deadline was enforced 3 s after the start (up to +${slack} ms)`,
      dlMs,
    );
    // Cron: one fire per second between the first and the last, each on time.
    const { rows: fires } = await pool.query<{ fire_at: Date; late_ms: number }>(
      `SELECT fire_at, (extract(epoch FROM created_at - fire_at) * 1000)::float8 AS late_ms FROM openclaw.schedule_fire ORDER BY fire_at`,
    );
    const span =
      fires.length > 1 ? Math.round((fires[fires.length - 1]!.fire_at.getTime() - fires[0]!.fire_at.getTime()) / 1000) + 1 : fires.length;
    ctx.check(fires.length === span, 'every second between the first and the last tick fired (none missed, none twice)', {
      fires: fires.length,
      span,
    });
    const expected = Math.floor((cronTo.getTime() - cronFrom.getTime()) / 1000);
    ctx.check(fires.length >= expected - 2, 'the schedule fired through the whole window', { fires: fires.length, expected });
    const late = fires.map((f) => Math.round(f.late_ms));
    ctx.check(
      late.every((ms) => ms >= 0 && ms <= 1_000),
      'every tick fired within 1 s of its time (database clock)',
      late.filter((ms) => ms < 0 || ms > 1_000),
    );
    // Leases: the skewed workers lost none, and nothing was reported late.
    // (The deadline runs' sleeps were cancelled mid-task: their workers' reports are refused, as they must be.)
    const { rows: att } = await pool.query<{ status: string; n: number }>(
      `SELECT a.status, count(*)::int AS n FROM openclaw.step_attempt a JOIN openclaw.step s ON s.id = a.step_id
        WHERE s.status <> 'cancelled' GROUP BY 1`,
    );
    const n = (s: string): number => att.find((a) => a.status === s)?.n ?? 0;
    ctx.check(n('lease_expired') === 0 && n('rejected') === 0, 'no lease lost, no late report', att);
    const { rows: byWorker } = await pool.query<{ worker: string; n: number }>(
      `SELECT worker, count(*)::int AS n FROM openclaw.step_attempt WHERE status = 'succeeded' GROUP BY 1 ORDER BY 1`,
    );
    ctx.check(byWorker.length === 2, 'both skewed workers ran steps', byWorker);

    return [
      {
        scenario: 'R18',
        skew_ms: SKEW,
        flaky_runs: RUNS,
        flaky_succeeded: outputs.correct,
        retry_delay_ms: summarize(retry),
        timer_2s_ms: summarize(naps),
        signal_timeout_2s_ms: summarize(timeouts),
        deadline_3s_ms: summarize(dlMs),
        cron_ticks: fires.length,
        cron_lateness_ms: summarize(late),
        lease_expired: n('lease_expired'),
        late_reports_refused: n('rejected'),
        steps_by_worker: Object.fromEntries(byWorker.map((w) => [w.worker, w.n])),
        invariants: ctx.invariantFigures(),
        conditions: await ctx.conditions({ workers: 2, slots: 4, wall_s: round(ctx.elapsedS(), 1) }),
      },
    ];
  },
};
