/**
 * R4: PostgreSQL stopped with `pg_ctl stop -m immediate` (every backend killed, crash recovery at
 * start) and started again every 5-10 s while runs of a 3-step chain with no `retry:` block are
 * started over HTTP against one `openclaw server` and run by two `openclaw worker` processes. A
 * start that fails while the database is down is retried with the same idempotency key until it is
 * acknowledged. Bar: every acknowledged run finishes with the right output; every process
 * reconnects by itself (the scheduler leads again, each worker runs work), none is restarted.
 *
 * R16 runs in the same storm: bursts of 50 concurrent starts with one idempotency key, sent just as
 * the database goes down, each retried until acknowledged. Bar: exactly one run per key, and every
 * acknowledgement of a key names that run.
 */
import type pg from 'pg';
import { acknowledged } from '../lib/api.js';
import { between, round, sleep, summarize, waitFor, type ChaosContext, type Scenario } from '../lib/context.js';
import { chainOutput, chainSpec, checkRunOutputs, feedRuns } from '../lib/load.js';

const SPEC = chainSpec('r4');

const R16_SPEC = `
name: r16
inputs: { type: object, properties: { k: { type: number } }, required: [k] }
steps:
  only: { run: echo, with: { k: "\${{ inputs.k }}" } }
output: "\${{ steps.only.output }}"
`;

/** Leases outlive a typical restart (1-3 s here): a restart alone should cost no execution. */
const R4_TIMINGS = { OPENCLAW_LEASE_TTL_MS: '5000', OPENCLAW_HEARTBEAT_MS: '800' };

