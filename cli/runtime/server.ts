/**
 * `openclaw server`: the API and the scheduler against DATABASE_URL (workers run separately, as
 * `openclaw worker`). The schema is only checked unless --migrate is given.
 */
import { createEngine, createLogger } from '../../engine/index.js';
import type { Context } from '../context.js';
import { CliError } from '../errors.js';
import { ensureServerAdminKey } from './admin-key.js';
import { preflightListen, printReady, startApi, warnInsecure } from './api-server.js';
import { redactUrl, requireDatabaseUrl } from './database-url.js';
import { requireSecretKey } from './secret-key.js';
import { Lifecycle, StopRequested } from './lifecycle.js';

export interface ServerOptions {
  port: number;
  host: string;
  insecureLocal: boolean;
  migrate: boolean;
}

export async function runServer(opts: ServerOptions, ctx: Context): Promise<void> {
  const { print } = ctx;
  const databaseUrl = requireDatabaseUrl('server');
  requireSecretKey('server');
  const life = new Lifecycle({ say: (l) => print.out(l), warn: (l) => print.err(`warning: ${l}`) });
  life.installSignalHandlers();
  try {
    await preflightListen(opts);
    print.out(`OpenClaw server: database ${redactUrl(databaseUrl)}`);
    const logger = createLogger();
    const engine = await createEngine({ databaseUrl, migrate: opts.migrate, logger }).catch((err: unknown) => {
      throw new CliError(err instanceof Error ? err.message : String(err), { cause: err });
    });
    life.add('engine', () => engine.close());
    life.checkpoint();
    const scheduler = engine.createScheduler();
    scheduler.start();
    life.add('scheduler', () => scheduler.stop());
    if (!opts.insecureLocal) await ensureServerAdminKey(engine, print);
    life.checkpoint();
    const server = await startApi({ engine, host: opts.host, port: opts.port, insecureLocal: opts.insecureLocal }, print);
    life.add('API server', () => server.close(), 10_000);
    if (opts.insecureLocal) warnInsecure(print, server.url);
    life.markRunning();
    printReady(print, server.url);
  } catch (err) {
    if (err instanceof StopRequested) await life.stopAndExit(0);
    await life.stop();
    throw err;
  }
}
