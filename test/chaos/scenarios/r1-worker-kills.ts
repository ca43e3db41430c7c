/**
 * R1: a worker SIGKILLed every 3-5 s (and respawned) while runs of a 5-step DAG with no `retry:`
 * block arrive over HTTP. Bar: 0 lost runs or steps, 0 duplicate completions, extra executions at
 * most the steps in flight on the killed workers, each lost step back in the queue within lease TTL
 * plus the sweep interval.
 */
import { acknowledged } from '../lib/api.js';
import { between, CHAOS_TIMINGS, Fleet, round, sleep, summarize, type ChaosContext, type Scenario } from '../lib/context.js';
import { checkExecutions, checkRunOutputs, feedRuns } from '../lib/load.js';

const SPEC = `
name: r1
inputs: { type: object, properties: { n: { type: number } }, required: [n] }
steps:
  a: { run: sleep, with: { ms: 150 } }
  b: { needs: [a], run: echo, with: { x: "\${{ inputs.n * 2 }}" } }
  c: { needs: [a], run: sleep, with: { ms: 300 } }
  d: { needs: [b, c], run: sleep, with: { ms: 150 } }
  e: { needs: [d], run: echo, with: { n: "\${{ inputs.n }}", x: "\${{ steps.b.output.x }}" } }
output: "\${{ steps.e.output }}"
`;

export const r1WorkerKills: Scenario = {
  id: 'R1',
  title: 'SIGKILL a worker every 3-5 s during runs of a 5-step DAG without retries',
  async run(ctx: ChaosContext) {
    const RUNS = ctx.scale(100, 300);
    const FEED_MS = ctx.scale(15_000, 40_000);
    const WORKERS = 3;
    const SLOTS = 4;
    const url = await ctx.database('r1');
    const pool = ctx.pool(url);
    const server = await ctx.server('r1-server', url);
    await server.api.registerWorkflow(SPEC);
    const fleet = new Fleet(ctx, url, 'r1-w', { slots: SLOTS });
    await fleet.start(WORKERS);
    const ttl = Number(CHAOS_TIMINGS.OPENCLAW_LEASE_TTL_MS);
    const tick = Number(CHAOS_TIMINGS.OPENCLAW_SCHEDULER_TICK_MS);
    ctx.watchInvariants(pool, { maxOverdueLeaseMs: tick + 3_000 });

    const t0 = Date.now();
    const feed = feedRuns(server.api, 'r1', RUNS, FEED_MS, (i) => ({ n: i }));
    const kills: Array<{ id: string; inFlight: number; atS: number }> = [];
    let done = false;
    void feed.finished.then(() => (done = true));
    // Kill while runs are fed and until every run has finished.
    for (;;) {
      await sleep(between(3_000, 5_000));
      const active = (
        await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM openclaw.run WHERE status IN ('queued', 'running', 'waiting')`)
      ).rows[0]!.n;
      if (done && active === 0) break;
      if (Date.now() - t0 > FEED_MS + 120_000) throw new Error(`R1: runs still active ${Math.round((Date.now() - t0) / 1000)} s in`);
      // One replacement may still be starting; never leave fewer than two workers standing.
      if (fleet.live.length < 2) await fleet.settle();
      const victim = fleet.live[Math.floor(Math.random() * fleet.live.length)]!;
      await fleet.crash(victim, pool);
      // What the dead process held: nothing can change that until its leases expire (>= 2.5 s).
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM openclaw.step WHERE status = 'running' AND lease_owner = $1`,
        [victim.name],
      );
      kills.push({ id: victim.name, inFlight: rows[0]!.n, atS: round((Date.now() - t0) / 1000, 1) });
    }
    const fed = await feed.finished;
    const wallS = (Date.now() - t0) / 1000;
    await fleet.settle();
    ctx.check(fleet.spawnErrors.length === 0, 'every replacement worker started', fleet.spawnErrors);
    await ctx.finalInvariants(pool);

    const ack = fed.filter((r) => acknowledged(r.status));
    ctx.check(ack.length === RUNS, 'every start was acknowledged', { acknowledged: ack.length, of: RUNS });
    const outputs = await checkRunOutputs(ctx, pool, ack, (input) => ({ n: input.n, x: (input.n ?? 0) * 2 }));
    const ex = await checkExecutions(ctx, pool, fleet.killed, new Map(kills.map((k) => [k.id, k.inFlight])), { ttl, tick });
    ctx.check(ex.extraExecutions >= 1, 'the kills hit running steps (or this proves nothing)', ex);

    return [
      {
        scenario: 'R1',
        runs: RUNS,
        acknowledged: ack.length,
        succeeded: outputs.correct,
        lost: ack.length - outputs.correct,
        steps: ex.steps,
        kills: kills.length,
        kill_at_s: kills.map((k) => k.atS),
        in_flight_at_kills: kills.reduce((n, k) => n + k.inFlight, 0),
        extra_executions: ex.extraExecutions,
        lease_expired: ex.leaseExpired,
        spurious_lease_losses: ex.spurious,
        duplicate_completions: ex.duplicateCompletions,
        dead_letters: ex.deadLetters,
        kill_to_requeue_ms: summarize(ex.requeueMs),
        kill_to_reclaim_ms: summarize(ex.reclaimMs),
        requeue_bound_ms: ex.boundMs,
        wall_s: round(wallS, 1),
        invariants: ctx.invariantFigures(),
        conditions: await ctx.conditions({ workers: WORKERS, slots: SLOTS, feed_ms: FEED_MS, workers_started: fleet.spawned }),
      },
    ];
  },
};
