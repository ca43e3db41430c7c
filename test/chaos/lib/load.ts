/**
 * Load and the ledgers the scenarios judge it by: runs started over HTTP at a steady rate (retried
 * with the same idempotency key until acknowledged), their outputs checked against what they
 * should be, and every task execution accounted for.
 */
import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import { acknowledged, type Api } from './api.js';
import { sleep, type ChaosContext } from './context.js';

/**
 * A three-step chain whose output shows that each step ran with what the one before gave it:
 * `{n, double: 2n}` for input `{n}` (`chainOutput`, for checkRunOutputs).
 */
export function chainSpec(name: string): string {
  return `
name: ${name}
inputs: { type: object, properties: { n: { type: number } }, required: [n] }
steps:
  a: { run: echo, with: { double: "\${{ inputs.n * 2 }}" } }
  b: { needs: [a], run: sleep, with: { ms: 100 } }
  c: { needs: [b], run: echo, with: { n: "\${{ inputs.n }}", double: "\${{ steps.a.output.double }}" } }
output: "\${{ steps.c.output }}"
`;
}

/** What a chainSpec run's output must be. */
export const chainOutput = (input: Record<string, number>): unknown => ({ n: input.n, double: (input.n ?? 0) * 2 });

export interface FedRun {
  i: number;
  input: Record<string, number>;
  /** The acknowledging status (201/200), or the last one seen when the start was given up. */
  status: number;
  id: string | null;
  /** Requests sent for this start (1 when the first was acknowledged). */
  requests: number;
  /** This process's clock when the start was acknowledged (null: never). */
  ackAt: number | null;
}

/**
 * Starts `count` runs of `workflow`, spread evenly over `overMs`, each with its own idempotency key.
 * A start that fails (network error, 5xx: the database may be down) is retried with the same key
 * every 200 ms until acknowledged or `giveUpMs` passed; 4xx answers are final.
 */
export function feedRuns(
  api: Api,
  workflow: string,
  count: number,
  overMs: number,
  input: (i: number) => Record<string, number>,
  opts: { keyPrefix?: string; giveUpMs?: number } = {},
): { finished: Promise<FedRun[]> } {
  const t0 = Date.now();
  const prefix = opts.keyPrefix ?? `feed-${workflow}`;
  const one = async (i: number): Promise<FedRun> => {
    await sleep(Math.max(0, t0 + (i * overMs) / count - Date.now()));
    const run: FedRun = { i, input: input(i), status: 0, id: null, requests: 0, ackAt: null };
    const end = Date.now() + (opts.giveUpMs ?? 120_000);
    for (;;) {
      run.requests++;
      try {
        const res = await api.startRun(workflow, run.input, `${prefix}-${i}`);
        run.status = res.status;
        run.id = res.id;
        if (acknowledged(res.status)) {
          run.ackAt = Date.now();
          return run;
        }
        if (res.status >= 400 && res.status < 500) return run;
      } catch {
        run.status = -1; // network error
      }
      if (Date.now() > end) return run;
      await sleep(200);
    }
  };
  return { finished: Promise.all(Array.from({ length: count }, (_, i) => one(i))) };
}

