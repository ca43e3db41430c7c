/**
 * R17: a network partition between one worker and PostgreSQL. Worker P reaches the database only
 * through a TCP proxy started here; worker H and the server connect directly. While runs of a
 * 3-step chain keep arriving, P is cut off twice per round: first a blackhole (nothing passes but
 * the connections stay: a partition TCP survives; everything P sent is delivered late, on restore),
 * then a cut (every connection reset, new ones refused), each longer than the lease. Bar: P's leases
 * expire and its steps run on H; nothing P reports late is accepted (no completion after its lease
 * expired, no step applied twice); P works again once the partition heals, without a restart.
 */
import { acknowledged } from '../lib/api.js';
import { CHAOS_TIMINGS, round, sleep, summarize, waitFor, type ChaosContext, type Scenario } from '../lib/context.js';
import { checkRunOutputs, feedRuns } from '../lib/load.js';
import { TcpProxy } from '../lib/proxy.js';

const SPEC = `
name: r17
inputs: { type: object, properties: { n: { type: number } }, required: [n] }
steps:
  a: { run: sleep, with: { ms: 300 } }
  b: { needs: [a], run: sleep, with: { ms: 300 } }
  c: { needs: [b], run: echo, with: { n: "\${{ inputs.n }}" } }
output: "\${{ steps.c.output }}"
`;

interface Partition {
  mode: 'blackhole' | 'cut';
  from: Date;
  to: Date;
  ms: number;
}

