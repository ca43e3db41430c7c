import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Executor, TaskInvocation } from '../../engine/index.js';
import { query, useEngine, waitForRun } from '../helpers/engine.js';

// Small limits keep the values small: above 4 KiB a value goes to the store, above 128 KiB it is refused.
const INLINE = 4 * 1024;
const MAX = 128 * 1024;
const t = useEngine('large-json', { scheduler: true, config: { inlineJsonBytes: INLINE, maxJsonBytes: MAX } });

/** About 60 bytes of JSON a row. */
const rows = (n: number): Array<{ i: number; name: string; pad: string }> =>
  Array.from({ length: n }, (_, i) => ({ i, name: `row-${i}`, pad: 'x'.repeat(20) }));
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

interface FakeSpec {
  rows?: number;
  /** Returned as it is. */
  value?: unknown;
  /** First attempt only: lose the lease (another claim took it) before returning. */
  loseLease?: boolean;
}

const attempts = new Map<string, number>();

/** An `http` executor (no network) returning what its `with:` says. */
const fake: Executor = {
  kinds: ['http'],
  async execute(inv: TaskInvocation) {
    const spec = (inv.input ?? {}) as FakeSpec;
    const key = `${inv.runId}:${inv.stepKey}`;
    const n = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, n);
    if (spec.loseLease && n === 1) {
      await query(t.engine, 'UPDATE openclaw.step SET lease_token = lease_token + 1 WHERE run_id = $1 AND key = $2', [
        inv.runId,
        inv.stepKey,
      ]);
    }
    if (spec.value !== undefined) return spec.value;
    return { rows: rows(spec.rows ?? 0), attempt: n };
  },
};

async function withWorker<T>(fn: () => Promise<T>): Promise<T> {
  const worker = t.engine.createWorker({ slots: 2, executors: [fake] });
  await worker.start();
  try {
    return await fn();
  } finally {
    await worker.stop();
  }
}

type ArtifactRow = { step_key: string | null; name: string; kind: string; object_key: string; size: string; sha256: string };

const artifactsOf = (runId: string): Promise<ArtifactRow[]> =>
  query<ArtifactRow>(
    t.engine,
    'SELECT step_key, name, kind, object_key, size, sha256 FROM openclaw.artifact WHERE run_id = $1 ORDER BY step_key NULLS FIRST, name',
    [runId],
  );
const objectsOf = (runId: string): Promise<Array<{ key: string; step_id: string | null; size: string }>> =>
  query(t.engine, 'SELECT key, step_id, size FROM openclaw.artifact_object WHERE run_id = $1 ORDER BY created_at', [runId]);
const columnOf = async (runId: string, key: string, column: 'input' | 'output'): Promise<unknown> =>
  (await query<{ v: unknown }>(t.engine, `SELECT ${column} AS v FROM openclaw.step WHERE run_id = $1 AND key = $2`, [runId, key]))[0]?.v;