export const r4PostgresRestarts: Scenario = {
  id: 'R4',
  alsoPrints: ['R16'],
  title: 'PostgreSQL stopped -m immediate and restarted every 5-10 s under load (and R16: concurrent idempotent starts meanwhile)',
  async run(ctx: ChaosContext) {
    const RUNS = ctx.scale(150, 500);
    const FEED_MS = ctx.scale(25_000, 60_000);
    const KEYS = ctx.scale(6, 20);
    const PER_KEY = 50;
    const url = await ctx.database('r4');
    const pool = ctx.pool(url);
    const server = await ctx.server('r4-server', url, R4_TIMINGS);
    await server.api.registerWorkflow(SPEC);
    await server.api.registerWorkflow(R16_SPEC);
    const workers = [
      await ctx.worker('r4-w1', url, { slots: 4, env: R4_TIMINGS }),
      await ctx.worker('r4-w2', url, { slots: 4, env: R4_TIMINGS }),
    ];
    ctx.watchInvariants(pool);

    // R16 bursts: one key per burst, PER_KEY concurrent starts, each retried until acknowledged.
    const r16: Array<Promise<{ key: string; ids: string[]; requests: number; refused: number }>> = [];
    const burst = (k: number): void => {
      const key = `r16-${k}`;
      r16.push(
        (async () => {
          let requests = 0;
          let refused = 0;
          const ids = await Promise.all(
            Array.from({ length: PER_KEY }, async () => {
              const end = Date.now() + 120_000;
              for (;;) {
                requests++;
                try {
                  const res = await server.api.startRun('r16', { k }, key);
                  if (acknowledged(res.status) && res.id) return res.id;
                  if (res.status >= 400 && res.status < 500)
                    throw new Error(`R16: start answered ${res.status} ${JSON.stringify(res.body)}`);
                } catch (err) {
                  if (String(err).includes('R16:')) throw err;
                }
                refused++;
                if (Date.now() > end) throw new Error(`R16: key ${key} not acknowledged within 120 s`);
                await sleep(between(50, 250));
              }
            }),
          );
          return { key, ids, requests, refused };
        })(),
      );
    };

    const t0 = Date.now();
    const feed = feedRuns(server.api, 'r4', RUNS, FEED_MS, (i) => ({ n: i }));
    let fedDone = false;
    void feed.finished.then(() => (fedDone = true));
    const downtimes: number[] = [];
    let lastRestartAt = new Date();
    let k = 0;
    while (!fedDone || k < KEYS) {
      await sleep(between(5_000, 10_000));
      if (k < KEYS) burst(k++); // sent as the database goes down
      const down = Date.now();
      await ctx.pg.crash();
      await ctx.pg.start();
      downtimes.push(Date.now() - down);
      lastRestartAt = await ctx.dbNow(pool).catch(() => new Date());
      // The feed's pace is fixed; past it, restarts go on only for the remaining R16 keys.
      if (Date.now() - t0 > FEED_MS + 240_000) throw new Error('R4: the feed did not finish');
    }
    const fed = await feed.finished;
    const keys = await Promise.all(r16);
    const ack = fed.filter((r) => acknowledged(r.status));
    ctx.check(ack.length === RUNS, 'every start was acknowledged in the end', { acknowledged: ack.length, of: RUNS });
    await waitFor(
      'every run to finish',
      async () =>
        (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM openclaw.run WHERE status IN ('queued', 'running', 'waiting')`))
          .rows[0]!.n === 0,
      180_000,
      250,
    );
    const chaosS = (Date.now() - t0) / 1000;

    // Nothing wedged: the scheduler leads again, and each worker alone runs new work.
    const leaderFresh = await waitFor(
      'the scheduler to lead again',
      async () =>
        (await pool.query<{ fresh: boolean }>(`SELECT heartbeat_at > now() - interval '2 seconds' AS fresh FROM openclaw.scheduler_leader`))
          .rows[0]?.fresh === true,
      30_000,
    ).catch(() => false);
    ctx.check(leaderFresh === true, 'the scheduler leads again after the restarts');
    const post: Array<{ id: string | null; input: Record<string, number> }> = [];
    for (const [i, solo] of workers.entries()) {
      const other = workers[1 - i]!;
      other.freeze();
      const ids: string[] = [];
      for (let n = 0; n < 3; n++) {
        const res = await server.api.startRun('r4', { n: 10_000 + i * 10 + n }, `r4-post-${i}-${n}`);
        ids.push(res.id ?? '');
        post.push({ id: res.id, input: { n: 10_000 + i * 10 + n } });
      }
      const ran = await waitFor(
        `${solo.name} alone to run new work`,
        async () =>
          (
            await pool.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM openclaw.run WHERE id = ANY($1::uuid[]) AND status = 'succeeded'`,
              [ids],
            )
          ).rows[0]!.n === ids.length,
        30_000,
      ).catch(() => false);
      ctx.check(ran === true, `${solo.name} runs work after the restarts`);
      other.thaw();
    }
    ctx.check(
      workers.every((w) => w.alive) && server.proc.alive,
      'no process exited (none restarted)',
      workers.map((w) => [w.name, w.alive]),
    );
    await ctx.finalInvariants(pool);

    const outputs = await checkRunOutputs(
      ctx,
      pool,
      [...ack, ...post.map((p, i) => ({ i, input: p.input, status: 201, id: p.id, requests: 1, ackAt: null }))],
      chainOutput,
    );
    const { rows: exec } = await pool.query<{ steps: number; claims: number; lease_expired: number; rejected: number; dup: number }>(
      `SELECT count(*)::int AS steps, coalesce(sum(lease_token), 0)::int AS claims,
              (SELECT count(*)::int FROM openclaw.step_attempt WHERE status = 'lease_expired') AS lease_expired,
              (SELECT count(*)::int FROM openclaw.step_attempt WHERE status = 'rejected') AS rejected,
              (SELECT count(*)::int FROM (SELECT step_id FROM openclaw.step_attempt WHERE status = 'succeeded' GROUP BY step_id HAVING count(*) > 1) d) AS dup
         FROM openclaw.step s JOIN openclaw.run r ON r.id = s.run_id WHERE r.workflow = 'r4'`,
    );
    const e = exec[0]!;
    ctx.check(e.dup === 0, 'no step has two accepted completions', e);
    const gap = await longestCompletionGap(
      pool,
      ack.map((r) => r.id!),
    );

    // R16: one run per key, and every acknowledgement of a key named it.
    const { rows: perKey } = await pool.query<{ key: string; runs: number; ids: string[] }>(
      `SELECT idempotency_key AS key, count(*)::int AS runs, array_agg(id::text) AS ids FROM openclaw.run WHERE workflow = 'r16' GROUP BY 1`,
    );
    const r16Failures: unknown[] = [];
    for (const key of keys) {
      const row = perKey.find((p) => p.key === key.key);
      const distinct = new Set(key.ids);
      if (row?.runs !== 1 || distinct.size !== 1 || !distinct.has(row.ids[0]!))
        r16Failures.push({ key: key.key, runs: row?.runs, answered: [...distinct] });
    }
    ctx.check(r16Failures.length === 0, 'R16: exactly one run per idempotency key, and every acknowledgement names it', r16Failures);
    ctx.check(perKey.length === KEYS, 'R16: one key per burst, no other runs', perKey.length);

    const conditions = await ctx.conditions({ workers: 2, slots: 4, lease_ttl_ms: 5000, heartbeat_ms: 800, feed_ms: FEED_MS });
    return [
      {
        scenario: 'R4',
        runs: RUNS,
        acknowledged: ack.length,
        succeeded: outputs.correct,
        lost: ack.length + post.length - outputs.correct,
        restarts: downtimes.length,
        downtime_ms: summarize(downtimes),
        last_restart_at: lastRestartAt.toISOString(),
        start_requests: fed.reduce((n, r) => n + r.requests, 0),
        start_requests_refused: fed.reduce((n, r) => n + r.requests - 1, 0),
        steps: e.steps,
        extra_executions: e.claims - e.steps,
        lease_expired: e.lease_expired,
        late_reports_refused: e.rejected,
        duplicate_completions: e.dup,
        longest_completion_gap_ms: gap,
        wall_s: round(chaosS, 1),
        processes_restarted: 0,
        invariants: ctx.invariantFigures(),
        conditions,
      },
      {
        scenario: 'R16',
        keys: KEYS,
        concurrent_starts_per_key: PER_KEY,
        start_requests: keys.reduce((n, k2) => n + k2.requests, 0),
        refused_while_down: keys.reduce((n, k2) => n + k2.refused, 0),
        runs_per_key_max: Math.max(0, ...perKey.map((p) => p.runs)),
        keys_with_one_run: perKey.filter((p) => p.runs === 1).length,
        distinct_ids_answered_per_key_max: Math.max(0, ...keys.map((k2) => new Set(k2.ids).size)),
        during: 'R4 restarts (each burst sent as PostgreSQL goes down)',
        invariants: ctx.invariantFigures(),
        conditions,
      },
    ];
  },
};

/** The longest time between two consecutive accepted completions of these runs (database clock). */
async function longestCompletionGap(pool: pg.Pool, runIds: string[]): Promise<number> {
  const { rows } = await pool.query<{ gap: number | null }>(
    `SELECT max(extract(epoch FROM g) * 1000)::float8 AS gap FROM (
       SELECT a.finished_at - lag(a.finished_at) OVER (ORDER BY a.finished_at) AS g
         FROM openclaw.step_attempt a JOIN openclaw.run r ON r.id = a.run_id
        WHERE a.status = 'succeeded' AND r.id = ANY($1::uuid[])) x`,
    [runIds],
  );
  return Math.round(rows[0]?.gap ?? 0);
}
