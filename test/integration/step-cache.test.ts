import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepArtifacts } from '../../engine/artifacts/sweep.js';
import { engineCore } from '../../engine/engine.js';
import type { Executor, TaskInvocation, Worker } from '../../engine/index.js';
import { query, useEngine, waitFor, waitForRun } from '../helpers/engine.js';

// Values above 4 KiB are kept in the artifact store (docs/artifacts.md, "Large JSON").
const t = useEngine('step-cache', { config: { inlineJsonBytes: 4096 } });

/** Executions per step key of the fake executor, and gates that hold an execution until opened. */
const executions = new Map<string, number>();
const gates = new Map<string, { open: () => void; promise: Promise<void> }>();

function gate(name: string): () => void {
  let open = (): void => {};
  const promise = new Promise<void>((r) => (open = r));
  gates.set(name, { open, promise });
  return open;
}

/**
 * An `http` executor driven by its `with:` (no network): counts its executions per step key, waits
 * on a gate, fails, writes output artifacts and reads its input artifacts.
 */
const fake: Executor = {
  kinds: ['http'],
  async execute(inv: TaskInvocation) {
    executions.set(inv.stepKey, (executions.get(inv.stepKey) ?? 0) + 1);
    const spec = (inv.input ?? {}) as { write?: Record<string, string>; read?: boolean; gate?: string; fail?: boolean; out?: unknown };
    if (spec.gate) await gates.get(spec.gate)?.promise;
    if (spec.fail && inv.attempt === 1) throw new Error('first attempt fails');
    for (const [name, body] of Object.entries(spec.write ?? {})) await inv.artifacts.write(name, Readable.from([Buffer.from(body)]));
    const seen: Record<string, string> = {};
    if (spec.read) for (const input of inv.artifacts.inputs) seen[input.name] = await text(await inv.artifacts.open(input.name));
    return { out: spec.out ?? null, seen, attempt: inv.attempt };
  },
};

let worker: Worker;
beforeAll(async () => {
  worker = t.engine.createWorker({ slots: 4, executors: [fake] });
  await worker.start();
});
afterAll(async () => {
  await worker.stop();
});

async function run(workflow: string, input: unknown = {}, opts: { cache?: 'refresh' } = {}) {
  const { runId } = await t.engine.startRun({ workflow, input, ...opts });
  return await waitForRun(t.engine, runId);
}

const eventsOf = async (runId: string, type: string) => (await t.engine.queries.getEvents(runId)).items.filter((e) => e.type === type);

const stepOf = <S extends { key: string }>(r: { steps: S[] }, key: string): S => r.steps.find((s) => s.key === key)!;

