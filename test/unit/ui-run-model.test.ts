/**
 * The web UI's pure run model (ui/src): replaying a history (time travel), attempts and backoff
 * spans (the Gantt), the critical path, and the graph built from compiled specs (DAG with a
 * forEach; a state machine with choice, catch, parallel branches and a workflow state).
 */
import { describe, expect, it } from 'vitest';
import { compileSpec } from '../../engine/index.js';
import { buildGraph } from '../../ui/src/graph/build-graph.js';
import { criticalPath, ganttRows } from '../../ui/src/pages/run/gantt-model.js';
import { spansOf, stateAt } from '../../ui/src/pages/run/history-replay.js';
import type { CompiledGraph, RunEvent, Step } from '../../ui/src/data/types.js';
import { historyEvent } from '../helpers/history.js';

const ev = historyEvent;

/** flaky-step: prepare, then flaky fails twice with backoff, then report. */
const history: RunEvent[] = [
  ev('run.created', null, 0),
  ev('run.started', null, 0),
  ev('step.ready', 'prepare', 0),
  ev('step.started', 'prepare', 10, { attempt: 1, worker: 'w1' }),
  ev('step.succeeded', 'prepare', 20, { attempt: 1 }),
  ev('step.ready', 'flaky', 20),
  ev('step.started', 'flaky', 25, { attempt: 1, worker: 'w1' }),
  ev('step.retrying', 'flaky', 60, { attempt: 1, delayMs: 200, error: { name: 'Flaky', message: 'hiccup' } }),
  ev('step.started', 'flaky', 300, { attempt: 2, worker: 'w2' }),
  ev('step.retrying', 'flaky', 310, { delayMs: 400, error: { name: 'Flaky', message: 'hiccup' } }),
  ev('step.started', 'flaky', 800, { attempt: 3, worker: 'w1' }),
  ev('step.succeeded', 'flaky', 850, { attempt: 3 }),
  ev('step.ready', 'report', 850),
  ev('step.started', 'report', 860, { attempt: 1, worker: 'w2' }),
  ev('step.succeeded', 'report', 870, { attempt: 1 }),
  ev('run.succeeded', null, 870),
];

const step = (key: string, name = key, kind = 'task'): Step => ({ key, name, kind, status: 'succeeded', attempt: 1 });

describe('history replay', () => {
  it('gives every step’s status after any event (time travel)', () => {
    const atThirdStart = history.findIndex((e) => e.type === 'step.started' && (e.data as { attempt?: number }).attempt === 3);
    const then = stateAt(history, atThirdStart);
    expect(then.runStatus).toBe('running');
    expect(Object.fromEntries(then.steps)).toEqual({ prepare: 'succeeded', flaky: 'running' });
    const before = stateAt(history, atThirdStart - 1);
    expect(before.steps.get('flaky')).toBe('retrying');
    const end = stateAt(history, history.length - 1);
    expect(end.runStatus).toBe('succeeded');
    expect(Object.fromEntries(end.steps)).toEqual({ prepare: 'succeeded', flaky: 'succeeded', report: 'succeeded' });
  });

  it('makes a span per attempt (worker, outcome, error), the backoff between them, and time queued', () => {
    const flaky = spansOf(history).filter((s) => s.key === 'flaky');
    const attempts = flaky.filter((s) => s.kind === 'attempt');
    expect(attempts.map((a) => [a.attempt, a.worker, a.outcome, a.end! - a.start])).toEqual([
      [1, 'w1', 'failed', 35],
      [2, 'w2', 'failed', 10],
      [3, 'w1', 'succeeded', 50],
    ]);
    expect(attempts[0]!.error).toEqual({ name: 'Flaky', message: 'hiccup' });
    expect(flaky.filter((s) => s.kind === 'backoff').map((b) => [b.end! - b.start, b.delayMs])).toEqual([
      [240, 200],
      [490, 400],
    ]);
    expect(flaky.filter((s) => s.kind === 'queued').map((q) => q.end! - q.start)).toEqual([5]);
  });

  it('leaves what was still going open at the time-travel moment', () => {
    const spans = spansOf(history, 10); // step.started flaky attempt 3
    const open = spans.filter((s) => s.end === null);
    expect(open.map((s) => [s.key, s.kind, s.attempt])).toEqual([['flaky', 'attempt', 3]]);
    expect(spans.some((s) => s.key === 'report')).toBe(false);
  });

  it('puts the chain that decided the end on the critical path', () => {
    const graph: CompiledGraph = {
      model: 'dag',
      nodes: {
        prepare: { name: 'prepare', needs: [], forEach: null },
        side: { name: 'side', needs: [{ step: 'prepare' }], forEach: null },
        flaky: { name: 'flaky', needs: [{ step: 'prepare' }], forEach: null },
        report: { name: 'report', needs: [{ step: 'flaky' }, { step: 'side' }], forEach: null },
      },
    };
    const withSide = [...history, ev('step.started', 'side', 30, { attempt: 1 }), ev('step.succeeded', 'side', 40, { attempt: 1 })];
    const rows = ganttRows(spansOf(withSide));
    const path = criticalPath(
      rows,
      graph,
      ['prepare', 'side', 'flaky', 'report'].map((k) => step(k)),
      Date.now(),
    );
    expect([...path].sort()).toEqual(['flaky', 'prepare', 'report']);
  });
});

