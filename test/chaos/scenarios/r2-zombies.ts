/**
 * R2: zombies. A worker Z is frozen (SIGSTOP) while its `http:` tasks are in flight — held open by
 * the scenario's endpoint, so the freeze lands mid-task — for longer than its lease. Its steps move
 * to worker H, which finishes every run. Then Z's requests are answered — a success for half of
 * them, a 500 (a retryable failure) for the other half — and Z is thawed (SIGCONT): it reports both
 * kinds late. Bar: every late result refused (a `rejected` attempt row, never an outcome), no run
 * failed or changed by it, and Z works normally afterwards.
 */
import { acknowledged } from '../lib/api.js';
import { CHAOS_TIMINGS, round, sleep, waitFor, type ChaosContext, type Scenario } from '../lib/context.js';
import { TaskServer, type TaskAnswer, type TaskRequest } from '../lib/task-server.js';

const spec = (name: string, path: string, port: number): string => `
name: ${name}
inputs: { type: object, properties: { n: { type: number } }, required: [n] }
steps:
  call: { http: { method: POST, url: "http://127.0.0.1:${port}/${path}", body: { n: "\${{ inputs.n }}" } }, timeout: 60s }
output: "\${{ steps.call.output.body }}"
`;

export const r2Zombies: Scenario = {
  id: 'R2',
  title: 'SIGSTOP a worker past its lease on succeeding and failing steps, then SIGCONT',
  async run(ctx: ChaosContext) {
    const PER_KIND = ctx.scale(2, 5);
    const url = await ctx.database('r2');
    const pool = ctx.pool(url);
    const Z = 'r2-zombie';
    const H = 'r2-healthy';
    // Z's requests wait here until released; everyone else is answered at once, naming who asked.
    const held: Array<{ req: TaskRequest; release: (a: TaskAnswer) => void }> = [];
    let holdZ = true;
    const server = new TaskServer(async (req) => {
      const { rows } = await pool.query<{ lease_owner: string | null }>(
        'SELECT lease_owner FROM openclaw.step WHERE run_id = $1 AND key = $2',
        [req.runId, req.stepKey],
      );
      const owner = rows[0]?.lease_owner ?? '?';
      if (owner === Z && holdZ) return await new Promise<TaskAnswer>((release) => held.push({ req, release }));
      return { status: 200, body: { by: owner, n: (req.body as { n: number }).n } };
    });
    await server.listen();
    ctx.defer(() => server.close());
    const env = { OPENCLAW_HTTP_ALLOW: server.allow };
    const api = (await ctx.server('r2-server', url)).api;
    await api.registerWorkflow(spec('r2ok', 'ok', server.port));
    await api.registerWorkflow(spec('r2fail', 'fail', server.port));
    ctx.watchInvariants(pool, { maxOverdueLeaseMs: Number(CHAOS_TIMINGS.OPENCLAW_SCHEDULER_TICK_MS) + 3_000 });

    const zombie = await ctx.worker(Z, url, { slots: 2 * PER_KIND, env });
    const runs: Array<{ id: string; kind: 'ok' | 'fail'; n: number }> = [];
    for (let n = 0; n < PER_KIND; n++) {
      for (const kind of ['ok', 'fail'] as const) {
        const res = await api.startRun(`r2${kind}`, { n }, `r2-${kind}-${n}`);
        if (!acknowledged(res.status) || !res.id) throw new Error(`R2: start answered ${res.status} ${JSON.stringify(res.body)}`);
        runs.push({ id: res.id, kind, n });
      }
    }
    // Every task is in flight on Z, its request held: freeze Z now.
    await waitFor('Z to call for every run', async () => held.length === runs.length, 60_000, 50);
    zombie.freeze();
    const frozenAt = await ctx.dbNow(pool);
    const t0 = Date.now();
    const healthy = await ctx.worker(H, url, { slots: 4, env });
    await waitFor(
      'every run to finish on H',
      async () =>
        (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM openclaw.run WHERE status = 'succeeded'`)).rows[0]!.n ===
        runs.length,
      60_000,
    );
    // Past its lease by a margin, whatever the timing of the takeover.
    await sleep(Math.max(0, t0 + Number(CHAOS_TIMINGS.OPENCLAW_LEASE_TTL_MS) + 1_000 - Date.now()));
    // Z's answers: a success to every `ok` request, a 500 (retryable failure) to every `fail` one.
    for (const h of held)
      h.release(h.req.path === '/ok' ? { status: 200, body: { by: Z, n: -1 } } : { status: 500, body: { error: 'late' } });
    const frozenMs = Date.now() - t0;
    zombie.thaw();
    await waitFor(
      "Z's late reports",
      async () =>
        (
          await pool.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM openclaw.step_attempt WHERE worker = $1 AND status = 'rejected'`,
            [Z],
          )
        ).rows[0]!.n >= runs.length,
      30_000,
    );
    // A moment for anything Z might (wrongly) still do.
    await sleep(1_000);

    const { rows: zAttempts } = await pool.query<{ status: string; message: string | null; n: number }>(
      `SELECT status, error->>'message' AS message, count(*)::int AS n FROM openclaw.step_attempt WHERE worker = $1 GROUP BY 1, 2`,
      [Z],
    );
    const count = (status: string, like?: RegExp): number =>
      zAttempts.filter((a) => a.status === status && (!like || like.test(a.message ?? ''))).reduce((n, a) => n + a.n, 0);
    const lateSuccess = count('rejected', /late success dropped/);
    const lateFailure = count('rejected', /late failure dropped/);
    const accepted = count('succeeded') + count('failed');
    ctx.check(frozenMs > Number(CHAOS_TIMINGS.OPENCLAW_LEASE_TTL_MS), 'Z stayed frozen past its lease', { frozenMs });
    ctx.check(count('lease_expired') === runs.length, "every one of Z's leases expired and was reclaimed", zAttempts);
    ctx.check(lateSuccess === PER_KIND, 'every late success was refused', zAttempts);
    ctx.check(lateFailure === PER_KIND, 'every late failure was refused', zAttempts);
    ctx.check(accepted === 0, 'no outcome of Z was accepted after its lease expired', zAttempts);

    const { rows: outcome } = await pool.query<{ id: string; status: string; output: { by: string; n: number } | null }>(
      'SELECT id::text, status, output FROM openclaw.run WHERE id = ANY($1::uuid[])',
      [runs.map((r) => r.id)],
    );
    const wrong = outcome.filter((o) => {
      const r = runs.find((x) => x.id === o.id)!;
      return o.status !== 'succeeded' || o.output?.by !== H || o.output.n !== r.n;
    });
    ctx.check(wrong.length === 0, "every run succeeded with H's result (the late results changed nothing)", wrong);
    const { rows: dead } = await pool.query('SELECT step_key FROM openclaw.dead_letter');
    ctx.check(dead.length === 0, 'no dead letters', dead);

    // Z is not wedged: with H frozen, Z alone runs new work to the end.
    holdZ = false;
    healthy.freeze();
    const after: string[] = [];
    for (let n = 100; n < 102; n++) {
      const res = await api.startRun('r2ok', { n }, `r2-after-${n}`);
      if (res.id) after.push(res.id);
    }
    const zWorks = await waitFor(
      'Z to run new work',
      async () => {
        const { rows } = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM openclaw.run WHERE id = ANY($1::uuid[]) AND status = 'succeeded' AND output->>'by' = $2`,
          [after, Z],
        );
        return rows[0]!.n === after.length;
      },
      30_000,
    ).catch(() => false);
    ctx.check(zWorks === true, 'Z runs new work after its thaw', after);
    healthy.thaw();
    const zLog = zombie.tail(4000);
    await ctx.finalInvariants(pool);

    return [
      {
        scenario: 'R2',
        zombie_steps: runs.length,
        frozen_ms: frozenMs,
        frozen_at: frozenAt.toISOString(),
        leases_reclaimed: count('lease_expired'),
        late_successes_refused: lateSuccess,
        late_failures_refused: lateFailure,
        late_results_accepted: accepted,
        runs_changed_by_late_results: wrong.length,
        zombie_logged_drops: (zLog.match(/late completion dropped/g) ?? []).length,
        zombie_works_after: zWorks === true,
        invariants: ctx.invariantFigures(),
        conditions: await ctx.conditions({ workers: 2, wall_s: round(ctx.elapsedS(), 1) }),
      },
    ];
  },
};
