import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useEngine, waitForRun, waitForStatus } from '../helpers/engine.js';

const t = useEngine('examples', { slots: 4, scheduler: true });

const dir = new URL('../../workflows/', import.meta.url);

describe('workflows/ examples', () => {
  it('every example registers', async () => {
    const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      const res = await t.engine.registerWorkflow(readFileSync(new URL(f, dir), 'utf8'));
      expect(res.version).toBe(1);
    }
  });

  it('fanout-join: fans out and joins', async () => {
    const run = await waitForRun(
      t.engine,
      (await t.engine.startRun({ workflow: 'fanout-join', input: { files: ['a.csv', 'bb.csv'] } })).runId,
    );
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ files: 2, bytes: 1100 });
  });

  it('flaky-step: succeeds on the third attempt', async () => {
    const run = await waitForRun(t.engine, (await t.engine.startRun({ workflow: 'flaky-step' })).runId);
    expect(run.status).toBe('succeeded');
    expect(run.steps.find((s) => s.key === 'flaky')?.attempt).toBe(3);
    expect(run.output).toEqual({ batch: 42, status: 'done' });
  });

  it('partial-failure: with onFailure continue the healthy regions finish; retry runs only the failed one', async () => {
    const { runId } = await t.engine.startRun({ workflow: 'partial-failure' });
    const run = await waitForRun(t.engine, runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ name: 'RegionDown', step: 'export-eu' });
    const status = Object.fromEntries(run.steps.map((s) => [s.key, s.status]));
    expect(status).toMatchObject({
      'export-eu': 'dead',
      'load-eu': 'skipped',
      'load-us': 'succeeded',
      'load-apac': 'succeeded',
      'notify-chat': 'dead',
    });
    expect(run.steps.find((s) => s.key === 'load-eu')?.skipReason).toBe('needs export-eu, which failed');
    const ok = await waitForRun(t.engine, (await t.engine.startRun({ workflow: 'partial-failure', input: { down: 'none' } })).runId);
    expect(ok.status).toBe('succeeded');
    expect(ok.steps.find((s) => s.key === 'notify-chat')?.status).toBe('dead');
  });

  it('order-fulfilment: small orders ship at once', async () => {
    const run = await waitForRun(t.engine, (await t.engine.startRun({ workflow: 'order-fulfilment', input: { amount: 20 } })).runId);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ shipped: true, amount: 20 });
  });

  it('order-fulfilment: big orders wait for the approve signal', async () => {
    const { runId } = await t.engine.startRun({ workflow: 'order-fulfilment', input: { amount: 5000 } });
    await waitForStatus(t.engine, runId, 'waiting');
    await t.engine.signalRun(runId, 'approve', { by: 'ada' });
    const run = await waitForRun(t.engine, runId);
    expect(run.output).toEqual({ shipped: true, amount: 5000 });
  });

  it('order-fulfilment: out of stock is caught and cancels the order', async () => {
    const run = await waitForRun(
      t.engine,
      (await t.engine.startRun({ workflow: 'order-fulfilment', input: { amount: 5, inStock: false } })).runId,
    );
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ name: 'OrderCancelled' });
    expect(run.steps.map((s) => s.key)).toEqual(['reserve', 'cancelled']);
  });
});
