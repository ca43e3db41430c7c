/**
 * R19: the PostgreSQL leader killed under Patroni. A two-node PostgreSQL 15 cluster with synchronous
 * replication, etcd and HAProxy (lib/patroni.ts); one `openclaw server` and two `openclaw worker`
 * processes connect through HAProxy. Under load — runs of a 3-step chain started over HTTP (each
 * start retried with its idempotency key until acknowledged), durable timers, signal waits answered
 * over HTTP, a cron schedule firing every second (catchUp: all) — the leader's Patroni and
 * postmaster are SIGKILLed; Patroni promotes the replica. In the full run the old leader then
 * rejoins (pg_rewind) as the synchronous standby and the new leader is killed too.
 *
 * Bar: every run whose start was acknowledged finishes with the right output; no completion is
 * applied twice; no OpenClaw process is restarted (each reconnects, the scheduler leads again, each
 * worker runs work after the failover). Figures: failover time, the gap in completions, the time
 * until the scheduler's leader lock is held again, requests refused meanwhile, runs in flight.
 */
import pg from 'pg';
import { acknowledged } from '../lib/api.js';
import { round, sleep, summarize, waitFor, type ChaosContext, type Scenario } from '../lib/context.js';
import { chainOutput, chainSpec, checkRunOutputs, feedRuns } from '../lib/load.js';
import { PATRONI_DCS, PatroniCluster } from '../lib/patroni.js';
import { runCli } from '../lib/processes.js';

const CHAIN = chainSpec('chain');

const TIMER = `
name: timer
start: nap
states:
  nap: { wait: { for: 2s }, next: done }
  done: { run: echo, with: { ok: true }, end: true }
`;

const SIGNAL = `
name: approval
start: ask
states:
  ask: { wait: { signal: go, timeout: 5m }, next: done }
  done: { run: echo, with: { by: "\${{ states.ask.output.by }}" }, end: true }
`;

const TICKER = `
name: ticker
triggers:
  - cron: "* * * * * *"
    catchUp: all
steps:
  t: { run: noop }
`;

/** Production-like leases: a failover (about 5-10 s) may cost leases; correctness must not depend on it. */
const HA_TIMINGS = { OPENCLAW_LEASE_TTL_MS: '10000', OPENCLAW_HEARTBEAT_MS: '1000', OPENCLAW_LEADER_STALE_MS: '15000' };

