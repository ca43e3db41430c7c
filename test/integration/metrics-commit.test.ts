/**
 * Counts are made after COMMIT, by the transaction that committed (telemetry/tx-metrics.ts): a
 * transition transaction that rolls back counts nothing, one retried whole after a serialization
 * failure counts once, and a group-commit batch of starts — with refused starts in it — counts
 * exactly the runs it created.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineCore } from '../../engine/engine.js';
import type { Engine } from '../../engine/index.js';
import { withTransitionTx } from '../../engine/runs/driver.js';
import { createTestDb, query, testEngine, type TestDb } from '../helpers/engine.js';
import { parsePrometheusText, sumOf } from '../helpers/prom-text.js';

let db: TestDb;
let engine: Engine;

async function started(labels: Record<string, string> = {}): Promise<number> {
  return sumOf(parsePrometheusText(await engine.metrics.text()), 'openclaw_runs_started_total', labels);
}

beforeAll(async () => {
  db = await createTestDb('mcommit');
  engine = await testEngine(db);
  await engine.registerWorkflow(
    'name: typed\ninputs: { type: object, properties: { n: { type: integer } }, required: [n] }\nsteps:\n  a: { run: noop }',
  );
});
afterAll(async () => {
  await engine?.close();
  await db?.drop();
});

describe('counted after commit', () => {
  it('a rolled-back transaction counts nothing; one retried after a serialization failure counts once', async () => {
    const core = engineCore(engine);
    await expect(
      withTransitionTx(core, async (tx) => {
        tx.metrics.runStarted('default', 'ghost', 'api');
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await started({ workflow: 'ghost' })).toBe(0);

    let attempts = 0;
    await withTransitionTx(core, async (tx) => {
      tx.metrics.runStarted('default', 'ghost', 'api');
      if (++attempts === 1) throw Object.assign(new Error('could not serialize access'), { code: '40001' });
    });
    expect(attempts).toBe(2);
    expect(await started({ workflow: 'ghost' })).toBe(1);
  });

  it('a batch of concurrent starts with refused ones in it counts exactly the runs created', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) => engine.startRun({ workflow: 'typed', input: i % 6 === 0 ? { n: 'not a number' } : { n: i } })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    expect(ok).toBe(50);
    const [{ n }] = (await query<{ n: number }>(engine, `SELECT count(*)::int AS n FROM openclaw.run WHERE workflow = 'typed'`)) as [
      { n: number },
    ];
    expect(n).toBe(50);
    expect(await started({ workflow: 'typed', trigger: 'api' })).toBe(50);
  });
});
