/**
 * Regression check (not a benchmark): `npx tsx bench/repro/claim-deadlock.ts [runs]`.
 *
 * History: with the run row locked FOR UPDATE this printed 48 deadlocks for 10 runs and 133 for
 * 20 (2 workers x 8 slots); run-tx.ts now locks FOR NO KEY UPDATE and it prints 0. What it checks:
 * a forEach item that dies while its siblings are ready makes the failing transaction (run row
 * locked FOR UPDATE, engine/runs/run-tx.ts) cancel the ready siblings (cancelSteps), while a
 * worker's claim statement (engine/worker/claim.ts) has already locked some of those siblings
 * (FOR UPDATE SKIP LOCKED) and waits for the run row: its `step.started` INSERT into run_event
 * runs the foreign-key check `SELECT 1 FROM run ... FOR KEY SHARE`, which conflicts with FOR
 * UPDATE. PostgreSQL breaks the cycle after deadlock_timeout (1 s) by aborting one side.
 *
 * Prints one JSON line: runs, deadlocks counted by pg_stat_database, claim errors logged by the
 * workers, and how long the failing runs took. Expect deadlocks: 0.
 */
import { Writable } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { createEngine } from '../../engine/index.js';
import { createDb, startServer } from '../lib/server.js';

const RUNS = Number(process.argv[2] ?? 10);
const server = await startServer();
const db = await createDb(server.adminUrl, 'repro');
let claimErrors = 0;
let deadlockErrors = 0;
const sink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      if (line.includes('"claim failed')) claimErrors++;
      if (line.includes('deadlock detected')) deadlockErrors++;
    }
    cb();
  },
});
const engine = await createEngine({ databaseUrl: db.url, migrate: true, logger: pino({ level: 'error' }, sink) });
const pool = new pg.Pool({ connectionString: db.url, max: 2 });
try {
  await engine.registerWorkflow(`name: failfan
steps:
  fan:
    forEach: "\${{ [1..400] }}"
    run: fail
    with: { error: Boom, untilAttempt: "\${{ item = 200 ? 99 : 0 }}" }
`);
  const workers = [engine.createWorker({ slots: 8 }), engine.createWorker({ slots: 8 })];
  for (const w of workers) await w.start();
  const deadlocks = async (): Promise<number> =>
    (await pool.query<{ d: number }>('SELECT deadlocks::int AS d FROM pg_stat_database WHERE datname = current_database()')).rows[0]?.d ??
    0;
  const before = await deadlocks();
  const t = performance.now();
  for (let i = 0; i < RUNS; i++) await engine.startRun({ workflow: 'failfan' });
  for (;;) {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM openclaw.run WHERE status IN ('queued', 'running', 'waiting')`,
    );
    if (rows[0]?.n === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const { rows: st } = await pool.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM openclaw.run GROUP BY status',
  );
  process.stdout.write(
    `${JSON.stringify({
      runs: RUNS,
      run_status: Object.fromEntries(st.map((r) => [r.status, r.n])),
      deadlocks: (await deadlocks()) - before,
      claim_errors_logged: claimErrors,
      deadlock_errors_logged: deadlockErrors,
      wall_ms: Math.round(performance.now() - t),
    })}\n`,
  );
} finally {
  await pool.end();
  await engine.close();
  await db.drop();
  await server.stop();
}
