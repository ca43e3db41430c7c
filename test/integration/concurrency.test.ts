import { describe, expect, it } from 'vitest';
import { query, useEngine, waitFor, waitForRun } from '../helpers/engine.js';

const t = useEngine('conc', { slots: 8 });

const spec = (name: string, onOverlap: string, ms = 400): string =>
  `name: ${name}\nconcurrency: { limit: 1, onOverlap: ${onOverlap} }\nsteps:\n  nap: { run: sleep, with: { ms: ${ms} } }\n`;

describe('run-level concurrency', () => {
  it('queue: runs beyond the limit wait and start in order, never overlapping', async () => {
    await t.engine.registerWorkflow(spec('q', 'queue'));
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await t.engine.startRun({ workflow: 'q' })).runId);
    const statuses = await Promise.all(ids.map(async (id) => (await t.engine.queries.getRun(id)).status));
    expect(statuses).toEqual(['running', 'queued', 'queued']);
    const runs = await Promise.all(ids.map((id) => waitForRun(t.engine, id)));
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    for (let i = 1; i < runs.length; i++) {
      expect(Date.parse(runs[i]?.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(runs[i - 1]?.finishedAt ?? ''));
    }
  });

  it('skip: a start over the limit is recorded as cancelled (ConcurrencySkipped) and never runs', async () => {
    await t.engine.registerWorkflow(spec('s', 'skip'));
    const first = await t.engine.startRun({ workflow: 's' });
    const second = await t.engine.startRun({ workflow: 's' });
    expect(second.status).toBe('cancelled');
    const skipped = await t.engine.queries.getRun(second.runId);
    expect(skipped.error).toMatchObject({ name: 'ConcurrencySkipped' });
    expect(skipped.steps).toEqual([]);
    expect((await waitForRun(t.engine, first.runId)).status).toBe('succeeded');
    // Retrying a skipped start runs it from the beginning.
    await t.engine.retryRun(second.runId);
    const retried = await waitForRun(t.engine, second.runId);
    expect(retried.status).toBe('succeeded');
    expect(retried.steps.map((s) => [s.key, s.status])).toEqual([['nap', 'succeeded']]);
  });

  it('cancel-running: a new run cancels the running one', async () => {
    await t.engine.registerWorkflow(spec('c', 'cancel-running', 10_000));
    const first = await t.engine.startRun({ workflow: 'c' });
    await waitFor(async () => (await t.engine.queries.getRun(first.runId)).steps[0]?.status === 'running');
    const second = await t.engine.startRun({ workflow: 'c' });
    const old = await waitForRun(t.engine, first.runId);
    expect(old.status).toBe('cancelled');
    expect(old.error).toMatchObject({ name: 'Cancelled' });
    expect((await t.engine.queries.getRun(second.runId)).status).toBe('running');
    await t.engine.cancelRun(second.runId);
  });

  it('allow: no limit is applied', async () => {
    await t.engine.registerWorkflow(spec('a', 'allow', 300));
    const ids = await Promise.all([1, 2, 3].map(async () => (await t.engine.startRun({ workflow: 'a' })).runId));
    const statuses = await query<{ status: string }>(t.engine, 'SELECT status FROM openclaw.run WHERE id = ANY($1)', [ids]);
    expect(statuses.every((s) => s.status === 'running')).toBe(true);
    await Promise.all(ids.map((id) => waitForRun(t.engine, id)));
  });
});
