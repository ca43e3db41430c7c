/**
 * A worker process whose `http` tasks write artifacts (test/helpers/artifact-executor.ts, each
 * artifact starting with the worker id), for the recovery tests: spawned with
 * `spawnWorker({script: ARTIFACT_WORKER})` (recovery.ts), configured by the same environment as
 * worker-process.ts (DATABASE_URL, WORKER_ID, SLOTS and the OPENCLAW_* settings, the artifact store's
 * included). Prints `ready <id>` when claiming and `written <run id> <attempt>` once a task has
 * written its artifacts.
 */
import { createEngine } from '../../engine/index.js';
import { createLogger } from '../../engine/telemetry/logger.js';
import { artifactExecutor } from './artifact-executor.js';

const engine = await createEngine({ logger: createLogger({ level: process.env.OPENCLAW_LOG_LEVEL ?? 'warn' }) });
const executor = artifactExecutor({
  byWorker: true,
  onWritten: (inv) => void process.stdout.write(`written ${inv.runId} ${inv.attempt}\n`),
});
const worker = engine.createWorker({
  slots: Number(process.env.SLOTS ?? 1),
  executors: [executor],
  ...(process.env.WORKER_ID ? { id: process.env.WORKER_ID } : {}),
});
await worker.start();
process.stdout.write(`ready ${worker.id}\n`);
