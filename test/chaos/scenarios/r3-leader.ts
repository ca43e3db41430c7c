/**
 * R3: two `openclaw server` processes, each with the scheduler loop; the one holding the leader
 * lock is SIGKILLed (and a new server started) or frozen with SIGSTOP past the leader's stale
 * bound and thawed, in turn, every 4-6 s. Meanwhile the scheduler has work in flight all the time:
 * durable timers, signal waits that time out, run deadlines, a cron schedule firing every second
 * (catchUp: all), and expired leases (a worker SIGKILLed now and then with steps in hand). When the
 * leader is frozen, the other server acts without the lock (its heartbeat went stale), and the
 * frozen one resumes in the middle of its own tick when thawed: two schedulers acting at once.
 * Bar: each timer, timeout, deadline, tick and expired lease acted on exactly once, none lost;
 * dispatch resumes within seconds of each fault.
 */
import { acknowledged, type Api } from '../lib/api.js';
import {
  between,
  CHAOS_TIMINGS,
  Fleet,
  round,
  sleep,
  summarize,
  waitFor,
  type ChaosContext,
  type Scenario,
  type ServerHandle,
} from '../lib/context.js';

const TIMER = `
name: timer
start: nap
states:
  nap: { wait: { for: 1500ms }, next: done }
  done: { run: echo, with: { ok: true }, end: true }
`;

const SIGNAL_TIMEOUT = `
name: sigwait
start: ask
states:
  ask: { wait: { signal: never, timeout: 1500ms }, next: unreachable, onTimeout: done }
  unreachable: { run: noop, end: true }
  done: { run: echo, with: { timedOut: true }, end: true }
`;

const DEADLINE = `
name: deadline
timeout: 2s
steps:
  long: { run: sleep, with: { ms: 30000 } }
`;

const LEASED = `
name: leased
steps:
  hold: { run: sleep, with: { ms: 2500 } }
  after: { needs: [hold], run: echo, with: { ok: true } }
`;

const TICKER = `
name: ticker
triggers:
  - cron: "* * * * * *"
    catchUp: all
steps:
  t: { run: noop }
`;

