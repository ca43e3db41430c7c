import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import type { Executor, TaskInvocation } from '../../engine/index.js';
import { query, useEngine, waitForRun } from '../helpers/engine.js';

const t = useEngine('artifacts-core');

/** An `http` executor that writes and reads artifacts as its `with:` says (no network). */
const fake: Executor = {
  kinds: ['http'],
  async execute(inv: TaskInvocation) {
    const spec = (inv.input ?? {}) as { write?: Record<string, string>; read?: boolean };
    for (const [name, body] of Object.entries(spec.write ?? {})) await inv.artifacts.write(name, Readable.from([Buffer.from(body)]));
    if (!spec.read) return null;
    const seen: Record<string, unknown> = {};
    for (const input of inv.artifacts.inputs)
      seen[input.name] = { text: await text(await inv.artifacts.open(input.name)), size: input.size, sha256: input.sha256 };
    return seen;
  },
};

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('artifacts between steps (core)', () => {
  it('passes an artifact from one step to the steps that need it, with its size and digest, and records its metadata', async () => {
    await t.engine.registerWorkflow(`
name: pass-artifact
steps:
  produce:
    http: { url: "x" }
    with: { write: { data: "hello, artifacts", extra: "maybe" } }
    artifacts: { out: { data: { mediaType: text/plain }, extra: { optional: true }, never: { optional: true } } }
  middle: { needs: [produce], run: noop }
  consume:
    needs: [middle]
    http: { url: "x" }
    with: { read: true }
    artifacts: { in: { input: produce.data } }
`);
    const worker = t.engine.createWorker({ slots: 2, executors: [fake] });
    await worker.start();
    try {
      const run = await waitForRun(t.engine, (await t.engine.startRun({ workflow: 'pass-artifact' })).runId);
      expect(run.status).toBe('succeeded');
      expect(run.steps.find((s) => s.key === 'consume')?.output).toEqual({
        input: { text: 'hello, artifacts', size: 16, sha256: sha('hello, artifacts') },
      });
      const rows = await query<{ name: string; step_key: string; size: string; sha256: string; media_type: string; attempt: number }>(
        t.engine,
        'SELECT name, step_key, size, sha256, media_type, attempt FROM openclaw.artifact WHERE run_id = $1 ORDER BY name',
        [run.id],
      );
      expect(rows).toEqual([
        { name: 'data', step_key: 'produce', size: '16', sha256: sha('hello, artifacts'), media_type: 'text/plain', attempt: 1 },
        { name: 'extra', step_key: 'produce', size: '5', sha256: sha('maybe'), media_type: 'application/octet-stream', attempt: 1 },
      ]);
    } finally {
      await worker.stop();
    }
  });

  it('fails a step that does not write a declared output (ArtifactNotProduced) and attaches nothing of it', async () => {
    await t.engine.registerWorkflow(`
name: missing-output
steps:
  produce:
    http: { url: "x" }
    with: { write: { one: "1" } }
    artifacts: { out: [one, two] }
`);
    const worker = t.engine.createWorker({ slots: 1, executors: [fake] });
    await worker.start();
    try {
      const run = await waitForRun(t.engine, (await t.engine.startRun({ workflow: 'missing-output' })).runId);
      expect(run.status).toBe('failed');
      expect(run.steps[0]?.error).toMatchObject({ name: 'ArtifactNotProduced' });
      expect(JSON.stringify(run.steps[0]?.error)).toContain('two');
      expect(await query(t.engine, 'SELECT 1 FROM openclaw.artifact WHERE run_id = $1', [run.id])).toEqual([]);
      // The object of `one` was uploaded but never attached: a row the sweep will find.
      const objects = await query<{ size: string }>(t.engine, 'SELECT size FROM openclaw.artifact_object WHERE run_id = $1', [run.id]);
      expect(objects).toEqual([{ size: '1' }]);
    } finally {
      await worker.stop();
    }
  });

  it('refuses a spec whose input names an artifact no needed step declares', async () => {
    await expect(
      t.engine.registerWorkflow(`
name: bad-ref
steps:
  a: { http: { url: "x" }, artifacts: { out: [data] } }
  b: { http: { url: "x" }, artifacts: { in: { d: a.nope } }, needs: [a] }
  c: { http: { url: "x" }, artifacts: { in: { d: a.data } } }
`),
    ).rejects.toMatchObject({
      problems: [
        { path: '/steps/b/artifacts/in/d', message: expect.stringContaining('declares no output artifact `nope`') },
        { path: '/steps/c/artifacts/in/d', message: expect.stringContaining('must be in this step') },
      ],
    });
  });
});