describe('large JSON values (kept in the artifact store by reference)', () => {
  it('round-trips a step output above the threshold: the row holds a reference, the API and expressions see the value', async () => {
    await t.engine.registerWorkflow(`
name: big-output
steps:
  produce: { http: { url: "x" }, with: { rows: 1000 } }
  pick:
    needs: [produce]
    run: echo
    with: { count: "\${{ $count(steps.produce.output.rows) }}", third: "\${{ steps.produce.output.rows[2].name }}" }
  pass: { needs: [produce], run: echo, with: "\${{ steps.produce.output }}" }
`);
    const run = await withWorker(async () => waitForRun(t.engine, (await t.engine.startRun({ workflow: 'big-output' })).runId));
    expect(run.status).toBe('succeeded');
    const value = { rows: rows(1000), attempt: 1 };
    const text = JSON.stringify(value);
    expect(Buffer.byteLength(text)).toBeGreaterThan(INLINE);
    const step = (key: string) => run.steps.find((s) => s.key === key);
    expect(step('produce')?.output).toEqual(value);
    expect(step('pick')?.output).toEqual({ count: 1000, third: 'row-2' });
    expect(step('pass')?.input).toEqual(value);
    expect(step('pass')?.output).toEqual(value);
    expect(run.output).toEqual({ pick: { count: 1000, third: 'row-2' }, pass: value });

    // The row keeps a reference; the object is attached as the step's `json` artifact `output`.
    const column = await columnOf(run.id, 'produce', 'output');
    expect(column).toEqual({ $openclaw: 'ref', key: expect.any(String), size: Buffer.byteLength(text), sha256: sha(text) });
    const artifacts = await artifactsOf(run.id);
    const key = (column as { key: string }).key;
    expect(artifacts.filter((a) => a.object_key === key)).toEqual([
      { step_key: 'pass', name: 'input', kind: 'json', object_key: key, size: String(Buffer.byteLength(text)), sha256: sha(text) },
      { step_key: 'pass', name: 'output', kind: 'json', object_key: key, size: String(Buffer.byteLength(text)), sha256: sha(text) },
      { step_key: 'produce', name: 'output', kind: 'json', object_key: key, size: String(Buffer.byteLength(text)), sha256: sha(text) },
    ]);
    // `pass` got the same bytes as its input and returned them: the object is referenced again, not uploaded again.
    // The two uploads are produce's output and the run's output (the sinks joined: other bytes).
    const objects = await objectsOf(run.id);
    expect(objects).toHaveLength(2);
    expect(artifacts.find((a) => a.step_key === null)).toMatchObject({ name: 'output', kind: 'json', object_key: objects[1]?.key });
    // Small values stay inline.
    expect(await columnOf(run.id, 'pick', 'output')).toEqual({ count: 1000, third: 'row-2' });
    // A list of runs shows a large value as its reference, without reading it.
    const listed = (await t.engine.queries.listRuns({ workflow: 'big-output' })).items[0];
    expect(listed?.output).toEqual({ $openclaw: 'ref', size: expect.any(Number), sha256: expect.any(String) });
  });

  it('keeps a user value that looks like a reference as a value (never read as one)', async () => {
    const forged = { $openclaw: 'ref', key: 'default/other-run/1/secret', size: 10, sha256: sha('x') };
    await t.engine.registerWorkflow(`
name: look-alike
steps:
  forge: { http: { url: "x" }, with: { value: ${JSON.stringify(forged)} } }
  read: { needs: [forge], run: echo, with: { key: "\${{ steps.forge.output.key }}" } }
`);
    const run = await withWorker(async () => waitForRun(t.engine, (await t.engine.startRun({ workflow: 'look-alike' })).runId));
    expect(run.status).toBe('succeeded');
    expect(run.steps.find((s) => s.key === 'forge')?.output).toEqual(forged);
    expect(run.steps.find((s) => s.key === 'read')?.output).toEqual({ key: forged.key });
    expect(await columnOf(run.id, 'forge', 'output')).toEqual({ $openclaw: 'value', value: forged });
    expect(await artifactsOf(run.id)).toEqual([]);
  });

  it('keeps a run input above the threshold by reference; steps read its fields, the API shows it whole', async () => {
    await t.engine.registerWorkflow(`
name: big-input
steps:
  first: { run: echo, with: { fifth: "\${{ inputs.rows[5].name }}", n: "\${{ $count(inputs.rows) }}" } }
`);
    const input = { rows: rows(1000) };
    const { runId } = await t.engine.startRun({ workflow: 'big-input', input });
    const run = await withWorker(() => waitForRun(t.engine, runId));
    expect(run.status).toBe('succeeded');
    expect(run.input).toEqual(input);
    expect(run.output).toEqual({ first: { fifth: 'row-5', n: 1000 } });
    const [row] = await query<{ input: unknown }>(t.engine, 'SELECT input FROM openclaw.run WHERE id = $1', [runId]);
    const text = JSON.stringify(input);
    expect(row?.input).toEqual({ $openclaw: 'ref', key: expect.any(String), size: Buffer.byteLength(text), sha256: sha(text) });
    expect(await artifactsOf(runId)).toEqual([
      {
        step_key: null,
        name: 'input',
        kind: 'json',
        object_key: (row?.input as { key: string }).key,
        size: String(Buffer.byteLength(text)),
        sha256: sha(text),
      },
    ]);
  });

  it('refuses a run input over OPENCLAW_MAX_JSON_BYTES before anything is written (payload_too_large)', async () => {
    await t.engine.registerWorkflow('name: too-big-input\nsteps:\n  a: { run: noop }\n');
    const before = await query(t.engine, 'SELECT count(*)::int AS n FROM openclaw.artifact_object');
    await expect(t.engine.startRun({ workflow: 'too-big-input', input: { rows: rows(4000) } })).rejects.toMatchObject({
      code: 'payload_too_large',
      message: expect.stringContaining(`maxJsonBytes=${MAX} (OPENCLAW_MAX_JSON_BYTES; raise it`),
    });
    expect(await query(t.engine, `SELECT 1 FROM openclaw.run WHERE workflow = 'too-big-input'`)).toEqual([]);
    expect(await query(t.engine, 'SELECT count(*)::int AS n FROM openclaw.artifact_object')).toEqual(before);
  });

  it('fails a step whose output is over OPENCLAW_MAX_JSON_BYTES (OutputTooLarge) without uploading it', async () => {
    await t.engine.registerWorkflow('name: too-big-output\nsteps:\n  huge: { http: { url: "x" }, with: { rows: 4000 } }\n');
    const run = await withWorker(async () => waitForRun(t.engine, (await t.engine.startRun({ workflow: 'too-big-output' })).runId));
    expect(run.status).toBe('failed');
    const huge = run.steps[0];
    expect(huge).toMatchObject({ status: 'dead', output: null, error: { name: 'OutputTooLarge' } });
    expect((huge?.error as { message: string }).message).toMatch(
      new RegExp(`^output of step huge is \\d+ bytes, over the limit maxJsonBytes=${MAX} \\(OPENCLAW_MAX_JSON_BYTES; raise it`),
    );
    expect(await objectsOf(run.id)).toEqual([]);
  });

  it("never attaches a zombie's large output: the refused completion leaves only an unreferenced object", async () => {
    await t.engine.registerWorkflow(
      'name: zombie-json\nsteps:\n  produce: { http: { url: "x" }, with: { rows: 1000, loseLease: true } }\n',
    );
    const run = await withWorker(async () => waitForRun(t.engine, (await t.engine.startRun({ workflow: 'zombie-json' })).runId));
    expect(run.status).toBe('succeeded');
    // The first attempt's completion was refused; the step ran again after its lease expired.
    expect(run.steps[0]?.output).toEqual({ rows: rows(1000), attempt: 2 });
    const rejected = await query(t.engine, `SELECT 1 FROM openclaw.step_attempt WHERE run_id = $1 AND status = 'rejected'`, [run.id]);
    expect(rejected).toHaveLength(1);
    // Two uploads of the step (the zombie's, the winner's) and the run's output (its sink joined).
    const objects = (await objectsOf(run.id)).filter((o) => o.step_id !== null);
    expect(objects).toHaveLength(2);
    const artifacts = (await artifactsOf(run.id)).filter((a) => a.step_key === 'produce');
    expect(artifacts.map((a) => a.object_key)).toEqual([objects[1]?.key]);
    expect(await query(t.engine, 'SELECT 1 FROM openclaw.artifact WHERE object_key = $1', [objects[0]?.key])).toEqual([]);
    expect(await columnOf(run.id, 'produce', 'output')).toMatchObject({ key: objects[1]?.key });
  });

  it('joins large forEach item outputs, and passes a large state output on to the run and a parent run', async () => {
    await t.engine.registerWorkflow(`
name: fan-out
steps:
  each: { forEach: "\${{ [300, 400] }}", http: { url: "x" }, with: { rows: "\${{ item }}" } }
output: "\${{ steps.each.output }}"
`);
    await t.engine.registerWorkflow(`
name: sm-parent
start: produce
states:
  produce: { http: { url: "x" }, with: { rows: 600 }, next: call }
  call: { workflow: { name: fan-out }, next: done }
  done: { succeed: true }
`);
    const run = await withWorker(async () => waitForRun(t.engine, (await t.engine.startRun({ workflow: 'sm-parent' })).runId));
    expect(run.status).toBe('succeeded');
    const joined = [
      { rows: rows(300), attempt: 1 },
      { rows: rows(400), attempt: 1 },
    ];
    expect(run.steps.find((s) => s.key === 'call')?.output).toEqual(joined);
    // `succeed` passes the last output on: the run's output is the child's, the same object referenced again.
    expect(run.output).toEqual(joined);
    const child = await t.engine.queries.getRun(run.steps.find((s) => s.key === 'call')?.childRunId as string);
    expect(child.output).toEqual(joined);
    const childOutput = (
      await query<{ output: { key: string } }>(t.engine, 'SELECT output FROM openclaw.run WHERE id = $1', [child.id])
    )[0];
    const parentOutput = (await query<{ output: { key: string } }>(t.engine, 'SELECT output FROM openclaw.run WHERE id = $1', [run.id]))[0];
    expect(parentOutput?.output.key).toBe(childOutput?.output.key);
    // The parent holds its own `json` artifacts of that object (its step's and its own output): they outlive the child's rows.
    expect((await artifactsOf(run.id)).filter((a) => a.object_key === childOutput?.output.key).map((a) => [a.step_key, a.name])).toEqual([
      [null, 'output'],
      ['call', 'output'],
    ]);
  });

  it('serves a cached step with a large input and output: the source output object again, the step keeping its own input', async () => {
    await t.engine.registerWorkflow(`
name: cached-big
steps:
  make: { http: { url: "x" }, with: { rows: 1000 } }
  use:
    needs: [make]
    http: { url: "x" }
    with: { rows: 500, data: "\${{ steps.make.output.rows }}" }
    cache: { key: "\${{ 'same-for-every-run' }}" }
`);
    const first = await withWorker(async () => waitForRun(t.engine, (await t.engine.startRun({ workflow: 'cached-big' })).runId));
    const second = await withWorker(async () => waitForRun(t.engine, (await t.engine.startRun({ workflow: 'cached-big' })).runId));
    expect([first.status, second.status]).toEqual(['succeeded', 'succeeded']);
    const use = (run: typeof first) => run.steps.find((s) => s.key === 'use');
    expect(use(second)?.output).toEqual(use(first)?.output);
    expect(use(second)?.output).toEqual({ rows: rows(500), attempt: 1 });
    const rowsOf = async (runId: string) =>
      query<{ name: string; object_key: string; cached_from: string | null }>(
        t.engine,
        `SELECT name, object_key, cached_from FROM openclaw.artifact WHERE run_id = $1 AND step_key = 'use' ORDER BY name`,
        [runId],
      );
    const [firstInput, firstOutput] = await rowsOf(first.id);
    const [secondInput, secondOutput] = await rowsOf(second.id);
    expect(secondOutput).toMatchObject({ name: 'output', object_key: firstOutput?.object_key, cached_from: expect.any(String) });
    expect(secondInput).toMatchObject({ name: 'input', cached_from: null });
    expect(secondInput?.object_key).not.toBe(firstInput?.object_key);
  });
});
