// Scratch: does a failing forEach item deadlock with concurrent claims? (counts pg deadlocks)
import { startServer, createDb } from '../lib/server.js';
import { createEngine } from '../../engine/index.js';
import { createLogger } from '../../engine/telemetry/logger.js';
import pg from 'pg';

const server = await startServer();
const db = await createDb(server.adminUrl, 'dl');
const logs: string[] = [];
const logger = createLogger({ level: 'warn' });
const engine = await createEngine({ databaseUrl: db.url, migrate: true, logger });
const pool = new pg.Pool({ connectionString: db.url, max: 2 });
await engine.registerWorkflow(`name: failfan
steps:
  fan:
    forEach: "\${{ [1..400] }}"
    run: fail
    with: { error: Boom, untilAttempt: "\${{ item = 200 ? 99 : 0 }}" }
`).catch(async (e) => {
  console.error(String(e));
});
const w1 = engine.createWorker({ slots: 8 });
const w2 = engine.createWorker({ slots: 8 });
await w1.start();
await w2.start();
const dl0 = (await pool.query(`SELECT deadlocks::int AS d FROM pg_stat_database WHERE datname = current_database()`)).rows[0].d;
const N = Number(process.env.N ?? 20);
for (let i = 0; i < N; i++) {
  await engine.startRun({ workflow: 'failfan' });
}
for (;;) {
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM openclaw.run WHERE status IN ('queued','running','waiting')`);
  if (rows[0].n === 0) break;
  await new Promise((r) => setTimeout(r, 200));
}
const dl1 = (await pool.query(`SELECT deadlocks::int AS d FROM pg_stat_database WHERE datname = current_database()`)).rows[0].d;
const st = (await pool.query(`SELECT status, count(*)::int FROM openclaw.run GROUP BY 1`)).rows;
console.log(JSON.stringify({ runs: N, deadlocks: dl1 - dl0, status: st, w1: w1.stats, w2: w2.stats }));
await pool.end();
await engine.close();
await db.drop();
await server.stop();
