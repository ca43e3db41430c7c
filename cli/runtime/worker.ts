/** `openclaw worker`: claims and runs steps against DATABASE_URL; SIGTERM/SIGINT drain, then exit 0. */
import { createLogger, runWorkerProcess } from '../../engine/index.js';
import type { Context } from '../context.js';
import { CliError } from '../errors.js';
import { requireDatabaseUrl } from './database-url.js';
import { serveMetrics } from './metrics-server.js';
import { requireSecretKey } from './secret-key.js';

export interface WorkerCommandOptions {
  slots?: number;
  scheduler: boolean;
  id?: string;
  /** Serve this process's metrics on GET /metrics at this port (0: any free port); off when unset. */
  metricsPort?: number;
  /** The address of the metrics port (default 127.0.0.1). */
  metricsHost?: string;
}

export async function runWorker(opts: WorkerCommandOptions, ctx: Context): Promise<void> {
  const databaseUrl = requireDatabaseUrl('worker');
  requireSecretKey('worker');
  // runWorkerProcess installs its own SIGTERM/SIGINT handlers: stop claiming, drain, close, exit 0.
  const p = await runWorkerProcess({
    databaseUrl,
    logger: createLogger(),
    scheduler: opts.scheduler,
    ...(opts.slots === undefined ? {} : { slots: opts.slots }),
    ...(opts.id === undefined ? {} : { workerId: opts.id }),
  }).catch((err: unknown) => {
    throw new CliError(err instanceof Error ? err.message : String(err), { cause: err });
  });
  let metricsAt = '';
  if (opts.metricsPort !== undefined) {
    const host = opts.metricsHost ?? '127.0.0.1';
    const server = await serveMetrics(p.engine.metrics, { port: opts.metricsPort, host, log: p.engine.log }).catch(async (err: unknown) => {
      await p.stop();
      throw new CliError(`cannot serve metrics on ${host}:${opts.metricsPort}: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    });
    metricsAt = `, metrics at ${server.url}`;
  }
  ctx.print.out(`OpenClaw worker ${p.worker.id} ready (${p.worker.slots} slots${p.scheduler ? ', with scheduler' : ''}${metricsAt})`);
}