describe('graph from a compiled spec', () => {
  it('DAG: needs are edges; a forEach is one node with counts by status', () => {
    const wf = compileSpec(
      [
        'name: g',
        'steps:',
        '  list: { run: echo, with: { items: [1, 2, 3] } }',
        '  each: { needs: [list], forEach: "${{ steps.list.output.items }}", run: echo }',
        '  total: { needs: [each], run: echo }',
      ].join('\n'),
    );
    const steps = [
      { key: 'list', name: 'list', kind: 'task', status: 'succeeded' },
      { key: 'each', name: 'each', kind: 'foreach', status: 'running' },
      { key: 'each[0]', name: 'each', kind: 'item', status: 'succeeded' },
      { key: 'each[1]', name: 'each', kind: 'item', status: 'running' },
      { key: 'each[2]', name: 'each', kind: 'item', status: 'succeeded' },
    ];
    const { nodes, edges } = buildGraph(wf.compiled.graph as unknown as CompiledGraph, steps);
    expect(nodes.map((n) => [n.id, n.type, n.status])).toEqual([
      ['list', 'task', 'succeeded'],
      ['each', 'foreach', 'running'],
      ['total', 'task', 'not started'],
    ]);
    expect(nodes[1]!.counts).toEqual({ succeeded: 2, running: 1 });
    expect(nodes[1]!.items).toHaveLength(3);
    expect(edges.map((e) => `${e.source}->${e.target}`)).toEqual(['list->each', 'each->total']);
  });

  it('state machine: choice, catch and timeout edges, visits, parallel branches that join, a child run', () => {
    const wf = compileSpec(
      [
        'name: sm',
        'start: check',
        'states:',
        '  check:',
        '    choice: [{ when: "${{ true }}", next: fan }]',
        '    default: done',
        '  fan:',
        '    parallel:',
        '      - { start: a, states: { a: { run: noop, end: true } } }',
        '      - { start: b, states: { b: { run: noop, next: c }, c: { succeed: true } } }',
        '    next: sub',
        '    catch: [{ errors: [Boom], next: done }]',
        '  sub: { workflow: { name: other }, next: approval }',
        '  approval: { wait: { signal: approve, timeout: 1h }, next: done, onTimeout: done }',
        '  done: { succeed: true }',
      ].join('\n'),
    );
    const child = '00000000-0000-0000-0000-0000000000aa';
    const steps = [
      { key: 'check', name: 'check', kind: 'choice', status: 'succeeded' },
      { key: 'fan', name: 'fan', kind: 'parallel', status: 'succeeded' },
      { key: 'fan.0.a', name: 'fan.0.a', kind: 'task', status: 'succeeded' },
      { key: 'sub', name: 'sub', kind: 'workflow', status: 'succeeded', childRunId: child },
      { key: 'approval', name: 'approval', kind: 'wait', status: 'succeeded' },
      { key: 'approval#2', name: 'approval', kind: 'wait', status: 'waiting' },
    ];
    const { nodes, edges } = buildGraph(wf.compiled.graph as unknown as CompiledGraph, steps);
    const byId = new Map(nodes.map((n) => [n.id, n]));
    expect(byId.get('fan.0.a')!.label).toBe('a');
    expect(byId.get('fan.1.b')!.status).toBe('not started');
    expect(byId.get('sub')!.childRunId).toBe(child);
    expect(byId.get('approval')).toMatchObject({ status: 'waiting', visits: 2, stepKey: 'approval#2', detail: 'signal approve' });
    const e = edges.map((x) => `${x.source}->${x.target}${x.label ? ` (${x.label})` : ''}${x.dashed ? ' dashed' : ''}`);
    expect(e).toEqual(
      expect.arrayContaining([
        'check->fan (when)',
        'check->done (default)',
        'fan->fan.0.a (branch 1)',
        'fan->fan.1.b (branch 2)',
        'fan.1.b->fan.1.c',
        'fan.0.a->fan::join',
        'fan.1.c->fan::join',
        'fan::join->sub',
        'fan->done (catch Boom) dashed',
        'sub->approval',
        'approval->done (timeout) dashed',
      ]),
    );
    expect(e).not.toContain('fan->sub');
  });
});
