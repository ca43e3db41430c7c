/** `openclaw worker`: claims and runs steps against DATABASE_URL; SIGTERM/SIGINT drain, then exit 0. */
import { createLogger, runWorkerProcess } from '../../engine/index.js';
import type { Context } from '../context.js';
import { CliError } from '../errors.js';
import { requireDatabaseUrl } from './database-url.js';
import { requireSecretKey } from './secret-key.js';

export interface WorkerCommandOptions {
  slots?: number;
  scheduler: boolean;
  id?: string;
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
  ctx.print.out(`OpenClaw worker ${p.worker.id} ready (${p.worker.slots} slots${p.scheduler ? ', with scheduler' : ''})`);
}
