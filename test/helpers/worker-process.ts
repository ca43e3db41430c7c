/**
 * A worker as a separate OS process, for the recovery tests (killed with SIGKILL, stopped with
 * SIGSTOP, drained with SIGTERM). Configured by environment: DATABASE_URL, WORKER_ID, SLOTS,
 * WITH_SCHEDULER=1, plus the engine's OPENCLAW_* variables. Prints `ready <id>` when claiming.
 */
import { createLogger } from '../../engine/telemetry/logger.js';
import { runWorkerProcess } from '../../engine/worker/process.js';

const p = await runWorkerProcess({
  slots: Number(process.env.SLOTS ?? 4),
  scheduler: process.env.WITH_SCHEDULER === '1',
  ...(process.env.WORKER_ID ? { workerId: process.env.WORKER_ID } : {}),
  logger: createLogger({ level: process.env.OPENCLAW_LOG_LEVEL ?? 'warn' }),
});
process.stdout.write(`ready ${p.worker.id}\n`);
