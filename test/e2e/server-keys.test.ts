/**
 * `openclaw server` bootstraps its first admin key, and `openclaw keys` manages keys with it (the
 * built CLI as child processes, a real PostgreSQL): the key is printed once on stderr; a second
 * start prints none; OPENCLAW_ADMIN_KEY is ensured instead; --insecure-local is loopback only and
 * --allow-unauthenticated is gone with a message saying what to do instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, generateMasterKey } from '../../engine/index.js';
import { CLI, cliEnv, runCli } from '../helpers/cli.js';
import { createTestDb, waitFor, type TestDb } from '../helpers/engine.js';

let db: TestDb;
let env: Record<string, string>;
const children: ChildProcess[] = [];

interface Server {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
}

async function startServer(extraArgs: string[] = [], extraEnv: Record<string, string> = {}): Promise<Server> {
  const child = spawn(process.execPath, [CLI, 'server', '--port', '0', ...extraArgs], {
    env: cliEnv({ ...env, ...extraEnv }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await waitFor(async () => {
    if (child.exitCode !== null) return { exited: child.exitCode };
    return /OpenClaw ready at (\S+)/.exec(out)?.[1] ?? null;
  }, 30_000);
  if (typeof url !== 'string') throw new Error(`server exited ${url.exited}:\n${out}\n${err}`);
  return { child, url, stdout: () => out, stderr: () => err };
}

async function stop(s: Server): Promise<void> {
  s.child.kill('SIGTERM');
  await new Promise((r) => (s.child.exitCode !== null ? r(null) : s.child.once('exit', r)));
}

beforeAll(async () => {
  db = await createTestDb('serverkeys');
  env = { DATABASE_URL: db.url, OPENCLAW_SECRET_KEY: generateMasterKey(), OPENCLAW_LOG_LEVEL: 'warn' };
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await db?.drop();
});

describe('openclaw server and openclaw keys', () => {
  it('prints an admin key once on first start; keys create/list/revoke work with it', async () => {
    const first = await startServer();
    const printed = first.stderr().match(/^admin API key: (ocl_\S+)$/m);
    expect(printed, first.stderr()).not.toBeNull();
    expect(first.stdout()).not.toContain(printed![1]);
    const admin = printed![1]!;
    const cli = (args: string[], key = admin) => runCli([...args, '--url', first.url], { env: { OPENCLAW_API_KEY: key } });

    const created = await cli([
      'keys',
      'create',
      '--role',
      'viewer',
      '--namespace',
      'default',
      '--namespace',
      'team-a',
      '--name',
      'ci',
      '--expires',
      '30d',
      '--json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; key: string; role: string; namespaces: string[]; expiresAt: string };
    expect(key).toMatchObject({ role: 'viewer', namespaces: ['default', 'team-a'] });
    expect(Date.parse(key.expiresAt)).toBeGreaterThan(Date.now() + 29 * 86_400_000);

    const list = await cli(['keys', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain(key.id);
    expect(list.stdout).toContain('ci');
    expect(list.stdout).not.toContain(key.key);

    // The viewer reads but may not manage keys.
    expect((await cli(['runs'], key.key)).code).toBe(0);
    const denied = await cli(['keys', 'list'], key.key);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('forbidden');

    const revoked = await cli(['keys', 'revoke', key.id]);
    expect(revoked.code, revoked.stderr).toBe(0);
    const after = await cli(['runs'], key.key);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('unauthorized');
    expect(after.stderr).toContain('OPENCLAW_API_KEY');
    await stop(first);

    // Keys exist now: a second start prints none.
    const second = await startServer();
    expect(second.stderr()).not.toContain('admin API key');
    await stop(second);
  });

  it('OPENCLAW_ADMIN_KEY is ensured as an admin key; a malformed one stops the server with a message', async () => {
    const key = generateApiKey();
    const s = await startServer([], { OPENCLAW_ADMIN_KEY: key });
    expect(s.stderr()).not.toContain('admin API key:');
    const res = await fetch(`${s.url}/v1/api-keys`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    await stop(s);
    const bad = await runCli(['server', '--port', '0'], { env: { ...env, OPENCLAW_ADMIN_KEY: 'hunter2' } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('OPENCLAW_ADMIN_KEY');
    expect(bad.stderr).toContain('openclaw keys generate');
  });

  it('--insecure-local serves loopback only, loudly; --allow-unauthenticated is gone', async () => {
    const open = await runCli(['server', '--host', '0.0.0.0', '--port', '0', '--insecure-local'], { env });
    expect(open.code).not.toBe(0);
    expect(open.stderr).toContain('loopback');
    const gone = await runCli(['server', '--host', '0.0.0.0', '--port', '0', '--allow-unauthenticated'], { env });
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('--insecure-local');
    const local = await startServer(['--insecure-local']);
    expect(local.stderr()).toContain('WITHOUT authentication');
    expect((await fetch(`${local.url}/v1/runs`)).status).toBe(200);
    await stop(local);
  });

  it('keys generate prints a fresh key in the ocl_ form, offline', async () => {
    const r = await runCli(['keys', 'generate']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^ocl_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
  });
});
