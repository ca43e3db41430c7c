/**
 * Per-file test database + engine helpers. Each test file gets its own database cloned from the
 * migrated template (see global-setup.ts), so files run in parallel without sharing state.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import pg from 'pg';
import { createEngine, type CreateEngineOptions, type Engine, type Scheduler, type Worker } from '../../engine/index.js';
import { createLogger } from '../../engine/telemetry/logger.js';
import { cloneTemplate, dropDatabase } from './postgres.js';

export interface TestDb {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export async function createTestDb(label = 't'): Promise<TestDb> {
  const admin = inject('pgAdminUrl');
  const name = `oc_${label
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  const url = await cloneTemplate(admin, name);
  return {
    url,
    name,
    drop: async () => {
      await closeTestPool(url);
      await dropDatabase(admin, name);
    },
  };
}

/** The tests' own connections, one pool per database URL: the engine does not lend out its pool. */
const testPools = new Map<string, pg.Pool>();

/**
 * A pool on the database of `target` (an engine, a test database or a URL) for a test's own SQL.
 * It is closed when its test database is dropped, else after the test file.
 */
export function testPool(target: Engine | TestDb | string): pg.Pool {
  const url = typeof target === 'string' ? target : 'url' in target ? target.url : target.config.databaseUrl;
  let pool = testPools.get(url);
  if (!pool) {
    pool = new pg.Pool({ connectionString: url, application_name: 'openclaw-test' });
    // An idle connection ended by the server (a restart, DROP DATABASE ... WITH (FORCE)) is dropped from the pool.
    pool.on('error', () => undefined);
    testPools.set(url, pool);
  }
  return pool;
}

async function closeTestPool(url: string): Promise<void> {
  const pool = testPools.get(url);
  testPools.delete(url);
  await pool?.end();
}

afterAll(async () => {
  await Promise.all([...testPools.keys()].map(closeTestPool));
});

/** Fast timings for tests: short leases and ticks so recovery happens in about a second or two. */
export const fastConfig = {
  leaseTtlMs: 1500,
  heartbeatIntervalMs: 400,
  pollIntervalMs: 200,
  schedulerTickMs: 200,
  leaderStaleMs: 3000,
  livenessIntervalMs: 1000,
  livenessGraceMs: 0,
  drainTimeoutMs: 2000,
} as const;

/**
 * For tests that are not about recovery but run heavy tasks (WASM, containers): leases long enough
 * that a starved CPU (CI, parallel test files) cannot expire them mid-task.
 */
export const SLOW_MACHINE_LEASES = { leaseTtlMs: 15_000, heartbeatIntervalMs: 1_000 } as const;

/** Each test database's artifact store directory (a fresh one per database). */
export function testArtifactDir(db: TestDb): string {
  return path.join(os.tmpdir(), 'openclaw-test-artifacts', db.name);
}

export async function testEngine(db: TestDb, options: CreateEngineOptions = {}): Promise<Engine> {
  return await createEngine({
    databaseUrl: db.url,
    artifactDir: testArtifactDir(db),
    logger: createLogger({ level: process.env.OPENCLAW_TEST_LOG ?? 'silent' }),
    ...fastConfig,
    ...options,
  });
}

/** Polls `fn` until it returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`waitFor timed out after ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits until the run is in one of the terminal statuses and returns its view. */
export async function waitForRun(engine: Engine, runId: string, timeoutMs = 20_000) {
  return await waitFor(async () => {
    const run = await engine.queries.getRun(runId);
    return ['succeeded', 'failed', 'cancelled'].includes(run.status) ? run : null;
  }, timeoutMs);
}

/** Waits until the run has the given status. */
export async function waitForStatus(engine: Engine, runId: string, status: string, timeoutMs = 20_000) {
  return await waitFor(async () => {
    const run = await engine.queries.getRun(runId);
    return run.status === status ? run : null;
  }, timeoutMs);
}

/** Runs SQL on the engine's database (through the test's own pool) and returns the rows. */
export async function query<T extends pg.QueryResultRow = Record<string, unknown>>(
  engine: Engine,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const { rows } = await testPool(engine).query<T>(text, params);
  return rows;
}

export interface EngineFixture {
  db: TestDb;
  engine: Engine;
  /** Started when `slots` was given. */
  worker: Worker;
  /** Started when `scheduler: true` was given. */
  scheduler: Scheduler;
}

/**
 * The usual test-file setup: its own database, an engine (fast timings plus `config`), and on
 * request a started worker and scheduler; all closed and dropped after the file. The fields are
 * filled in `beforeAll`, so read them inside tests (`t.engine`), not at module level.
 */
export function useEngine(
  label: string,
  options: { slots?: number; scheduler?: boolean; config?: CreateEngineOptions } = {},
): EngineFixture {
  const t = {} as EngineFixture;
  beforeAll(async () => {
    t.db = await createTestDb(label);
    t.engine = await testEngine(t.db, options.config);
    if (options.slots !== undefined) {
      t.worker = t.engine.createWorker({ slots: options.slots });
      await t.worker.start();
    }
    if (options.scheduler) {
      t.scheduler = t.engine.createScheduler();
      t.scheduler.start();
    }
  });
  afterAll(async () => {
    await t.engine?.close();
    await t.db?.drop();
  });
  return t;
}

/** An `artifact` row of a run, as the artifact tests compare them. */
export interface ArtifactRow {
  name: string;
  step_key: string;
  size: string;
  sha256: string;
  media_type: string;
}

/** The file artifacts attached to a run, by step key and name. */
export function artifactRows(engine: Engine, runId: string): Promise<ArtifactRow[]> {
  return query<ArtifactRow>(
    engine,
    `SELECT name, step_key, size, sha256, media_type FROM openclaw.artifact WHERE run_id = $1 AND kind = 'file' ORDER BY step_key, name`,
    [runId],
  );
}
