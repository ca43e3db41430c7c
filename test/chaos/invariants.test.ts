/**
 * The chaos suite's invariant checker (test/chaos/invariants.ts) is itself tested here, in
 * `npm test`: a checker that cannot fail proves nothing. First a varied, healthy workload run by the
 * engine (DAG, forEach, retries, a dead step and a run retry, a state machine with a timer and a
 * signal, a cancelled run, a hand-back on drain, cron ticks) must come out clean: no false alarms.
 * Then each violation is seeded into that database inside a transaction that is rolled back, and
 * the check that guards against it must flag it.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../engine/index.js';
import { createTestDb, type TestDb, testEngine, testPool, waitFor, waitForRun } from '../helpers/engine.js';
import { checkInvariants, checkInvariantsIn, RULES, type CheckName, type InvariantOptions } from './invariants.js';

let db: TestDb;
let engine: Engine;
const ids = { mix: '', doomed: '', machine: '', cancelled: '', released: '' };

beforeAll(async () => {
  db = await createTestDb('invariants');
  engine = await testEngine(db);
  await engine.registerWorkflow(`
name: mix
inputs: { type: object, properties: { n: { type: number } }, required: [n] }
steps:
  a: { run: echo, with: { n: "\${{ inputs.n }}" } }
  each: { needs: [a], forEach: "\${{ [1, 2, 3] }}", run: echo, with: { i: "\${{ item }}" } }
  flaky: { needs: [a], run: fail, with: { untilAttempt: 2 }, retry: { maxAttempts: 3, delay: 10ms, jitter: none } }
  z: { needs: [each, flaky], run: echo, with: { n: "\${{ steps.a.output.n }}" } }
output: "\${{ steps.z.output }}"
`);
  await engine.registerWorkflow(`
name: doomed
steps:
  x: { run: fail, with: { untilAttempt: 3 }, retry: { maxAttempts: 2, delay: 10ms, jitter: none } }
`);
  await engine.registerWorkflow(`
name: machine
start: nap
states:
  nap: { wait: { for: 300ms }, next: ask }
  ask: { wait: { signal: go, timeout: 1m }, next: done }
  done: { run: echo, with: { ok: true }, end: true }
`);
  await engine.registerWorkflow(`
name: slow
steps:
  s: { run: sleep, with: { ms: 30000 } }
`);
  await engine.registerWorkflow(`
name: ticker
triggers:
  - cron: "* * * * * *"
steps:
  t: { run: noop }
`);
  const worker = engine.createWorker({ slots: 4 });
  await worker.start();
  const scheduler = engine.createScheduler();
  scheduler.start();
  const started: string[] = [];
  for (let n = 0; n < 5; n++) started.push((await engine.startRun({ workflow: 'mix', input: { n } })).runId);
  ids.mix = started[0]!;
  ids.doomed = (await engine.startRun({ workflow: 'doomed' })).runId;
  ids.machine = (await engine.startRun({ workflow: 'machine' })).runId;
  ids.cancelled = (await engine.startRun({ workflow: 'slow' })).runId;
  for (const id of started) expect((await waitForRun(engine, id)).status).toBe('succeeded');
  // A dead step, then the run retried from the failure: attempt numbers keep counting (3 succeeds).
  expect((await waitForRun(engine, ids.doomed)).status).toBe('failed');
  await engine.retryRun(ids.doomed);
  expect((await waitForRun(engine, ids.doomed)).status).toBe('succeeded');
  // A timer, then a signal.
  await waitFor(async () => (await engine.queries.getRun(ids.machine)).steps.some((s) => s.key === 'ask' && s.status === 'waiting'));
  await engine.signalRun(ids.machine, 'go', { by: 'test' });
  expect((await waitForRun(engine, ids.machine)).status).toBe('succeeded');
  // A running task cut short by a cancel (its claim has no closing attempt row).
  await waitFor(async () => (await engine.queries.getRun(ids.cancelled)).steps.some((s) => s.status === 'running'));
  await engine.cancelRun(ids.cancelled);
  // A hand-back: a draining worker releases its step, which runs again elsewhere with the same attempt number.
  ids.released = (await engine.startRun({ workflow: 'slow' })).runId;
  await waitFor(async () => (await engine.queries.getRun(ids.released)).steps.some((s) => s.status === 'running'));
  await worker.stop(50);
  await engine.cancelRun(ids.released);
  // Cron ticks (one run each; the runs finish on the second worker below).
  await waitFor(async () => (await testPool(engine).query(`SELECT 1 FROM openclaw.schedule_fire LIMIT 1`)).rows.length > 0, 15_000);
  await scheduler.stop();
  const w2 = engine.createWorker({ slots: 2 });
  await w2.start();
  await waitFor(async () => {
    const { rows } = await testPool(engine).query(`SELECT 1 FROM openclaw.run WHERE status IN ('queued', 'running', 'waiting')`);
    return rows.length === 0;
  }, 15_000);
  await w2.stop();
}, 60_000);

afterAll(async () => {
  await engine?.close();
  await db?.drop();
});

/** Runs `seed` inside a transaction, the checks in the same transaction, then rolls it all back. */
async function flagged(seed: (c: pg.PoolClient) => Promise<void>, options: InvariantOptions = {}): Promise<CheckName[]> {
  const client = await testPool(engine).connect();
  try {
    await client.query('BEGIN');
    await seed(client);
    const report = await checkInvariantsIn(client, options);
    return report.violations.map((v) => v.check as CheckName);
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

/** The step `key` of run `runId`: its id, run, token and attempt. */
async function stepOf(c: pg.PoolClient, runId: string, key: string): Promise<{ id: string; lease_token: string; attempt: number }> {
  const { rows } = await c.query<{ id: string; lease_token: string; attempt: number }>(
    'SELECT id::text, lease_token::text, attempt FROM openclaw.step WHERE run_id = $1 AND key = $2',
    [runId, key],
  );
  return rows[0]!;
}

/** Inserts a run of `mix` (pinned to its version) with the given status, trigger and key. */
async function insertRun(
  c: pg.PoolClient,
  fields: { status: string; trigger?: unknown; idempotencyKey?: string; updatedAgo?: string },
): Promise<string> {
  const id = randomUUID();
  await c.query(
    `INSERT INTO openclaw.run (id, namespace, workflow, version, version_id, status, input, input_hash, trigger, idempotency_key, updated_at)
     SELECT $1, namespace, workflow, version, version_id, $2, input, input_hash, $3, $4, now() - $5::interval
       FROM openclaw.run WHERE id = $6`,
    [
      id,
      fields.status,
      JSON.stringify(fields.trigger ?? { type: 'api' }),
      fields.idempotencyKey ?? null,
      fields.updatedAgo ?? '0',
      ids.mix,
    ],
  );
  return id;
}

describe('invariant checker', () => {
  it('finds nothing wrong in a healthy, varied workload', async () => {
    const report = await checkInvariants(testPool(engine), { maxOverdueLeaseMs: 5_000, queuedGraceMs: 5_000 });
    expect(report.violations).toEqual([]);
    expect(report.runs).toBeGreaterThanOrEqual(10);
    // The workload really has the shapes the attempt rules are about.
    const { rows } = await testPool(engine).query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM openclaw.step_attempt GROUP BY status',
    );
    const byStatus = Object.fromEntries(rows.map((r) => [r.status, r.n]));
    expect(byStatus).toMatchObject({ succeeded: expect.any(Number), failed: expect.any(Number), released: expect.any(Number) });
  });

  const cases: Array<[CheckName, (c: pg.PoolClient) => Promise<void>, InvariantOptions?]> = [
    [
      'R14.way_forward',
      async (c) => {
        // A running run whose only step waits for a need that will never be met.
        const run = await insertRun(c, { status: 'running' });
        await c.query(
          `INSERT INTO openclaw.step (run_id, key, name, kind, status, deps_remaining) VALUES ($1, 'a', 'a', 'task', 'pending', 1)`,
          [run],
        );
      },
    ],
    ['R14.queued_slot', async (c) => void (await insertRun(c, { status: 'queued', updatedAgo: '1 hour' }))],
    [
      'completion.at_most_one_success',
      async (c) => {
        const s = await stepOf(c, ids.mix, 'z');
        await c.query(
          `INSERT INTO openclaw.step_attempt (step_id, run_id, attempt, lease_token, worker, status)
           SELECT step_id, run_id, attempt, lease_token, worker, status FROM openclaw.step_attempt WHERE step_id = $1 AND status = 'succeeded'`,
          [s.id],
        );
      },
    ],
    [
      'completion.one_outcome_per_lease',
      async (c) => {
        const s = await stepOf(c, ids.mix, 'z');
        await c.query(
          `INSERT INTO openclaw.step_attempt (step_id, run_id, attempt, lease_token, worker, status)
           SELECT step_id, run_id, attempt, lease_token, worker, 'lease_expired' FROM openclaw.step_attempt WHERE step_id = $1 AND status = 'succeeded'`,
          [s.id],
        );
      },
    ],
    [
      'completion.status_matches_attempts',
      async (c) => void (await c.query(`UPDATE openclaw.step SET status = 'dead' WHERE run_id = $1 AND key = 'z'`, [ids.mix])),
    ],
    [
      'lease_token.one_per_claim',
      async (c) =>
        void (await c.query(`UPDATE openclaw.step SET lease_token = lease_token + 1 WHERE run_id = $1 AND key = 'a'`, [ids.mix])),
    ],
    [
      'lease_token.in_range',
      async (c) => {
        const s = await stepOf(c, ids.mix, 'a');
        await c.query(`UPDATE openclaw.step_attempt SET lease_token = 99 WHERE step_id = $1`, [s.id]);
      },
    ],
    [
      'lease_token.every_claim_closed',
      async (c) => {
        // A second claim (token, attempt and started event all moved on) that never ended.
        await c.query(`UPDATE openclaw.step SET lease_token = lease_token + 1, attempt = attempt + 1 WHERE run_id = $1 AND key = 'a'`, [
          ids.mix,
        ]);
        await c.query(
          `INSERT INTO openclaw.run_event (run_id, step_key, type, data) VALUES ($1, 'a', 'step.started', '{"attempt": 2, "worker": "w"}')`,
          [ids.mix],
        );
      },
    ],
    [
      'attempt.count',
      async (c) => void (await c.query(`UPDATE openclaw.step SET attempt = attempt + 1 WHERE run_id = $1 AND key = 'a'`, [ids.mix])),
    ],
    [
      'attempt.no_gaps',
      async (c) => {
        await c.query(
          `UPDATE openclaw.run_event SET data = data || '{"attempt": 2}' WHERE run_id = $1 AND step_key = 'a' AND type = 'step.started'`,
          [ids.mix],
        );
      },
    ],
    [
      'attempt.reused_only_after_release',
      async (c) => {
        // Attempt 1 claimed twice, with no hand-back in between (a lost claim, then the same number again).
        const s = await stepOf(c, ids.mix, 'a');
        await c.query(`UPDATE openclaw.step SET lease_token = lease_token + 1 WHERE id = $1`, [s.id]);
        await c.query(
          `INSERT INTO openclaw.run_event (run_id, step_key, type, data)
           SELECT run_id, step_key, type, data FROM openclaw.run_event WHERE run_id = $1 AND step_key = 'a' AND type = 'step.started'`,
          [ids.mix],
        );
      },
    ],
    [
      'attempt.closed_once',
      async (c) => {
        // Two claims of attempt 1 (token 1 and 2) that both ended in an outcome.
        const s = await stepOf(c, ids.mix, 'a');
        await c.query(`UPDATE openclaw.step SET lease_token = 2 WHERE id = $1`, [s.id]);
        await c.query(
          `INSERT INTO openclaw.run_event (run_id, step_key, type, data)
           SELECT run_id, step_key, type, data FROM openclaw.run_event WHERE run_id = $1 AND step_key = 'a' AND type = 'step.started'`,
          [ids.mix],
        );
        await c.query(
          `INSERT INTO openclaw.step_attempt (step_id, run_id, attempt, lease_token, worker, status)
           SELECT step_id, run_id, attempt, 2, worker, 'failed' FROM openclaw.step_attempt WHERE step_id = $1`,
          [s.id],
        );
      },
    ],
    [
      'history.attempt_has_start',
      async (c) => {
        const s = await stepOf(c, ids.mix, 'a');
        await c.query(`UPDATE openclaw.step_attempt SET worker = 'ghost' WHERE step_id = $1`, [s.id]);
      },
    ],
    [
      'history.succeeded_events',
      async (c) =>
        void (await c.query(`DELETE FROM openclaw.run_event WHERE run_id = $1 AND step_key = 'a' AND type = 'step.succeeded'`, [ids.mix])),
    ],
    [
      'history.lease_expired_events',
      async (c) =>
        void (await c.query(`INSERT INTO openclaw.run_event (run_id, step_key, type) VALUES ($1, 'a', 'step.lease_expired')`, [ids.mix])),
    ],
    [
      'history.released_events',
      async (c) =>
        void (await c.query(`INSERT INTO openclaw.run_event (run_id, step_key, type) VALUES ($1, 'a', 'step.released')`, [ids.mix])),
    ],
    [
      'step.lease_fields',
      async (c) =>
        void (await c.query(`UPDATE openclaw.step SET lease_owner = 'w' WHERE run_id = $1 AND status = 'pending'`, [
          (await insertPendingRun(c)).run,
        ])),
    ],
    [
      'lease.overdue',
      async (c) => {
        const { run, step } = await insertPendingRun(c);
        await c.query(
          `UPDATE openclaw.step SET status = 'running', lease_owner = 'w', lease_token = 1, attempt = 1,
                  lease_expires_at = now() - interval '1 minute' WHERE id = $1`,
          [step],
        );
        await c.query(
          `INSERT INTO openclaw.run_event (run_id, step_key, type, data) VALUES ($1, 'p', 'step.started', '{"attempt": 1, "worker": "w"}')`,
          [run],
        );
      },
      { maxOverdueLeaseMs: 10_000 },
    ],
    [
      'run.finished_has_no_active_steps',
      async (c) =>
        void (await c.query(`UPDATE openclaw.step SET status = 'ready', attempt = attempt WHERE run_id = $1 AND key = 'x'`, [ids.doomed])),
    ],
    [
      'run.status_events',
      async (c) => void (await c.query(`DELETE FROM openclaw.run_event WHERE run_id = $1 AND type = 'run.succeeded'`, [ids.mix])),
    ],
    [
      'cron.one_run_per_tick',
      async (c) => {
        const { rows } = await c.query<{ schedule_id: string; fire_at: Date }>(
          'SELECT schedule_id::text, fire_at FROM openclaw.schedule_fire ORDER BY fire_at LIMIT 1',
        );
        const tick = rows[0]!;
        await insertRun(c, {
          status: 'succeeded',
          trigger: { type: 'cron', scheduleId: tick.schedule_id, fireAt: tick.fire_at.toISOString() },
        });
      },
    ],
    [
      'webhook.one_run_per_delivery',
      async (c) => {
        const trigger = { type: 'webhook', hook: 'orders', deliveryId: 'd-1' };
        await insertRun(c, { status: 'succeeded', trigger });
        await insertRun(c, { status: 'succeeded', trigger });
      },
    ],
    [
      'idempotency.one_run_per_key',
      async (c) => {
        // The unique constraint makes this impossible; drop it (rolled back) to see the check flag it.
        const { rows } = await c.query<{ conname: string }>(
          `SELECT conname FROM pg_constraint WHERE conrelid = 'openclaw.run'::regclass AND contype = 'u'
             AND pg_get_constraintdef(oid) LIKE '%idempotency_key%'`,
        );
        await c.query(`ALTER TABLE openclaw.run DROP CONSTRAINT "${rows[0]!.conname}"`);
        await insertRun(c, { status: 'succeeded', idempotencyKey: 'k-1' });
        await insertRun(c, { status: 'succeeded', idempotencyKey: 'k-1' });
      },
    ],
  ];

  /** A run that has just begun: one pending task step `p` (its need is met by nothing yet). */
  async function insertPendingRun(c: pg.PoolClient): Promise<{ run: string; step: string }> {
    const run = await insertRun(c, { status: 'running' });
    const { rows } = await c.query<{ id: string }>(
      `INSERT INTO openclaw.step (run_id, key, name, kind, status) VALUES ($1, 'p', 'p', 'task', 'ready') RETURNING id::text`,
      [run],
    );
    await c.query(
      `INSERT INTO openclaw.step (run_id, key, name, kind, status, deps_remaining) VALUES ($1, 'q', 'q', 'task', 'pending', 1)`,
      [run],
    );
    return { run, step: rows[0]!.id };
  }

  it('has a seeded violation for every check', () => {
    expect(cases.map(([name]) => name).sort()).toEqual(Object.keys(RULES).sort());
  });

  for (const [check, seed, options] of cases) {
    it(`flags ${check}`, async () => {
      expect(await flagged(seed, options)).toContain(check);
    });
  }

  it('reports the offending rows', async () => {
    const client = await testPool(engine).connect();
    try {
      await client.query('BEGIN');
      await client.query(`UPDATE openclaw.step SET attempt = 7 WHERE run_id = $1 AND key = 'z'`, [ids.mix]);
      const report = await checkInvariantsIn(client);
      const v = report.violations.find((x) => x.check === 'attempt.count');
      expect(v?.count).toBe(1);
      expect(v?.rows[0]).toMatchObject({ run_id: ids.mix, key: 'z', attempt: 7 });
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});