/** Checks that every acknowledged run succeeded with the expected output; returns how many did. */
export async function checkRunOutputs(
  ctx: ChaosContext,
  pool: pg.Pool,
  runs: FedRun[],
  expected: (input: Record<string, number>) => unknown,
): Promise<{ correct: number; statuses: Record<string, number> }> {
  const ids = runs.map((r) => r.id).filter((id): id is string => id !== null);
  const { rows } = await pool.query<{ id: string; status: string; output: unknown; error: unknown }>(
    'SELECT id::text, status, output, error FROM openclaw.run WHERE id = ANY($1::uuid[])',
    [ids],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const wrong: unknown[] = [];
  const statuses: Record<string, number> = {};
  let correct = 0;
  for (const r of runs) {
    const row = r.id ? byId.get(r.id) : undefined;
    statuses[row?.status ?? 'missing'] = (statuses[row?.status ?? 'missing'] ?? 0) + 1;
    if (row?.status === 'succeeded' && isDeepStrictEqual(row.output, expected(r.input))) correct++;
    else if (wrong.length < 10)
      wrong.push({ run: r.id, input: r.input, status: row?.status ?? 'missing', output: row?.output, error: row?.error });
  }
  ctx.check(correct === runs.length, `every acknowledged run succeeded with its output (${correct} of ${runs.length})`, wrong);
  return { correct, statuses };
}

export interface ExecutionLedger {
  steps: number;
  /** Executions beyond one per step that were not the step's own retries (failed attempts). */
  extraExecutions: number;
  leaseExpired: number;
  /** lease_expired attempts of workers that were never killed (a live worker lost a lease). */
  spurious: number;
  duplicateCompletions: number;
  deadLetters: number;
  /** Kill -> the lost step back in the queue (the lease_expired attempt), database clock. */
  requeueMs: number[];
  /** Kill -> the lost step claimed again. */
  reclaimMs: number[];
  boundMs: number;
}

/**
 * Accounts for every task execution in the database: extra executions are exactly the lost leases,
 * each of a killed worker, at most what that worker held when it died, and each back in the queue
 * within lease TTL + the sweep interval (+1 s for a loaded machine) of the kill.
 */
export async function checkExecutions(
  ctx: ChaosContext,
  pool: pg.Pool,
  killed: Map<string, { at: Date }>,
  inFlight: Map<string, number>,
  t: { ttl: number; tick: number },
): Promise<ExecutionLedger> {
  const { rows: steps } = await pool.query<{ claims: number; failed: number; succeeded: number }>(
    `SELECT s.lease_token::int AS claims,
            (SELECT count(*)::int FROM openclaw.step_attempt a WHERE a.step_id = s.id AND a.status = 'failed') AS failed,
            (SELECT count(*)::int FROM openclaw.step_attempt a WHERE a.step_id = s.id AND a.status = 'succeeded') AS succeeded
       FROM openclaw.step s WHERE s.kind IN ('task', 'item')`,
  );
  const { rows: lost } = await pool.query<{ worker: string | null; finished_at: Date; reclaimed_at: Date | null }>(
    `SELECT a.worker, a.finished_at,
            (SELECT min(e.created_at) FROM openclaw.run_event e
              WHERE e.run_id = a.run_id AND e.step_key = s.key AND e.type = 'step.started' AND (e.data->>'attempt')::int > a.attempt) AS reclaimed_at
       FROM openclaw.step_attempt a JOIN openclaw.step s ON s.id = a.step_id
      WHERE a.status = 'lease_expired' ORDER BY a.id`,
  );
  const dead = (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM openclaw.dead_letter')).rows[0]!.n;
  const extra = steps.reduce((n, s) => n + Math.max(0, s.claims - 1 - s.failed), 0);
  const perWorker = new Map<string, number>();
  const requeueMs: number[] = [];
  const reclaimMs: number[] = [];
  let spurious = 0;
  for (const a of lost) {
    const w = a.worker ?? '?';
    perWorker.set(w, (perWorker.get(w) ?? 0) + 1);
    const kill = killed.get(w);
    if (!kill) {
      spurious++;
      continue;
    }
    requeueMs.push(a.finished_at.getTime() - kill.at.getTime());
    if (a.reclaimed_at) reclaimMs.push(a.reclaimed_at.getTime() - kill.at.getTime());
  }
  const boundMs = t.ttl + t.tick + 1_000;
  const ledger: ExecutionLedger = {
    steps: steps.length,
    extraExecutions: extra,
    leaseExpired: lost.length,
    spurious,
    duplicateCompletions: steps.filter((s) => s.succeeded > 1).length,
    deadLetters: dead,
    requeueMs,
    reclaimMs,
    boundMs,
  };
  ctx.check(ledger.duplicateCompletions === 0, 'no step has two accepted completions', ledger.duplicateCompletions);
  ctx.check(extra === lost.length, 'every extra execution is a lost lease', { extra, leaseExpired: lost.length });
  ctx.check(spurious === 0, 'only killed workers lost leases', { spurious });
  for (const [w, n] of perWorker) {
    const held = inFlight.get(w);
    if (held !== undefined) ctx.check(n <= held, `steps lost with ${w} are at most what it held when killed`, { lost: n, held });
  }
  const slow = requeueMs.filter((ms) => ms > boundMs);
  ctx.check(slow.length === 0, `every lost step was back in the queue within lease TTL + sweep + 1 s (${boundMs} ms)`, slow);
  return ledger;
}
