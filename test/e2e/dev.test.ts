/**
 * End to end: the built CLI. `openclaw dev` runs with no DATABASE_URL (its own embedded
 * PostgreSQL in a temp data dir) and the client commands talk to it over HTTP, as a user would.
 * Then Ctrl-C (SIGINT) stops it with exit 0, and a second start on the same data dir still has
 * everything. Assertions are on stdout, stderr, exit codes and JSON, never on timings.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctrlC, exitWithin, runCli, sleep, startDev, stopAllDev, type DevProcess } from '../helpers/cli.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let home: string;
let dataDir: string;
let dev: DevProcess;

/** `openclaw <args> --url <dev>` */
const cli = (...args: string[]) => runCli([...args, '--url', dev.url], { cwd: home });

const parse = <T>(stdout: string): T => JSON.parse(stdout) as T;

async function runStatus(id: string): Promise<string> {
  const r = await cli('status', id, '--json');
  expect(r.code, r.stderr).toBe(0);
  return parse<{ status: string }>(r.stdout).status;
}

async function waitForStatus(id: string, wanted: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    if ((await runStatus(id)) === wanted) return;
    await sleep(250);
  }
  throw new Error(`run ${id} never reached ${wanted} (last: ${await runStatus(id)})`);
}

beforeAll(async () => {
  home = mkdtempSync(path.join(os.tmpdir(), 'openclaw-e2e-'));
  // As root, PostgreSQL runs as the `postgres` user and must be able to enter the data dir
  // (mkdtemp makes it 0700); otherwise `dev` would put the data under the temp dir instead.
  chmodSync(home, 0o755);
  dataDir = path.join(home, 'data');
  // cwd = home: no ./workflows there, so dev registers the examples shipped with the package.
  dev = await startDev({ dataDir, cwd: home, args: ['--slots', '4'] });
}, 120_000);

afterAll(async () => {
  await stopAllDev();
  rmSync(home, { recursive: true, force: true });
}, 90_000);

const runIds: Record<string, string> = {};