describe('step caching', () => {
  it('serves a second run with the same key from the cache: output and readable artifacts, without executing', async () => {
    await t.engine.registerWorkflow(`
name: keyed
steps:
  produce:
    http: { url: "x" }
    with: { write: { model: "weights-\${{ inputs.v }}" }, out: "\${{ inputs.v }}" }
    artifacts: { out: { model: { mediaType: text/plain } } }
    cache: { key: "model-\${{ inputs.v }}", ttl: 1h }
  consume:
    needs: [produce]
    http: { url: "x" }
    with: { read: true }
    artifacts: { in: { m: produce.model } }
`);
    const first = await run('keyed', { v: 1 });
    expect(first.status).toBe('succeeded');
    expect(executions.get('produce')).toBe(1);

    const second = await run('keyed', { v: 1 });
    expect(second.status).toBe('succeeded');
    expect(executions.get('produce')).toBe(1);
    expect(stepOf(second, 'produce').output).toEqual(stepOf(first, 'produce').output);
    expect(stepOf(second, 'produce').cached).toEqual({ runId: first.id, stepKey: 'produce', at: expect.any(String) });
    expect(stepOf(first, 'produce').cached).toBeNull();
    // The next step read the served artifact: the same bytes.
    expect(stepOf(second, 'consume').output).toMatchObject({ seen: { m: 'weights-1' } });
    const cached = await eventsOf(second.id, 'step.cached');
    expect(cached).toEqual([
      expect.objectContaining({ stepKey: 'produce', data: { runId: first.id, stepKey: 'produce', at: expect.any(String) } }),
    ]);
    // step.cached follows the step's step.succeeded.
    const history = (await t.engine.queries.getEvents(second.id)).items.filter((e) => e.stepKey === 'produce').map((e) => e.type);
    expect(history.slice(-2)).toEqual(['step.succeeded', 'step.cached']);

    // Its own artifact row, naming the source's object (no bytes copied) and the source artifact.
    const rows = await query<{ run_id: string; object_key: string; cached_from: string | null; id: string; sha256: string }>(
      t.engine,
      `SELECT run_id, object_key, cached_from, id, sha256 FROM openclaw.artifact WHERE name = 'model' AND run_id = ANY($1) ORDER BY created_at`,
      [[first.id, second.id]],
    );
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({
      run_id: second.id,
      object_key: rows[0]!.object_key,
      cached_from: rows[0]!.id,
      sha256: rows[0]!.sha256,
    });
    expect(rows[0]!.cached_from).toBeNull();

    // A different key misses.
    const other = await run('keyed', { v: 2 });
    expect(executions.get('produce')).toBe(2);
    expect(stepOf(other, 'produce').cached).toBeNull();
    expect(stepOf(other, 'consume').output).toMatchObject({ seen: { m: 'weights-2' } });
  });

  it('deleting the source run (retention) removes its entry and leaves the served copy readable', async () => {
    await t.engine.registerWorkflow(`
name: retained
steps:
  make:
    http: { url: "x" }
    with: { write: { blob: "kept bytes" } }
    artifacts: { out: [blob] }
    cache: { key: "k" }
`);
    const source = await run('retained');
    const copy = await run('retained');
    expect(stepOf(copy, 'make').cached).toMatchObject({ runId: source.id });
    await query(t.engine, 'DELETE FROM openclaw.run WHERE id = $1', [source.id]);
    expect(await query(t.engine, `SELECT 1 FROM openclaw.step_cache WHERE workflow = 'retained'`)).toEqual([]);
    await sweepArtifacts(engineCore(t.engine), { graceMs: 0 });
    const [row] = await query<{ object_key: string }>(t.engine, `SELECT object_key FROM openclaw.artifact WHERE run_id = $1`, [copy.id]);
    expect(await text(await engineCore(t.engine).artifacts.open(row!.object_key))).toBe('kept bytes');
    // The entry went with its source: the next run executes again.
    const before = executions.get('make') ?? 0;
    const again = await run('retained');
    expect(stepOf(again, 'make').cached).toBeNull();
    expect(executions.get('make')).toBe(before + 1);
  });

  it('cache: true keys on the evaluated task block, input and input artifact digests', async () => {
    await t.engine.registerWorkflow(`
name: default-key
steps:
  extract:
    http: { url: "x" }
    with: { write: { data: "\${{ inputs.data }}" } }
    artifacts: { out: [data] }
  train:
    needs: [extract]
    http: { url: "https://example.test/\${{ inputs.region }}" }
    with: { read: true }
    artifacts: { in: { d: extract.data } }
    cache: true
`);
    const a = await run('default-key', { data: 'rows-A', region: 'eu' });
    expect(executions.get('train')).toBe(1);
    const again = await run('default-key', { data: 'rows-A', region: 'eu' });
    expect(executions.get('train')).toBe(1);
    expect(stepOf(again, 'train').cached).toMatchObject({ runId: a.id });
    expect(stepOf(again, 'train').output).toEqual(stepOf(a, 'train').output);
    // Same task block and input, different bytes in the input artifact: a miss.
    const changed = await run('default-key', { data: 'rows-B', region: 'eu' });
    expect(executions.get('train')).toBe(2);
    expect(stepOf(changed, 'train').cached).toBeNull();
    expect(stepOf(changed, 'train').output).toMatchObject({ seen: { d: 'rows-B' } });
    // Same data, a different evaluated task block (url): a miss.
    await run('default-key', { data: 'rows-A', region: 'us' });
    expect(executions.get('train')).toBe(3);
    // The default-key entries: one per distinct (task block, input, digests).
    const keys = await query(t.engine, `SELECT 1 FROM openclaw.step_cache WHERE workflow = 'default-key' AND state = 'filled'`);
    expect(keys).toHaveLength(3);
  });

  it('cache: true keys a large input (kept by reference) on its digest, not on its object', async () => {
    await t.engine.registerWorkflow(`
name: big-input
steps:
  fitbig:
    http: { url: "x" }
    with: { rows: "\${{ inputs.rows }}" }
    cache: true
`);
    const rows = (tag: string) => Array.from({ length: 200 }, (_, i) => ({ i, tag, pad: 'x'.repeat(20) }));
    const first = await run('big-input', { rows: rows('a') });
    const [ref] = await query<{ input: unknown }>(t.engine, `SELECT input FROM openclaw.step WHERE run_id = $1`, [first.id]);
    expect(ref?.input).toMatchObject({ $openclaw: 'ref' });
    const second = await run('big-input', { rows: rows('a') });
    expect(executions.get('fitbig')).toBe(1);
    expect(stepOf(second, 'fitbig').cached).toMatchObject({ runId: first.id });
    await run('big-input', { rows: rows('b') });
    expect(executions.get('fitbig')).toBe(2);
  });

  it('a refresh (run-level or cache.refresh) executes and replaces the entry; later runs hit the new one', async () => {
    await t.engine.registerWorkflow(`
name: refreshing
steps:
  fit:
    http: { url: "x" }
    with: { out: "\${{ inputs.v }}" }
    cache: { key: "fixed", refresh: "\${{ inputs.force = true }}" }
`);
    const first = await run('refreshing', { v: 1 });
    const refreshed = await run('refreshing', { v: 2 }, { cache: 'refresh' });
    expect(executions.get('fit')).toBe(2);
    expect(stepOf(refreshed, 'fit').cached).toBeNull();
    expect(stepOf(refreshed, 'fit').output).toMatchObject({ out: 2 });
    const entry = await query<{ run_id: string }>(t.engine, `SELECT run_id FROM openclaw.step_cache WHERE workflow = 'refreshing'`);
    expect(entry).toEqual([{ run_id: refreshed.id }]);

    const hit = await run('refreshing', { v: 3 });
    expect(executions.get('fit')).toBe(2);
    expect(stepOf(hit, 'fit').output).toMatchObject({ out: 2 });
    expect(stepOf(hit, 'fit').cached).toMatchObject({ runId: refreshed.id });

    // The step's own refresh template.
    const forced = await run('refreshing', { v: 4, force: true });
    expect(executions.get('fit')).toBe(3);
    expect(stepOf(forced, 'fit').output).toMatchObject({ out: 4 });
    expect(await query(t.engine, `SELECT run_id FROM openclaw.step_cache WHERE workflow = 'refreshing'`)).toEqual([{ run_id: forced.id }]);
    expect(first.id).not.toBe(forced.id);
  });

  it('an entry older than its ttl (database clock) is a miss', async () => {
    await t.engine.registerWorkflow(`
name: short-lived
steps:
  s:
    http: { url: "x" }
    with: { out: "\${{ inputs.v }}" }
    cache: { key: "k", ttl: 1s }
`);
    const first = await run('short-lived', { v: 1 });
    const hit = await run('short-lived', { v: 2 });
    expect(executions.get('s')).toBe(1);
    expect(stepOf(hit, 's').cached).toMatchObject({ runId: first.id });
    await waitFor(async () => {
      const [row] = await query<{ expired: boolean }>(
        t.engine,
        `SELECT expires_at <= now() AS expired FROM openclaw.step_cache WHERE workflow = 'short-lived'`,
      );
      return row?.expired;
    });
    const miss = await run('short-lived', { v: 3 });
    expect(executions.get('s')).toBe(2);
    expect(stepOf(miss, 's').cached).toBeNull();
    expect(stepOf(miss, 's').output).toMatchObject({ out: 3 });
  });

  it('a failed attempt never fills the entry; the attempt that succeeds does', async () => {
    await t.engine.registerWorkflow(`
name: flaky-cached
steps:
  s:
    http: { url: "x" }
    with: { fail: true, out: "\${{ inputs.v }}" }
    retry: { maxAttempts: 2, delay: 10ms }
    cache: { key: "k" }
`);
    await t.engine.registerWorkflow(`
name: failing-cached
steps:
  s:
    http: { url: "x" }
    with: { fail: true }
    cache: { key: "k" }
`);
    const failed = await run('failing-cached');
    expect(failed.status).toBe('failed');
    expect(await query(t.engine, `SELECT 1 FROM openclaw.step_cache WHERE workflow = 'failing-cached' AND state = 'filled'`)).toEqual([]);
    const again = await run('failing-cached');
    expect(again.status).toBe('failed');
    expect(executions.get('s')).toBeGreaterThanOrEqual(2);

    const before = executions.get('s') ?? 0;
    const retried = await run('flaky-cached', { v: 7 });
    expect(retried.status).toBe('succeeded');
    expect(stepOf(retried, 's').output).toMatchObject({ attempt: 2 });
    expect(await query(t.engine, `SELECT step_key, state FROM openclaw.step_cache WHERE workflow = 'flaky-cached'`)).toEqual([
      { step_key: 's', state: 'filled' },
    ]);
    const hit = await run('flaky-cached', { v: 8 });
    expect(stepOf(hit, 's').cached).toMatchObject({ runId: retried.id });
    expect(executions.get('s')).toBe(before + 2);
  });

  it('two runs with the same key at once execute once: the second waits for the first, then hits', async () => {
    await t.engine.registerWorkflow(`
name: concurrent
steps:
  slow:
    http: { url: "x" }
    with: { gate: "slow", out: "done" }
    cache: { key: "shared" }
`);
    const open = gate('slow');
    const a = await t.engine.startRun({ workflow: 'concurrent' });
    await waitFor(async () => executions.get('slow') === 1);
    const b = await t.engine.startRun({ workflow: 'concurrent' });
    // B's step finds A's attempt filling the entry and is handed back, its attempt not spent.
    const deferred = await waitFor(async () => (await eventsOf(b.runId, 'step.deferred'))[0]);
    expect(deferred.data).toMatchObject({ ownerRunId: a.runId, ownerStepKey: 'slow', delayMs: expect.any(Number) });
    open();
    const [ra, rb] = await Promise.all([waitForRun(t.engine, a.runId), waitForRun(t.engine, b.runId)]);
    expect([ra.status, rb.status]).toEqual(['succeeded', 'succeeded']);
    expect(executions.get('slow')).toBe(1);
    expect(stepOf(rb, 'slow').cached).toMatchObject({ runId: a.runId });
    expect(stepOf(rb, 'slow').attempt).toBe(1);
    expect(stepOf(rb, 'slow').output).toEqual(stepOf(ra, 'slow').output);
  });

  it('caches state-machine task states and built-in tasks', async () => {
    await t.engine.registerWorkflow(`
name: sm-cached
start: compute
states:
  compute:
    run: echo
    with: { v: "\${{ inputs.v }}" }
    cache: true
    end: true
`);
    const first = await run('sm-cached', { v: 1 });
    const second = await run('sm-cached', { v: 1 });
    expect(second.status).toBe('succeeded');
    expect(stepOf(second, 'compute').cached).toMatchObject({ runId: first.id, stepKey: 'compute' });
    expect(second.output).toEqual(first.output);
    const third = await run('sm-cached', { v: 2 });
    expect(stepOf(third, 'compute').cached).toBeNull();
  });

  it('refuses secrets in cache.key, an empty key and a zero ttl', async () => {
    await expect(
      t.engine.registerWorkflow(`
name: bad-cache
steps:
  a: { http: { url: "x" }, cache: { key: "\${{ secrets.TOKEN }}" } }
  b: { http: { url: "x" }, cache: { key: "" } }
  c: { http: { url: "x" }, cache: { ttl: 0s } }
  d: { http: { url: "x" }, cache: { refresh: "yes" } }
`),
    ).rejects.toMatchObject({
      problems: [
        { path: '/steps/a/cache/key', message: expect.stringContaining('`secrets` can only be used inside a task block') },
        { path: '/steps/b/cache/key', message: expect.stringContaining('must not be empty') },
        { path: '/steps/c/cache/ttl', message: expect.stringContaining('longer than 0') },
        { path: '/steps/d/cache/refresh', message: expect.stringContaining('single `${{ ... }}` expression') },
      ],
    });
  });
});
