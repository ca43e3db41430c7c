import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { migrate } from '../../engine/db/migrate.js';
import { createPool } from '../../engine/db/pool.js';
import { installBackgroundSchema } from '../../engine/background.js';
import { prepareDocker, type DockerStatus } from './docker-check.js';
import { TEMPLATE_DB, startTestServer, withDatabase, type TestServer } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    /** Whether the tests that need Docker run (see docker-check.ts). */
    docker: DockerStatus;
  }
}

let server: TestServer | undefined;

/**
 * Decides whether the Docker tests run (building the local test images if needed), then starts
 * one PostgreSQL for the whole test run and migrates the template database.
 */
export async function setup(project: TestProject): Promise<void> {
  project.provide('docker', await prepareDocker());
  server = await startTestServer();
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${TEMPLATE_DB}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${TEMPLATE_DB}"`);
  } finally {
    await admin.end();
  }
  const pool = createPool(withDatabase(server.adminUrl, TEMPLATE_DB), 2);
  try {
    await migrate(pool);
    await installBackgroundSchema(withDatabase(server.adminUrl, TEMPLATE_DB));
  } finally {
    await pool.end();
  }
  project.provide('pgAdminUrl', server.adminUrl);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