export const r17Partition: Scenario = {
  id: 'R17',
  title: "a worker's database connections blackholed, then cut, past its lease, then restored",
  async run(ctx: ChaosContext) {
    const ROUNDS = ctx.scale(1, 3);
    const ttl = Number(CHAOS_TIMINGS.OPENCLAW_LEASE_TTL_MS);
    const CUT_MS = ttl + 3_000;
    const HEAL_MS = 5_000;
    const FEED_MS = ROUNDS * 2 * (CUT_MS + HEAL_MS) + 4_000;
    const RUNS = Math.round(FEED_MS / 150);
    const url = await ctx.database('r17');
    const pool = ctx.pool(url);
    const { api } = await ctx.server('r17-server', url);
    await api.registerWorkflow(SPEC);
    const target = new URL(url);
    const proxy = new TcpProxy(target.hostname, Number(target.port));
    await proxy.listen();
    ctx.defer(() => proxy.close());
    const proxied = new URL(url);
    proxied.port = String(proxy.port);
    const P = 'r17-partitioned';
    const H = 'r17-healthy';
    await ctx.worker(P, proxied.toString(), { slots: 4 });
    await ctx.worker(H, url, { slots: 4 });
    ctx.watchInvariants(pool, { maxOverdueLeaseMs: Number(CHAOS_TIMINGS.OPENCLAW_SCHEDULER_TICK_MS) + 3_000 });

    const feed = feedRuns(api, 'r17', RUNS, FEED_MS, (i) => ({ n: i }));
    const partitions: Partition[] = [];
    await sleep(3_000);
    for (let r = 0; r < ROUNDS; r++) {
      for (const mode of ['blackhole', 'cut'] as const) {
        // Only once P holds leases, so the partition strands work in flight.
        await waitFor(
          'P to hold leases',
          async () =>
            (
              await pool.query<{ n: number }>(
                `SELECT count(*)::int AS n FROM openclaw.step WHERE status = 'running' AND lease_owner = $1`,
                [P],
              )
            ).rows[0]!.n > 0,
          20_000,
          50,
        ).catch(() => undefined);
        const from = await ctx.dbNow(pool);
        if (mode === 'blackhole') proxy.blackhole();
        else proxy.cut();
        await sleep(CUT_MS);
        proxy.restore();
        const to = await ctx.dbNow(pool);
        partitions.push({ mode, from, to, ms: to.getTime() - from.getTime() });
        ctx.log(`${mode} ${to.getTime() - from.getTime()} ms`);
        await sleep(HEAL_MS);
      }
    }
    const fed = await feed.finished;
    await waitFor(
      'every run to finish',
      async () =>
        (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM openclaw.run WHERE status IN ('queued', 'running', 'waiting')`))
          .rows[0]!.n === 0,
      120_000,
      250,
    );
    await ctx.finalInvariants(pool);
    const ack = fed.filter((r) => acknowledged(r.status));
    ctx.check(ack.length === RUNS, 'every start was acknowledged', { acknowledged: ack.length, of: RUNS });
    const outputs = await checkRunOutputs(ctx, pool, ack, (input) => ({ n: input.n }));

    // Per partition: what P held when it began, how each of those claims ended, and when P worked again.
    const per: Array<Record<string, unknown>> = [];
    let acceptedAfterExpiry = 0;
    for (const p of partitions) {
      // P's claims in flight when the partition began, by how they ended.
      const { rows } = await pool.query<{ status: string; n: number }>(
        `SELECT status, count(*)::int AS n FROM openclaw.step_attempt
          WHERE worker = $1 AND started_at < $2 AND finished_at > $2 GROUP BY 1`,
        [P, p.from],
      );
      const byStatus = Object.fromEntries(rows.map((r) => [r.status, r.n]));
      // P could not renew anything after the partition began, so each lease it held then was gone by
      // from + TTL (+1 s for the last renewal in flight): no outcome of such a claim may be accepted later.
      const { rows: late } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM openclaw.step_attempt
          WHERE worker = $1 AND status IN ('succeeded', 'failed') AND started_at < $2
            AND finished_at > $2 + make_interval(secs => $3::float8)`,
        [P, p.from, (ttl + 1_000) / 1000],
      );
      acceptedAfterExpiry += late[0]!.n;
      const { rows: back } = await pool.query<{ t: Date | null }>(
        `SELECT min(finished_at) AS t FROM openclaw.step_attempt WHERE worker = $1 AND status = 'succeeded' AND started_at > $2`,
        [P, p.to],
      );
      per.push({
        mode: p.mode,
        ms: p.ms,
        claims_stranded: byStatus,
        restore_to_first_completion_ms: back[0]?.t ? back[0].t.getTime() - p.to.getTime() : null,
      });
      ctx.check(back[0]?.t !== null && back[0]?.t !== undefined, `P completes work again after the ${p.mode} heals`);
    }
    ctx.check(acceptedAfterExpiry === 0, "no outcome of P was accepted after its lease's TTL had passed", acceptedAfterExpiry);
    const { rows: totals } = await pool.query<{ worker: string; status: string; n: number }>(
      `SELECT worker, status, count(*)::int AS n FROM openclaw.step_attempt GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    const of = (w: string, s: string): number => totals.find((t) => t.worker === w && t.status === s)?.n ?? 0;
    ctx.check(of(P, 'lease_expired') > 0, 'the partitions cost P leases (or they proved nothing)', totals);
    ctx.check(of(H, 'lease_expired') === 0, 'H never lost a lease', totals);
    const { rows: dup } = await pool.query(
      `SELECT step_id FROM openclaw.step_attempt WHERE status = 'succeeded' GROUP BY step_id HAVING count(*) > 1`,
    );
    const latency = await pool.query<{ ms: number }>(
      `SELECT (extract(epoch FROM finished_at - created_at) * 1000)::float8 AS ms FROM openclaw.run WHERE workflow = 'r17'`,
    );

    return [
      {
        scenario: 'R17',
        runs: RUNS,
        succeeded: outputs.correct,
        lost: ack.length - outputs.correct,
        partitions: per,
        partitioned_worker: {
          succeeded: of(P, 'succeeded'),
          lease_expired: of(P, 'lease_expired'),
          late_reports_refused: of(P, 'rejected'),
          accepted_after_lease_expiry: acceptedAfterExpiry,
        },
        healthy_worker: { succeeded: of(H, 'succeeded'), lease_expired: of(H, 'lease_expired') },
        duplicate_completions: dup.length,
        proxy: proxy.stats,
        run_latency_ms: summarize(latency.rows.map((r) => Math.round(r.ms))),
        invariants: ctx.invariantFigures(),
        conditions: await ctx.conditions({ workers: 2, slots: 4, partition_ms: CUT_MS, wall_s: round(ctx.elapsedS(), 1) }),
      },
    ];
  },
};
