import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { ApiClient } from '../../cli/client.js';
import { namespaceOf } from '../../cli/context.js';
import { UsageError } from '../../cli/errors.js';
import { intArg, readJsonArg } from '../../cli/input.js';
import { buildProgram } from '../../cli/program.js';
import { choosePgLocation } from '../../cli/runtime/embedded-db.js';
import { startTestServer } from '../helpers/http-server.js';

describe('flag values', () => {
  it('reads JSON inline, from @file and from @- (stdin); bad JSON is a usage error naming the flag', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'openclaw-cli-args-'));
    try {
      const file = path.join(dir, 'in.json');
      writeFileSync(file, '{"amount": 5}');
      expect(readJsonArg('{"a":[1]}', '--input')).toEqual({ a: [1] });
      expect(readJsonArg(`@${file}`, '--input')).toEqual({ amount: 5 });
      expect(readJsonArg('@-', '--input', () => '"x"')).toBe('x');
      expect(() => readJsonArg('{a:1}', '--input')).toThrow(UsageError);
      expect(() => readJsonArg('{a:1}', '--input')).toThrow(/--input: not valid JSON/);
      expect(() => readJsonArg(`@${dir}/missing.json`, '--payload')).toThrow(/--payload @.*cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses bounded integers', () => {
    expect(intArg(0, 65535)('8080')).toBe(8080);
    expect(() => intArg(0, 65535)('70000')).toThrow(/from 0 to 65535/);
    expect(() => intArg(1)('1.5')).toThrow(/integer >= 1/);
  });
});

describe('command line', () => {
  /** Parses argv with the `run` command's action replaced by a probe. */
  async function parseRun(argv: string[]): Promise<{ workflow: string; opts: Record<string, unknown>; json: boolean }> {
    const program = buildProgram();
    let seen: { workflow: string; opts: Record<string, unknown>; json: boolean } | undefined;
    const run = program.commands.find((c) => c.name() === 'run');
    run?.action((workflow: string, opts: Record<string, unknown>) => {
      seen = { workflow, opts, json: opts.json === true || program.opts().json === true };
    });
    await program.parseAsync(argv, { from: 'user' });
    if (!seen) throw new Error('run action not called');
    return seen;
  }

  it('`run --version N` is the run flag, not the program version; --json works before or after the command', async () => {
    const a = await parseRun(['run', 'etl', '--version', '2', '--json', '--input', '{}']);
    expect(a).toMatchObject({ workflow: 'etl', opts: { version: 2, input: '{}' }, json: true });
    const b = await parseRun(['--json', 'run', 'etl', '--wait']);
    expect(b).toMatchObject({ workflow: 'etl', opts: { wait: true }, json: true });
  });

  it('client commands default --url to OPENCLAW_URL, then http://127.0.0.1:8080', async () => {
    const saved = process.env.OPENCLAW_URL;
    try {
      delete process.env.OPENCLAW_URL;
      expect((await parseRun(['run', 'x'])).opts.url).toBe('http://127.0.0.1:8080');
      process.env.OPENCLAW_URL = 'http://example.test:9000';
      expect((await parseRun(['run', 'x'])).opts.url).toBe('http://example.test:9000');
    } finally {
      if (saved === undefined) delete process.env.OPENCLAW_URL;
      else process.env.OPENCLAW_URL = saved;
    }
  });
});

describe('--namespace', () => {
  /** The namespace `argv` gives the `workflows` command (its action replaced by a probe). */
  async function namespaceFor(argv: string[], env?: string): Promise<string> {
    const saved = process.env.OPENCLAW_NAMESPACE;
    try {
      if (env === undefined) delete process.env.OPENCLAW_NAMESPACE;
      else process.env.OPENCLAW_NAMESPACE = env;
      const program = buildProgram();
      let seen: string | undefined;
      program.commands.find((c) => c.name() === 'workflows')?.action((_opts: unknown, cmd: Command) => void (seen = namespaceOf(cmd)));
      await program.parseAsync(argv, { from: 'user' });
      if (seen === undefined) throw new Error('workflows action not called');
      return seen;
    } finally {
      if (saved === undefined) delete process.env.OPENCLAW_NAMESPACE;
      else process.env.OPENCLAW_NAMESPACE = saved;
    }
  }

  it('is given after or before the command, else OPENCLAW_NAMESPACE, else default', async () => {
    expect(await namespaceFor(['workflows'])).toBe('default');
    expect(await namespaceFor(['workflows'], 'from-env')).toBe('from-env');
    expect(await namespaceFor(['workflows', '--namespace', 'team-b'], 'from-env')).toBe('team-b');
    expect(await namespaceFor(['--namespace', 'team-a', 'workflows'], 'from-env')).toBe('team-a');
    expect(await namespaceFor(['--namespace', 'team-a', 'workflows', '--namespace', 'team-b'])).toBe('team-b');
  });

  it('the client sends it as X-OpenClaw-Namespace on every request', async () => {
    const srv = await startTestServer();
    try {
      srv.route('/v1/workflows', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"items":[]}'));
      await new ApiClient(srv.url, { namespace: 'team-b' }).GET('/v1/workflows');
      await new ApiClient(srv.url).GET('/v1/workflows');
      expect(srv.requests.map((r) => r.headers['x-openclaw-namespace'])).toEqual(['team-b', undefined]);
    } finally {
      await srv.close();
    }
  });
});

describe('where dev keeps the embedded PostgreSQL data', () => {
  const searchable = (blocked: string[]) => (dir: string) => !blocked.includes(dir);

  it('uses <data-dir>/pg when not root, or when the postgres user can reach it', () => {
    expect(choosePgLocation('/root/proj/.openclaw', { isRoot: false, tmpdir: '/tmp', searchable: searchable(['/root']) })).toEqual({
      dir: '/root/proj/.openclaw/pg',
    });
    expect(choosePgLocation('/srv/proj/.openclaw', { isRoot: true, tmpdir: '/tmp', searchable: searchable([]) })).toEqual({
      dir: '/srv/proj/.openclaw/pg',
    });
  });

  it('as root with a blocked ancestor, falls back to a stable directory under the temp dir', () => {
    const opts = { isRoot: true, tmpdir: '/tmp', searchable: searchable(['/root']) };
    const a = choosePgLocation('/root/proj/.openclaw', opts);
    expect(a.blockedBy).toBe('/root');
    expect(a.dir).toMatch(/^\/tmp\/openclaw-dev-[0-9a-f]{16}\/pg$/);
    expect(choosePgLocation('/root/proj/.openclaw', opts).dir).toBe(a.dir);
    expect(choosePgLocation('/root/other/.openclaw', opts).dir).not.toBe(a.dir);
  });

  it('says what to do when even the temp dir is unreachable', () => {
    expect(() => choosePgLocation('/root/p', { isRoot: true, tmpdir: '/root/tmp', searchable: searchable(['/root']) })).toThrow(
      /neither .* nor/,
    );
  });
});
