/**
 * The wasm executor's sandbox (S11) with tiny hand-written components (test/wasm/components.ts):
 * real jco transpile, real worker threads. An infinite loop is killed at the timeout, a memory
 * bomb is capped, an unknown import is refused at load, a huge output is refused.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWasmExecutor, type ResolvedSkill, type WasmExecutor } from '../../engine/executors/wasm/index.js';
import type { TaskInvocation } from '../../engine/executors/types.js';
import { waitFor } from '../helpers/engine.js';
import { buildFixture, resolved, type FixtureName } from './components.js';
import { wasmInvocation } from './invocation.js';

const fixtures = new Map<string, ResolvedSkill>();
let cacheDir: string;
let exec: WasmExecutor;
const loads: string[] = [];

const MiB = 1024 * 1024;

beforeAll(async () => {
  cacheDir = await mkdtemp(path.join(os.tmpdir(), 'oc-wasm-sandbox-'));
  const names: FixtureName[] = ['echo', 'fail', 'loop', 'memoryBomb', 'hugeOutput', 'notJson', 'forbiddenImport'];
  for (const n of names) {
    const skill = resolved(await buildFixture(n), { name: n.toLowerCase(), version: '1.0.0' });
    const load = skill.loadComponent;
    fixtures.set(skill.name, { ...skill, loadComponent: () => (loads.push(skill.name), load()) });
  }
  fixtures.set('schemas', {
    ...(fixtures.get('echo') as ResolvedSkill),
    name: 'schemas',
    manifest: {
      name: 'schemas',
      version: '1.0.0',
      inputSchema: { type: 'object', required: ['rows'], properties: { rows: { type: 'array', items: { type: 'integer' } } } },
      outputSchema: { type: 'object', required: ['rows', 'total'] },
    },
  });
  exec = createWasmExecutor({
    cacheDir,
    resolveSkill: (name) => Promise.resolve(fixtures.get(name) ?? null),
    limits: { defaultMemoryBytes: 64 * MiB, maxMemoryBytes: 128 * MiB },
  });
});

afterAll(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

interface Run {
  lines: Array<{ line: string; stream: string | undefined }>;
  invocation: TaskInvocation;
  abort: AbortController;
}

function invocation(spec: Record<string, unknown>, input: unknown, timeoutMs: number | null = 10_000): Run {
  const abort = new AbortController();
  const lines: Run['lines'] = [];
  const stepLog = { write: (line: string, stream?: string) => lines.push({ line, stream }) };
  return { lines, abort, invocation: wasmInvocation(spec, input, { signal: abort.signal, timeoutMs, stepLog }) };
}

const run = (
  skill: string,
  input: unknown = { hello: 'world' },
  timeoutMs: number | null = 10_000,
  extra: Record<string, unknown> = {},
) => {
  const r = invocation({ skill, ...extra }, input, timeoutMs);
  return { ...r, result: exec.execute(r.invocation) };
};

describe('wasm executor: a component in a worker thread', () => {
  it('runs a skill: JSON in, JSON out, its log lines in the step log', async () => {
    const r = run('echo@1', { rows: [1, 2, 3], name: 'Ada' });
    expect(await r.result).toEqual({ rows: [1, 2, 3], name: 'Ada' });
    expect(r.lines).toEqual([{ line: '[info] run was called', stream: 'log' }]);
    await waitFor(async () => exec.activeSandboxes === 0, 5_000);
  });

  it("a skill's typed error becomes the step's error, with the skill's retryable flag", async () => {
    await expect(run('fail@1').result).rejects.toMatchObject({ name: 'Boom', message: 'it broke', retryable: true });
  });

  it('an infinite loop is killed at the timeout: TimeoutError, and the thread is gone', async () => {
    const started = Date.now();
    const r = run('loop@1', {}, 700);
    await expect(r.result).rejects.toMatchObject({ name: 'TimeoutError', message: expect.stringContaining('700 ms') as unknown });
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(650);
    expect(took).toBeLessThan(5_000);
    await waitFor(async () => exec.activeSandboxes === 0, 5_000);
  });

  it('a step without a timeout gets the default wasm timeout', async () => {
    const short = createWasmExecutor({
      cacheDir,
      resolveSkill: (name) => Promise.resolve(fixtures.get(name) ?? null),
      limits: { defaultTimeoutMs: 500 },
    });
    const r = invocation({ skill: 'loop@1' }, {}, null);
    await expect(short.execute(r.invocation)).rejects.toMatchObject({
      name: 'TimeoutError',
      message: expect.stringContaining('500 ms') as unknown,
    });
    await waitFor(async () => short.activeSandboxes === 0, 5_000);
  });

  it('the abort signal (cancel, lease lost) stops a running skill at once', async () => {
    const r = run('loop@1', {}, 60_000);
    await waitFor(async () => exec.activeSandboxes === 1, 10_000, 20);
    const cancelled = new Error('run cancelled');
    cancelled.name = 'Cancelled';
    r.abort.abort(cancelled);
    await expect(r.result).rejects.toBe(cancelled);
    await waitFor(async () => exec.activeSandboxes === 0, 5_000);
  });

  it('a memory bomb is capped: MemoryLimitExceeded, and the process does not grow past the cap', async () => {
    const before = process.memoryUsage().rss;
    await expect(run('memorybomb@1').result).rejects.toMatchObject({
      name: 'MemoryLimitExceeded',
      retryable: false,
      message: expect.stringMatching(/limit being 67108864 bytes \(64 MiB\)/) as unknown,
    });
    // A smaller cap from the step itself.
    await expect(run('memorybomb@1', {}, 10_000, { memory: '16Mi' }).result).rejects.toMatchObject({
      name: 'MemoryLimitExceeded',
      message: expect.stringMatching(/limit being 16777216 bytes \(16 MiB\)/) as unknown,
    });
    // Uncapped, the bomb would take 4 GiB (the wasm32 maximum).
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * MiB);
    await waitFor(async () => exec.activeSandboxes === 0, 5_000);
  });

  it('a step cannot ask for more memory than the worker allows', async () => {
    await expect(run('echo@1', {}, 10_000, { memory: '1Gi' }).result).rejects.toMatchObject({
      name: 'InvalidTask',
      retryable: false,
      message: expect.stringContaining('OPENCLAW_WASM_MAX_MEMORY_BYTES') as unknown,
    });
    await expect(run('echo@1', {}, 10_000, { memory: 'lots' }).result).rejects.toMatchObject({ name: 'InvalidTask' });
  });

  it('an unknown import is refused at load, naming it, before any code runs', async () => {
    const err = (await run('forbiddenimport@1').result.catch((e: unknown) => e)) as Error & { retryable: boolean };
    expect(err.name).toBe('ForbiddenImport');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('"evil:net/socket@0.1.0"');
    expect(exec.activeSandboxes).toBe(0);
  });

  it('a huge output is refused: OutputTooLarge (nothing is truncated)', async () => {
    await expect(run('hugeoutput@1').result).rejects.toMatchObject({
      name: 'OutputTooLarge',
      retryable: false,
      message: expect.stringContaining('4194304 bytes (4 MiB) of output, over the limit of 1048576 bytes') as unknown,
    });
  });

  it('output that is not JSON fails with InvalidOutput', async () => {
    await expect(run('notjson@1').result).rejects.toMatchObject({ name: 'InvalidOutput', retryable: false });
  });

  it("the input is checked against the skill's inputSchema before running, the output against its outputSchema", async () => {
    await expect(run('schemas@1', { rows: [1, 'two'] }).result).rejects.toMatchObject({
      name: 'InvalidInput',
      retryable: false,
      message: expect.stringContaining('/input/rows/1 must be integer') as unknown,
    });
    // valid input, but echoing it back does not have `total`
    await expect(run('schemas@1', { rows: [1, 2] }).result).rejects.toMatchObject({
      name: 'InvalidOutput',
      message: expect.stringContaining("/output must have required property 'total'") as unknown,
    });
    expect(await run('schemas@1', { rows: [1, 2], total: 3 }).result).toEqual({ rows: [1, 2], total: 3 });
  });

  it('unknown skills and malformed references fail without retries', async () => {
    await expect(run('nope@1').result).rejects.toMatchObject({ name: 'UnknownSkill', retryable: false });
    await expect(run('Bad Name').result).rejects.toMatchObject({ name: 'InvalidTask', retryable: false });
  });

  it('transpiled components are cached on disk by digest: a new executor does not load the component again', async () => {
    const before = loads.filter((n) => n === 'echo').length;
    expect(before).toBe(1);
    const fresh = createWasmExecutor({ cacheDir, resolveSkill: (name) => Promise.resolve(fixtures.get(name) ?? null) });
    const r = invocation({ skill: 'echo@1' }, { again: true });
    expect(await fresh.execute(r.invocation)).toEqual({ again: true });
    expect(loads.filter((n) => n === 'echo').length).toBe(1);
  });

  it('refuses a cache directory that others can write to', async () => {
    const shared = await mkdtemp(path.join(os.tmpdir(), 'oc-wasm-shared-'));
    try {
      await chmod(shared, 0o777);
      const e = createWasmExecutor({ cacheDir: shared, resolveSkill: (name) => Promise.resolve(fixtures.get(name) ?? null) });
      await expect(e.execute(invocation({ skill: 'echo@1' }, {}).invocation)).rejects.toThrow(/writable by others/);
    } finally {
      await rm(shared, { recursive: true, force: true });
    }
  });
});