describe('openclaw dev + the client commands', () => {
  it('starts with nothing configured and registers the bundled examples', async () => {
    expect(dev.output()).toMatch(/embedded PostgreSQL, data in .*data\/pg/);
    expect(dev.output()).toContain(`${dev.url}/docs`);
    // Artifacts are kept with the dev data.
    expect(dev.output()).toContain(`artifacts ${path.join(dataDir, 'artifacts')}`);
    const r = await cli('workflows');
    expect(r.code, r.stderr).toBe(0);
    for (const name of ['fanout-join', 'flaky-step', 'order-fulfilment']) expect(r.stdout).toContain(name);
    // The etl-orders example's load step connects with WAREHOUSE_URL: dev stores its own database there.
    expect(dev.output()).toContain('secret WAREHOUSE_URL = this database');
    const secrets = await cli('secret', 'list');
    expect(secrets.stdout, secrets.stderr).toContain('WAREHOUSE_URL');
    // Auth is on: the admin key is in <data-dir>/admin.key (0600), which the commands above used
    // without being told; without a key the API answers 401.
    const keyFile = path.join(dataDir, 'admin.key');
    expect(dev.output()).toContain(`admin key in ${keyFile}`);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = readFileSync(keyFile, 'utf8').trim();
    expect(key).toMatch(/^ocl_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect((await fetch(`${dev.url}/v1/workflows`)).status).toBe(401);
    expect((await fetch(`${dev.url}/v1/workflows`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    const wrong = await runCli(['workflows', '--url', dev.url], { cwd: home, env: { OPENCLAW_API_KEY: 'ocl_nope' } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('unauthorized');
    const j = await cli('workflows', '--json');
    expect(parse<{ items: Array<{ name: string }> }>(j.stdout).items.map((w) => w.name)).toEqual(
      expect.arrayContaining(['fanout-join', 'flaky-step', 'order-fulfilment']),
    );
  });

  it('apply: created, then unchanged; an invalid spec exits 1 with its line and column', async () => {
    writeFileSync(path.join(home, 'hello.yaml'), 'name: hello-e2e\nsteps:\n  greet: { run: echo, with: { msg: hi } }\n');
    const first = await cli('apply', 'hello.yaml');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('created hello-e2e v1');
    const again = await cli('apply', 'hello.yaml');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('unchanged hello-e2e v1');

    writeFileSync(path.join(home, 'hello.json'), JSON.stringify({ name: 'hello-json-e2e', steps: { a: { run: 'noop' } } }));
    const fromJson = await cli('apply', 'hello.json');
    expect(fromJson.code, fromJson.stderr).toBe(0);
    expect(fromJson.stdout).toContain('created hello-json-e2e v1');

    writeFileSync(path.join(home, 'broken.yaml'), 'name: broken-e2e\nsteps:\n  a:\n    run: echo\n    needs: [nope]\n');
    const bad = await cli('apply', 'broken.yaml');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('broken.yaml');
    expect(bad.stderr).toMatch(/line 5, column \d+/);

    const json = await cli('apply', 'hello.yaml', 'broken.yaml', '--json');
    expect(json.code).toBe(1);
    const results = parse<Array<{ file: string; status: string; name?: string; version?: number }>>(json.stdout);
    expect(results).toEqual([
      { file: 'hello.yaml', status: 'unchanged', name: 'hello-e2e', version: 1 },
      expect.objectContaining({ file: 'broken.yaml', status: 'invalid' }),
    ]);
  });

  it('run --wait follows a run live and exits 0 when it succeeds', async () => {
    const r = await cli('run', 'fanout-join', '--wait');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('✓ list succeeded');
    expect(r.stdout).toContain('✓ score[3] succeeded');
    expect(r.stdout).toContain('✓ total succeeded');
    const m = /^run (\S+) succeeded/m.exec(r.stdout);
    expect(m?.[1]).toMatch(UUID);
    runIds.fanout = m?.[1] ?? '';
    expect(r.stdout).toMatch(/^output: \{.*"files":4/m);
  });

  it('run, signal, status: a waiting state machine finishes after its signal', async () => {
    const started = await cli('run', 'order-fulfilment', '--input', '{"amount": 5000}');
    expect(started.code, started.stderr).toBe(0);
    const id = started.stdout.trim();
    expect(id).toMatch(UUID);
    runIds.order = id;
    await waitForStatus(id, 'waiting');
    const sig = await cli('signal', id, 'approve', '--payload', '{"by": "ada"}');
    expect(sig.code, sig.stderr).toBe(0);
    await waitForStatus(id, 'succeeded');
    const status = await cli('status', id);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^status\s+succeeded/m);
    expect(status.stdout).toMatch(/^ship\s+succeeded/m);
  });

  it('a run that fails: run --wait exits 1 and says why', async () => {
    const r = await cli('run', 'order-fulfilment', '--input', '{"amount": 5, "inStock": false}', '--wait');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^run \S+ failed/m);
    expect(r.stdout).toContain('OutOfStock');
    runIds.failed = /^run (\S+) failed/m.exec(r.stdout)?.[1] ?? '';
  });

  it('runs --json lists the runs; errors are reported with their code and exit 1', async () => {
    const r = await cli('runs', '--json');
    expect(r.code, r.stderr).toBe(0);
    const page = parse<{ items: Array<{ id: string; status: string }>; nextCursor: string | null }>(r.stdout);
    const byId = new Map(page.items.map((x) => [x.id, x.status]));
    expect(byId.get(runIds.fanout ?? '')).toBe('succeeded');
    expect(byId.get(runIds.order ?? '')).toBe('succeeded');
    expect(byId.get(runIds.failed ?? '')).toBe('failed');

    const missing = await cli('run', 'no-such-workflow');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: not_found: /m);
  });

  it('Ctrl-C stops dev with exit 0; started again on the same data dir, everything is still there', async () => {
    const oldUrl = dev.url;
    const key = readFileSync(path.join(dataDir, 'admin.key'), 'utf8');
    ctrlC(dev); // the whole process group, embedded PostgreSQL included, as a terminal does
    expect(await exitWithin(dev, 30_000)).toEqual({ code: 0, signal: null });
    expect(dev.output()).not.toContain("Unhandled 'error' event");

    const down = await runCli(['runs', '--url', oldUrl], { cwd: home });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain(`cannot reach the OpenClaw API at ${oldUrl}`);
    expect(down.stderr).toContain('openclaw dev');

    dev = await startDev({ dataDir, cwd: home, args: ['--slots', '4'] });
    expect(dev.output()).toMatch(/unchanged\s+fanout-join v1/);
    // The same admin key, kept with the data.
    expect(readFileSync(path.join(dataDir, 'admin.key'), 'utf8')).toBe(key);
    const r = await cli('runs', '--json');
    expect(r.code, r.stderr).toBe(0);
    const ids = parse<{ items: Array<{ id: string }> }>(r.stdout).items.map((x) => x.id);
    expect(ids).toEqual(expect.arrayContaining([runIds.fanout, runIds.order, runIds.failed]));
    const wf = await cli('workflows');
    expect(wf.stdout).toContain('hello-e2e');
  }, 120_000);
});