export const r19Patroni: Scenario = {
  id: 'R19',
  title: 'the PostgreSQL leader killed under Patroni (sync replication, HAProxy) during load',
  async run(ctx: ChaosContext) {
    const missing = PatroniCluster.missing();
    if (missing.length > 0) {
      throw new Error(
        `R19 needs ${missing.join(', ')}: run \`sudo bash scripts/patroni-setup.sh\` (Debian: apt-get install patroni etcd-server etcd-client haproxy python3-psycopg2 postgresql-15)`,
      );
    }
    const FAILOVERS = ctx.scale(1, 2);
    const LOAD_MS = ctx.scale(24_000, 60_000);
    const RUNS = ctx.scale(120, 400);
    const cluster = await PatroniCluster.create(ctx.logDir);
    ctx.defer(() => cluster.destroy());
    // The database, through HAProxy; migrated by the CLI.
    const admin = new pg.Client({ connectionString: cluster.url() });
    admin.on('error', () => undefined);
    await admin.connect();
    await admin.query('CREATE DATABASE chaos');
    const sync = (await admin.query<{ s: string }>(`SELECT current_setting('synchronous_standby_names') AS s`)).rows[0]!.s;
    const commit = (await admin.query<{ s: string }>(`SELECT current_setting('synchronous_commit') AS s`)).rows[0]!.s;
    await admin.end();
    const url = cluster.url('chaos');
    await runCli('r19-migrate', ['migrate'], { env: ctx.env(url, HA_TIMINGS), logDir: ctx.logDir });
    const pool = ctx.pool(url);
    const server = await ctx.server('r19-server', url, HA_TIMINGS);
    const workers = [
      await ctx.worker('r19-w1', url, { slots: 4, env: HA_TIMINGS }),
      await ctx.worker('r19-w2', url, { slots: 4, env: HA_TIMINGS }),
    ];
    const { api } = server;
    for (const spec of [CHAIN, TIMER, SIGNAL, TICKER]) await api.registerWorkflow(spec);
    ctx.watchInvariants(pool);

    // Load: the chain runs, plus a timer run and a signal run every second, each signal sent 1 s later.
    const t0 = Date.now();
    const feed = feedRuns(api, 'chain', RUNS, LOAD_MS, (i) => ({ n: i }), { giveUpMs: 180_000 });
    const extra: Array<{ workflow: string; id: string }> = [];
    let extraRefused = 0;
    const retrying = async <T>(fn: () => Promise<T | null>): Promise<T> => {
      for (let i = 0; ; i++) {
        try {
          const v = await fn();
          if (v !== null) return v;
        } catch {
          // through HAProxy during a failover: refused or reset
        }
        extraRefused++;
        if (i > 900) throw new Error('R19: a request was refused for 3 minutes');
        await sleep(200);
      }
    };
    const side = (async () => {
      for (let i = 0; Date.now() - t0 < LOAD_MS; i++) {
        const timer = await retrying(async () => {
          const r = await api.startRun('timer', {}, `timer-${i}`);
          return acknowledged(r.status) ? r.id : null;
        });
        extra.push({ workflow: 'timer', id: timer! });
        const approval = await retrying(async () => {
          const r = await api.startRun('approval', {}, `approval-${i}`);
          return acknowledged(r.status) ? r.id : null;
        });
        extra.push({ workflow: 'approval', id: approval! });
        void sleep(1_000)
          .then(() =>
            retrying(async () => {
              const r = await api.signal(approval!, 'go', { by: `signal-${i}` });
              return r.status === 202 ? true : null;
            }),
          )
          .catch((err: unknown) => ctx.check(false, 'every signal was delivered', String(err)));
        await sleep(1_000);
      }
    })();

    // The failovers.
    const failovers: Array<Record<string, unknown>> = [];
    for (let f = 0; f < FAILOVERS; f++) {
      await sleep(Math.max(0, t0 + ((f + 0.4) * LOAD_MS) / FAILOVERS - Date.now()));
      const standby = await cluster.waitSyncStandby(120_000);
      const leader = await cluster.leader();
      if (!leader) throw new Error('R19: no leader before the kill');
      const inFlight = (
        await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM openclaw.run WHERE status IN ('queued', 'running', 'waiting')`)
      ).rows[0]!.n;
      const killedAt = Date.now();
      await cluster.kill(leader);
      await cluster.waitWritable(120_000);
      const writableMs = Date.now() - killedAt;
      const newLeader = await cluster.leader();
      // The engine's own recovery: the scheduler's leader lock held again, a start acknowledged, a step completed.
      const lockMs = await waitFor(
        'the scheduler to lead again',
        async () => {
          const { rows } = await pool.query<{ t: Date }>('SELECT heartbeat_at AS t FROM openclaw.scheduler_leader');
          return rows[0] && rows[0].t.getTime() > killedAt ? rows[0].t.getTime() - killedAt : null;
        },
        120_000,
        100,
      );
      const completedMs = await waitFor(
        'a step to complete',
        async () => {
          const { rows } = await pool.query<{ t: Date | null }>(
            `SELECT min(finished_at) AS t FROM openclaw.step_attempt WHERE status = 'succeeded' AND finished_at > $1`,
            [new Date(killedAt)],
          );
          return rows[0]?.t ? rows[0].t.getTime() - killedAt : null;
        },
        120_000,
        100,
      );
      failovers.push({
        killed: leader.name,
        sync_standby_before: standby,
        promoted: newLeader?.name ?? null,
        runs_in_flight: inFlight,
        writable_after_ms: writableMs,
        scheduler_leads_after_ms: lockMs,
        first_completion_after_ms: completedMs,
        killed_at: new Date(killedAt).toISOString(),
      });
      ctx.log(`failover ${f + 1}: ${leader.name} -> ${newLeader?.name}, writable after ${writableMs} ms`);
      // The old leader rejoins as a replica (pg_rewind) for the next failover.
      if (f + 1 < FAILOVERS) cluster.startPatroni(leader);
    }
    const fed = await feed.finished;
    await side;
    await api.request('DELETE', '/v1/workflows/ticker').catch(() => undefined);
    await waitFor(
      'every run to finish',
      async () =>
        (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM openclaw.run WHERE status IN ('queued', 'running', 'waiting')`))
          .rows[0]!.n === 0,
      180_000,
      250,
    );
    const loadS = (Date.now() - t0) / 1000;

    // No process restarted: each worker alone runs new work, the scheduler leads.
    const lastKill = Date.parse(String(failovers[failovers.length - 1]!.killed_at));
    const { rows: byWorker } = await pool.query<{ worker: string; n: number }>(
      `SELECT worker, count(*)::int AS n FROM openclaw.step_attempt WHERE status = 'succeeded' AND finished_at > $1 GROUP BY 1`,
      [new Date(lastKill)],
    );
    for (const w of workers)
      ctx.check((byWorker.find((b) => b.worker === w.name)?.n ?? 0) > 0, `${w.name} completed steps after the failover`, byWorker);
    ctx.check(workers.every((w) => w.alive) && server.proc.alive, 'no OpenClaw process exited (none restarted)');
    await ctx.finalInvariants(pool);

    const ack = fed.filter((r) => acknowledged(r.status));
    ctx.check(ack.length === RUNS, 'every chain start was acknowledged in the end', { acknowledged: ack.length, of: RUNS });
    const outputs = await checkRunOutputs(ctx, pool, ack, chainOutput);
    const { rows: sideRuns } = await pool.query<{ workflow: string; status: string; n: number }>(
      `SELECT workflow, status, count(*)::int AS n FROM openclaw.run WHERE id = ANY($1::uuid[]) GROUP BY 1, 2`,
      [extra.map((e) => e.id)],
    );
    const sideOk = sideRuns.filter((r) => r.status === 'succeeded').reduce((n, r) => n + r.n, 0);
    ctx.check(sideOk === extra.length, 'every acknowledged timer and signal run succeeded (none lost)', sideRuns);
    const { rows: fires } = await pool.query<{ fire_at: Date; late_ms: number }>(
      `SELECT fire_at, (extract(epoch FROM created_at - fire_at) * 1000)::float8 AS late_ms FROM openclaw.schedule_fire ORDER BY fire_at`,
    );
    const span =
      fires.length > 1 ? Math.round((fires[fires.length - 1]!.fire_at.getTime() - fires[0]!.fire_at.getTime()) / 1000) + 1 : fires.length;
    ctx.check(fires.length === span, 'every cron tick fired once across the failovers (catchUp: all)', { fires: fires.length, span });
    const { rows: gap } = await pool.query<{ gap: number | null }>(
      `SELECT max(extract(epoch FROM g) * 1000)::float8 AS gap FROM (
         SELECT finished_at - lag(finished_at) OVER (ORDER BY finished_at) AS g FROM openclaw.step_attempt WHERE status = 'succeeded') x`,
    );
    const { rows: att } = await pool.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM openclaw.step_attempt GROUP BY 1',
    );
    const { rows: dup } = await pool.query(
      `SELECT step_id FROM openclaw.step_attempt WHERE status = 'succeeded' GROUP BY step_id HAVING count(*) > 1`,
    );
    ctx.check(dup.length === 0, 'no completion applied twice', dup);

    return [
      {
        scenario: 'R19',
        failovers,
        chain_runs: RUNS,
        acknowledged: ack.length,
        succeeded: outputs.correct,
        lost: ack.length - outputs.correct,
        timer_and_signal_runs: extra.length,
        timer_and_signal_lost: extra.length - sideOk,
        start_requests_refused: fed.reduce((n, r) => n + r.requests - 1, 0) + extraRefused,
        first_start_acknowledged_after_kill_ms: failovers.map((f) => {
          const at = Date.parse(String(f.killed_at));
          const next = fed.map((r) => r.ackAt ?? Infinity).filter((t) => t > at);
          return next.length ? Math.min(...next) - at : null;
        }),
        cron_ticks: fires.length,
        cron_missed: span - fires.length,
        cron_lateness_ms: summarize(fires.map((x) => Math.round(x.late_ms))),
        longest_completion_gap_ms: Math.round(gap[0]?.gap ?? 0),
        attempts: Object.fromEntries(att.map((a) => [a.status, a.n])),
        duplicate_completions: dup.length,
        processes_restarted: 0,
        load_s: round(loadS, 1),
        invariants: ctx.invariantFigures(),
        conditions: await ctx.conditions({
          pg: 'PostgreSQL 15 (Debian) x2 under Patroni, etcd, HAProxy',
          fsync: 'on',
          synchronous_commit: commit,
          synchronous_standby_names: sync,
          patroni_dcs: PATRONI_DCS,
          lease_ttl_ms: Number(HA_TIMINGS.OPENCLAW_LEASE_TTL_MS),
          heartbeat_ms: Number(HA_TIMINGS.OPENCLAW_HEARTBEAT_MS),
          workers: 2,
          slots: 4,
        }),
      },
    ];
  },
};
