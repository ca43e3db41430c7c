/**
 * Check (not a benchmark): `npx tsx bench/repro/idle-peer-wake.ts`.
 *
 * Do idle workers hear about steps that a *completion* made ready? Two workers x 4 slots (two
 * engines, as two processes would have); a run `a -> fan` where `fan` is a forEach of 16 x
 * `sleep 200 ms`. The 16 items become ready in the transaction that completes `a`. If only the
 * worker that completed `a` learns of them, it runs them 4 at a time (4 waves, ~850 ms) while
 * the other worker idles until its next poll (pollIntervalMs, 1 s by default); if every idle
 * worker is woken, both share them (~2 waves, ~450 ms).
 *
 * Prints one JSON line per run: total_ms, and how many items each worker ran.
 * Measured 2026-11-21: 853-885 ms with items 16/0 in 5 runs of 6; 473 ms with 8/8 once, when the
 * idle worker's 1 s poll happened to fall inside the run. completeStep (engine/runs/complete.ts)
 * does not NOTIFY; the completing worker only wakes itself (worker.ts, `result.readied`).
 */
import pg from 'pg';
import { createEngine } from '../../engine/index.js';
import { createLogger } from '../../engine/telemetry/logger.js';
import { createDb, startServer } from '../lib/server.js';

const server = await startServer();
const db = await createDb(server.adminUrl, 'wake');
const silent = createLogger({ level: 'silent' });
const e1 = await createEngine({ databaseUrl: db.url, migrate: true, logger: silent });
const e2 = await createEngine({ databaseUrl: db.url, logger: silent });
const pool = new pg.Pool({ connectionString: db.url, max: 2 });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
try {
  await e1.registerWorkflow(`name: fan
steps:
  a: { run: noop }
  fan:
    needs: [a]
    forEach: "\${{ [1..16] }}"
    run: sleep
    with: { ms: 200 }
`);
  const w1 = e1.createWorker({ slots: 4, id: 'w1' });
  const w2 = e2.createWorker({ slots: 4, id: 'w2' });
  await w1.start();
  await w2.start();
  await sleep(1500);
  for (let k = 0; k < 3; k++) {
    const { runId } = await e1.startRun({ workflow: 'fan' });
    for (;;) {
      const { rows } = await pool.query<{ status: string }>('SELECT status FROM openclaw.run WHERE id = $1', [runId]);
      if (rows[0]?.status === 'succeeded') break;
      await sleep(50);
    }
    const { rows } = await pool.query<{ total: number; worker: string; n: number }>(
      `SELECT date_part('epoch', r.finished_at - r.created_at) * 1000 AS total, a.worker, count(*)::int AS n
         FROM openclaw.run r JOIN openclaw.step s ON s.run_id = r.id AND s.kind = 'item'
         JOIN openclaw.step_attempt a ON a.step_id = s.id
        WHERE r.id = $1 GROUP BY r.id, a.worker`,
      [runId],
    );
    const items = Object.fromEntries(rows.map((r) => [r.worker, r.n]));
    process.stdout.write(
      `${JSON.stringify({ total_ms: Math.round(rows[0]?.total ?? NaN), items_by_worker: { w1: items.w1 ?? 0, w2: items.w2 ?? 0 } })}\n`,
    );
    await sleep(300 + Math.random() * 700);
  }
} finally {
  await pool.end();
  await e1.close();
  await e2.close();
  await db.drop();
  await server.stop();
}
