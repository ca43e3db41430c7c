/**
 * The web UI's run model with the step cache (docs/caching.md): a step that waited for another run
 * filling the same entry, then was served from the cache: its status over time, its attempts, and
 * the graph node's link to the source run.
 */
import { describe, expect, it } from 'vitest';
import { compileSpec } from '../../engine/index.js';
import { buildGraph } from '../../ui/src/graph/build-graph.js';
import { spansOf, stateAt } from '../../ui/src/pages/run/history-replay.js';
import type { CompiledGraph, RunEvent } from '../../ui/src/data/types.js';
import { historyEvent } from '../helpers/history.js';

const ev = historyEvent;

const source = '7f0c2a52-8a4e-4a4e-9a57-5d2b8f0e1c11';
const history: RunEvent[] = [
  ev('run.created', null, 0),
  ev('run.started', null, 0),
  ev('step.ready', 'train', 0),
  ev('step.started', 'train', 10, { attempt: 1, worker: 'w1' }),
  ev('step.deferred', 'train', 15, { worker: 'w1', ownerRunId: source, ownerStepKey: 'train', delayMs: 1000 }),
  ev('step.started', 'train', 1020, { attempt: 1, worker: 'w2' }),
  ev('step.succeeded', 'train', 1030, { attempt: 1 }),
  ev('step.cached', 'train', 1030, { runId: source, stepKey: 'train', at: '2026-01-01T00:00:00.000Z' }),
  ev('run.succeeded', null, 1030),
];

describe('the step cache in the run page', () => {
  it('replays a deferred step as ready again, and names the attempts: waited, then cached', () => {
    const deferredAt = history.findIndex((e) => e.type === 'step.deferred');
    expect(stateAt(history, deferredAt).steps.get('train')).toBe('ready');
    expect(stateAt(history, history.length - 1).steps.get('train')).toBe('succeeded');
    const attempts = spansOf(history).filter((s) => s.kind === 'attempt');
    expect(attempts.map((a) => [a.worker, a.outcome])).toEqual([
      ['w1', 'waited for the cache'],
      ['w2', 'cached'],
    ]);
  });

  it('links a graph node served from the cache to its source run, once it succeeded', () => {
    const graph = compileSpec(`
name: g
steps:
  train: { run: echo, cache: true }
  report: { needs: [train], run: noop }
`).compiled.graph as unknown as CompiledGraph;
    const cached = { runId: source };
    const done = buildGraph(graph, [{ key: 'train', name: 'train', kind: 'task', status: 'succeeded', cached }]);
    expect(done.nodes.find((n) => n.id === 'train')?.cachedFrom).toBe(source);
    expect(done.nodes.find((n) => n.id === 'report')?.cachedFrom).toBeUndefined();
    // Time travel to before it succeeded: no link yet.
    const earlier = buildGraph(graph, [{ key: 'train', name: 'train', kind: 'task', status: 'running', cached }]);
    expect(earlier.nodes.find((n) => n.id === 'train')?.cachedFrom).toBeUndefined();
  });
});