export const r3Leader: Scenario = {
  id: 'R3',
  title:
    'two schedulers; the leader SIGKILLed and SIGSTOPped in turn while timers, timeouts, deadlines, cron ticks and expired leases are due',
  async run(ctx: ChaosContext) {
    const CHAOS_MS = ctx.scale(30_000, 90_000);
    const ttl = Number(CHAOS_TIMINGS.OPENCLAW_LEASE_TTL_MS);
    const stale = Number(CHAOS_TIMINGS.OPENCLAW_LEADER_STALE_MS);
    /** A frozen leader stays frozen past the stale bound by 2 s. */
    const FREEZE_MS = stale + 2_000;
    const url = await ctx.database('r3');
    const pool = ctx.pool(url);
    const servers: ServerHandle[] = await Promise.all([ctx.server('r3-s1', url), ctx.server('r3-s2', url)]);
    const everyServer = [...servers];
    let serverSeq = 2;
    for (const spec of [TIMER, SIGNAL_TIMEOUT, DEADLINE, LEASED]) await servers[0]!.api.registerWorkflow(spec);
    const fleet = new Fleet(ctx, url, 'r3-w', { slots: 4 });
    await fleet.start(2);
    ctx.watchInvariants(pool);

    const leaderPid = async (): Promise<number | null> => {
      const { rows } = await pool.query<{ holder: string }>('SELECT holder FROM openclaw.scheduler_leader');
      const pid = Number(rows[0]?.holder.split(':')[1]);
      return Number.isFinite(pid) ? pid : null;
    };
    const usable = (): Api => (servers.find((s) => s.proc.alive && !s.proc.frozen) ?? servers[0]!).api;
    const started: Record<string, string[]> = { timer: [], sigwait: [], deadline: [], leased: [] };
    const start = async (workflow: string, key: string): Promise<void> => {
      for (let i = 0; i < 50; i++) {
        try {
          const res = await usable().startRun(workflow, {}, key);
          if (acknowledged(res.status) && res.id) {
            started[workflow]!.push(res.id);
            return;
          }
        } catch {
          // that server died or froze under us: the other one, same key
        }
        await sleep(200);
      }
      throw new Error(`R3: could not start ${workflow} ${key}`);
    };

    await servers[0]!.api.registerWorkflow(TICKER);
    const t0 = Date.now();
    let stop = false;
    // Load: every ~400 ms one of the four kinds, so something of each is always due.
    let seq = 0;
    const load = (async () => {
      while (!stop) {
        const kind = ['timer', 'sigwait', 'deadline', 'leased'][seq % 4]!;
        await start(kind, `${kind}-${seq++}`);
        await sleep(400);
      }
    })();
    // Workers die now and then with leases in hand (expired leases for the reaper).
    const workerKills = (async () => {
      while (!stop) {
        await sleep(between(5_000, 7_000));
        if (stop) break;
        if (fleet.live.length < 2) await fleet.settle();
        const victim = fleet.live[Math.floor(Math.random() * fleet.live.length)]!;
        await fleet.crash(victim, pool);
      }
    })();

    // The faults on the leader.
    const faults: Array<{ kind: 'kill' | 'freeze'; at: Date; takeoverMs: number | null }> = [];
    let n = 0;
    while (Date.now() - t0 < CHAOS_MS) {
      await sleep(between(4_000, 6_000));
      const pid = await leaderPid();
      const leader = servers.find((s) => s.proc.pid === pid && s.proc.alive);
      if (!leader) continue;
      const kind = n++ % 2 === 0 ? 'kill' : 'freeze';
      const at = await ctx.dbNow(pool);
      if (kind === 'kill') {
        await leader.proc.kill();
        servers.splice(servers.indexOf(leader), 1);
        // A new server joins in the background (the old one is not restarted: a new process).
        void ctx.server(`r3-s${++serverSeq}`, url).then(
          (s) => {
            servers.push(s);
            everyServer.push(s);
          },
          (err: unknown) => ctx.check(false, 'a new server started', String(err)),
        );
      } else {
        leader.proc.freeze();
      }
      // Dispatch resumes: another process acts (kill: it takes the lock; freeze: it rescues, the
      // lock still held by the frozen one, so the heartbeat row moves only after the thaw).
      const takeover = await waitFor(
        'another scheduler to act',
        async () => {
          const { rows } = await pool.query<{ holder: string; fresh: boolean }>(
            `SELECT holder, heartbeat_at > $1 AS fresh FROM openclaw.scheduler_leader`,
            [at],
          );
          if (kind === 'kill') return rows[0]?.fresh && Number(rows[0].holder.split(':')[1]) !== pid ? await ctx.dbNow(pool) : null;
          // Rescue: a due timer or reaped lease acted on after the freeze began.
          const acted = await pool.query(
            `SELECT 1 FROM openclaw.run_event WHERE created_at > $1 AND type IN ('step.timed_out', 'step.lease_expired', 'run.failed')
              UNION ALL SELECT 1 FROM openclaw.run_event WHERE created_at > $1 AND type = 'step.succeeded' AND data ? 'timer' LIMIT 1`,
            [at],
          );
          return acted.rows.length > 0 ? await ctx.dbNow(pool) : null;
        },
        // Never longer than the freeze itself lasts: a frozen leader is thawed on time.
        kind === 'kill' ? 30_000 : FREEZE_MS,
        50,
      ).catch(() => null);
      faults.push({ kind, at, takeoverMs: takeover ? takeover.getTime() - at.getTime() : null });
      if (kind === 'freeze') {
        await sleep(Math.max(0, FREEZE_MS - (Date.now() - at.getTime())));
        leader.proc.thaw();
      }
    }
    stop = true;
    await load;
    await workerKills;
    await fleet.settle();
    for (const s of servers) if (s.proc.frozen) s.proc.thaw();
    await servers[0]!.api.request('DELETE', '/v1/workflows/ticker');
    await waitFor(
      'every run to finish',
      async () =>
        (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM openclaw.run WHERE status IN ('queued', 'running', 'waiting')`))
          .rows[0]!.n === 0,
      120_000,
      250,
    );
    await ctx.finalInvariants(pool);

    // Exactly once, each kind.
    const once = async (sql: string, ids: string[]): Promise<Array<{ run_id: string; n: number; late_ms: number | null }>> =>
      (await pool.query<{ run_id: string; n: number; late_ms: number | null }>(sql, [ids])).rows;
    const timers = await once(
      `SELECT r.id::text AS run_id,
              (SELECT count(*)::int FROM openclaw.run_event e WHERE e.run_id = r.id AND e.step_key = 'nap' AND e.type = 'step.succeeded') AS n,
              (SELECT (extract(epoch FROM f.created_at - w.created_at) * 1000 - 1500)::float8
                 FROM openclaw.run_event w, openclaw.run_event f
                WHERE w.run_id = r.id AND w.step_key = 'nap' AND w.type = 'step.waiting'
                  AND f.run_id = r.id AND f.step_key = 'nap' AND f.type = 'step.succeeded' LIMIT 1) AS late_ms
         FROM openclaw.run r WHERE r.id = ANY($1::uuid[])`,
      started.timer!,
    );
    const timeouts = await once(
      `SELECT r.id::text AS run_id,
              (SELECT count(*)::int FROM openclaw.run_event e WHERE e.run_id = r.id AND e.step_key = 'ask' AND e.type = 'step.timed_out') AS n,
              (SELECT (extract(epoch FROM f.created_at - w.created_at) * 1000 - 1500)::float8
                 FROM openclaw.run_event w, openclaw.run_event f
                WHERE w.run_id = r.id AND w.step_key = 'ask' AND w.type = 'step.waiting'
                  AND f.run_id = r.id AND f.step_key = 'ask' AND f.type = 'step.timed_out' LIMIT 1) AS late_ms
         FROM openclaw.run r WHERE r.id = ANY($1::uuid[])`,
      started.sigwait!,
    );
    const deadlines = await once(
      `SELECT r.id::text AS run_id,
              (SELECT count(*)::int FROM openclaw.run_event e WHERE e.run_id = r.id AND e.type = 'run.failed'
                 AND e.data->'error'->>'name' = 'DeadlineExceeded') AS n,
              (extract(epoch FROM r.finished_at - r.started_at) * 1000 - 2000)::float8 AS late_ms
         FROM openclaw.run r WHERE r.id = ANY($1::uuid[])`,
      started.deadline!,
    );
    const { rows: doneSteps } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM openclaw.step_attempt a JOIN openclaw.step s ON s.id = a.step_id
        WHERE a.run_id = ANY($1::uuid[]) AND s.key = 'done' AND a.status = 'succeeded'`,
      [[...started.timer!, ...started.sigwait!]],
    );
    for (const [what, rows] of [
      ['timer', timers],
      ['signal timeout', timeouts],
      ['deadline', deadlines],
    ] as const) {
      ctx.check(
        rows.every((r) => r.n === 1),
        `every ${what} acted on exactly once`,
        rows.filter((r) => r.n !== 1),
      );
    }
    ctx.check(
      doneSteps[0]!.n === started.timer!.length + started.sigwait!.length,
      'the state after each timer ran exactly once',
      doneSteps[0],
    );
    const { rows: okRuns } = await pool.query<{ workflow: string; status: string; n: number }>(
      `SELECT workflow, status, count(*)::int AS n FROM openclaw.run WHERE workflow <> 'ticker' GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    const bad = okRuns.filter((r) => (r.workflow === 'deadline' ? r.status !== 'failed' : r.status !== 'succeeded'));
    ctx.check(bad.length === 0, 'every run ended as it should (deadline runs failed, the rest succeeded)', okRuns);
    // Cron with catchUp: all: every second between the first and the last tick fired, once.
    const { rows: fires } = await pool.query<{ fire_at: Date; late_ms: number; run_id: string | null }>(
      `SELECT fire_at, (extract(epoch FROM created_at - fire_at) * 1000)::float8 AS late_ms, run_id::text FROM openclaw.schedule_fire ORDER BY fire_at`,
    );
    const span =
      fires.length > 1 ? Math.round((fires[fires.length - 1]!.fire_at.getTime() - fires[0]!.fire_at.getTime()) / 1000) + 1 : fires.length;
    ctx.check(fires.length === span && fires.every((f) => f.run_id !== null), 'every cron tick fired once, none missed (catchUp: all)', {
      fires: fires.length,
      span,
    });
    // Expired leases: each lost claim reclaimed once (the checker: one outcome per lease), and only killed workers lost any.
    const { rows: lost } = await pool.query<{ worker: string; finished_at: Date }>(
      `SELECT worker, finished_at FROM openclaw.step_attempt WHERE status = 'lease_expired'`,
    );
    const spurious = lost.filter((l) => !fleet.killed.has(l.worker));
    ctx.check(spurious.length === 0, 'only killed workers lost leases', spurious);
    ctx.check(lost.length > 0, 'workers died with leases in hand (or the reaper was not exercised)');
    const reapLate = lost
      .filter((l) => fleet.killed.has(l.worker))
      .map((l) => l.finished_at.getTime() - fleet.killed.get(l.worker)!.at.getTime() - ttl);
    const rescues = everyServer.reduce((c, s) => c + (s.proc.tail(4000).match(/heartbeat is stale; acting this tick/g) ?? []).length, 0);
    // What is due during a freeze waits for the stale bound, and what the frozen leader had locked
    // waits for the thaw (the others' passes skip it after MAINTENANCE_LOCK_TIMEOUT_MS): the freeze,
    // a tick and 2 s for a loaded machine.
    const bound = FREEZE_MS + Number(CHAOS_TIMINGS.OPENCLAW_SCHEDULER_TICK_MS) + 2_000;
    const lateness = {
      timer: summarize(timers.map((r) => Math.round(r.late_ms ?? 0))),
      signal_timeout: summarize(timeouts.map((r) => Math.round(r.late_ms ?? 0))),
      deadline: summarize(deadlines.map((r) => Math.round(r.late_ms ?? 0))),
      cron: summarize(fires.map((f) => Math.round(f.late_ms))),
      lease_reclaim_after_expiry: summarize(reapLate),
    };
    for (const [what, s] of Object.entries(lateness)) {
      ctx.check((s.max ?? 0) <= bound, `${what}: acted on within the freeze + tick + 2 s (${bound} ms) of its time`, s);
    }
    const takeovers = faults.map((f) => f.takeoverMs);
    ctx.check(
      takeovers.every((ms) => ms !== null && ms <= bound),
      `after every fault another scheduler acted within ${bound} ms`,
      faults,
    );

    return [
      {
        scenario: 'R3',
        leader_kills: faults.filter((f) => f.kind === 'kill').length,
        leader_freezes: faults.filter((f) => f.kind === 'freeze').length,
        takeover_ms: {
          kill: summarize(faults.filter((f) => f.kind === 'kill' && f.takeoverMs !== null).map((f) => f.takeoverMs!)),
          freeze: summarize(faults.filter((f) => f.kind === 'freeze' && f.takeoverMs !== null).map((f) => f.takeoverMs!)),
        },
        rescue_ticks_logged: rescues,
        timers: timers.length,
        signal_timeouts: timeouts.length,
        deadlines: deadlines.length,
        cron_ticks: fires.length,
        cron_missed: span - fires.length,
        leases_reclaimed: lost.length,
        worker_kills: fleet.killed.size,
        acted_twice: [...timers, ...timeouts, ...deadlines].filter((r) => r.n > 1).length,
        lost: [...timers, ...timeouts, ...deadlines].filter((r) => r.n === 0).length,
        lateness_ms: lateness,
        invariants: ctx.invariantFigures(),
        conditions: await ctx.conditions({
          servers: 2,
          workers: 2,
          slots: 4,
          leader_stale_ms: stale,
          chaos_ms: CHAOS_MS,
          wall_s: round(ctx.elapsedS(), 1),
        }),
      },
    ];
  },
};
