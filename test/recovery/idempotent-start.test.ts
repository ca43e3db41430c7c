/**
 * R16: concurrent starts with one idempotency key make exactly one run. Starts come from several
 * engines (separate pools), all connections warmed up first, so the transactions really overlap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine, StartRunResult } from '../../engine/index.js';
import { createTestDb, query, testEngine, waitForRun, type TestDb } from '../helpers/engine.js';
import { engineCore } from '../../engine/engine.js';

let db: TestDb;
let engine: Engine;
const callers: Engine[] = [];
const ENGINES = 5;

beforeAll(async () => {
  db = await createTestDb('idem');
  engine = await testEngine(db);
  for (let i = 0; i < ENGINES; i++) callers.push(await testEngine(db, { poolSize: 10 }));
  // Open every pooled connection now, so the starts below do not queue behind connection set-up.
  await Promise.all(callers.map((e) => Promise.all(Array.from({ length: 10 }, () => engineCore(e).pool.query('SELECT 1')))));
  await engine.registerWorkflow(`
name: idem-start
inputs: { type: object }
steps:
  first: { run: echo, with: { got: "\${{ inputs }}" } }
  second: { needs: [first], run: noop }
`);
});

afterAll(async () => {
  for (const e of callers) await e.close();
  await engine?.close();
  await db?.drop();
});

/** Fires `n` starts at once, spread round-robin over the caller engines. */
async function burst(
  n: number,
  opts: (i: number) => { input: unknown; key: string },
): Promise<Array<PromiseSettledResult<StartRunResult>>> {
  return await Promise.allSettled(
    Array.from({ length: n }, (_, i) => {
      const { input, key } = opts(i);
      return callers[i % ENGINES]!.startRun({ workflow: 'idem-start', input, idempotencyKey: key });
    }),
  );
}

async function runsWithKey(key: string): Promise<Array<{ id: string; input: unknown }>> {
  return await query(engine, `SELECT id::text, input FROM openclaw.run WHERE workflow = 'idem-start' AND idempotency_key = $1`, [key]);
}

describe('R16: idempotent start under concurrency', () => {
  it('50 concurrent starts with one key: exactly one run, one `created`, everyone gets its id', async () => {
    const results = await burst(50, () => ({ input: { order: 17 }, key: 'order-17' }));
    const failures = results.filter((r) => r.status === 'rejected');
    expect(failures).toEqual([]);
    const ok = results.map((r) => (r as PromiseFulfilledResult<StartRunResult>).value);
    const rows = await runsWithKey('order-17');
    expect(rows).toHaveLength(1);
    const runId = rows[0]!.id;
    expect(new Set(ok.map((r) => r.runId))).toEqual(new Set([runId]));
    expect(ok.filter((r) => r.created)).toHaveLength(1);

    // One set of steps and one creation in the history; the run then executes once.
    const steps = await query<{ key: string }>(engine, 'SELECT key FROM openclaw.step WHERE run_id = $1 ORDER BY id', [runId]);
    expect(steps.map((s) => s.key)).toEqual(['first', 'second']);
    const { items: events } = await engine.queries.getEvents(runId);
    expect(events.filter((e) => e.type === 'run.created')).toHaveLength(1);
    const worker = engine.createWorker({ slots: 2 });
    await worker.start();
    try {
      const run = await waitForRun(engine, runId);
      expect(run.status).toBe('succeeded');
      expect(run.output).toEqual({ second: null });
      expect(run.steps[0]?.output).toEqual({ got: { order: 17 } });
    } finally {
      await worker.stop();
    }
    const [{ n } = { n: -1 }] = await query<{ n: number }>(
      engine,
      `SELECT count(*)::int AS n FROM openclaw.run WHERE workflow = 'idem-start'`,
    );
    expect(n).toBe(1);
  });

  it('20 concurrent starts with one key and 20 different inputs: the first wins, the rest get idempotency_key_reused', async () => {
    const results = await burst(20, (i) => ({ input: { caller: i }, key: 'shared-key' }));
    const rows = await runsWithKey('shared-key');
    expect(rows).toHaveLength(1);
    const winner = rows[0]!;
    const ok = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ i, ...r.value }] : []));
    expect(ok).toHaveLength(1);
    expect(ok[0]).toMatchObject({ runId: winner.id, created: true });
    // The stored input is the winner's own input.
    expect(winner.input).toEqual({ caller: ok[0]!.i });
    const refused = results.flatMap((r) =>
      r.status === 'rejected' ? [r.reason as { code?: string; status?: number; details?: { runId?: string } }] : [],
    );
    expect(refused).toHaveLength(19);
    for (const err of refused) {
      expect(err).toMatchObject({ code: 'idempotency_key_reused', status: 409, details: { runId: winner.id } });
    }
  });

  it('mixed: 10 callers with input A and 10 with input B race on one key; one group shares the run, the other is refused', async () => {
    const A = { variant: 'A', items: [1, 2, 3] };
    const B = { variant: 'B', items: [3, 2, 1] };
    // Interleave the two groups so neither has a head start; key order inside the input is irrelevant.
    const results = await burst(20, (i) => ({ input: i % 2 === 0 ? A : { items: B.items, variant: 'B' }, key: 'mixed-key' }));
    const rows = await runsWithKey('mixed-key');
    expect(rows).toHaveLength(1);
    const winner = rows[0]!;
    const winningVariant = (winner.input as { variant: string }).variant;
    expect(['A', 'B']).toContain(winningVariant);
    results.forEach((r, i) => {
      const mine = i % 2 === 0 ? 'A' : 'B';
      if (mine === winningVariant) {
        expect(r.status, `caller ${i} (same input as the winner)`).toBe('fulfilled');
        expect((r as PromiseFulfilledResult<StartRunResult>).value.runId).toBe(winner.id);
      } else {
        expect(r.status, `caller ${i} (different input)`).toBe('rejected');
        expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'idempotency_key_reused', details: { runId: winner.id } });
      }
    });
    const created = results.filter((r) => r.status === 'fulfilled' && r.value.created);
    expect(created).toHaveLength(1);
    expect(winner.input).toEqual(winningVariant === 'A' ? A : B);
  });
});
