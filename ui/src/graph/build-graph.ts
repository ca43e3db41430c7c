/**
 * The nodes and edges of a run's graph, from the compiled graph (GET /v1/workflows/{name}/versions/
 * {version}) and the steps' statuses (live, or replayed for time travel). Pure: no React Flow here.
 *
 * - DAG: one node per step, edges from `needs`. A `forEach` is one group node with its items'
 *   counts by status; expanded, it lists its items a page at a time.
 * - State machine: one node per state (its latest visit's status, and how many visits), edges for
 *   `next`, choices, `catch` and timeouts; a `parallel` state fans out to its branches' first
 *   states and its branches' last states join before its `next`; a `workflow` state links its child run.
 */
import type { CompiledGraph, SmState } from '../data/types.js';

export interface StepInfo {
  key: string;
  name: string;
  kind?: string | undefined;
  status: string;
  childRunId?: string | null | undefined;
  /** Served from the step cache: the source run (docs/caching.md). */
  cached?: { runId: string } | null | undefined;
}

export interface GraphNode {
  id: string;
  label: string;
  /** task, foreach, choice, wait, parallel, workflow, succeed, fail, join */
  type: string;
  status: string;
  /** The step key the node selects (its latest visit); null when it has not run. */
  stepKey: string | null;
  visits: number;
  childRunId: string | null;
  /** The run a succeeded step was served from (step cache), else absent. */
  cachedFrom?: string | undefined;
  /** forEach: counts of its items by status, and the items (key, status). */
  items?: { key: string; status: string }[];
  counts?: Record<string, number>;
  detail?: string | undefined;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  label?: string;
  dashed?: boolean;
}

/** Where a succeeded step was served from (as time travel shows it: only once it succeeded). */
const cachedFrom = (s: StepInfo | undefined): { cachedFrom?: string } =>
  s?.status === 'succeeded' && s.cached ? { cachedFrom: s.cached.runId } : {};

const visitNumber = (key: string): number => {
  const m = /#(\d+)$/.exec(key);
  return m ? Number(m[1]) : 1;
};

export function buildGraph(graph: CompiledGraph, steps: StepInfo[]): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const byName = new Map<string, StepInfo[]>();
  for (const s of steps) {
    const list = byName.get(s.name) ?? [];
    list.push(s);
    byName.set(s.name, list);
  }
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const edge = (source: string, target: string, label?: string, dashed?: boolean): void => {
    edges.push({ id: `${source}->${target}:${edges.length}`, source, target, ...(label ? { label } : {}), ...(dashed ? { dashed } : {}) });
  };

  if (graph.model === 'dag') {
    for (const [name, node] of Object.entries(graph.nodes)) {
      const mine = byName.get(name) ?? [];
      const parent = mine.find((s) => s.kind !== 'item');
      const items = mine.filter((s) => s.kind === 'item');
      const forEach = node.forEach !== null && node.forEach !== undefined;
      nodes.push({
        id: name,
        label: name,
        type: forEach ? 'foreach' : 'task',
        status: parent?.status ?? 'not started',
        stepKey: parent?.key ?? null,
        visits: parent ? 1 : 0,
        childRunId: null,
        ...cachedFrom(parent),
        detail: node.task?.run ?? node.task?.kind,
        ...(forEach ? { items: items.map((s) => ({ key: s.key, status: s.status })), counts: countBy(items) } : {}),
      });
      for (const need of node.needs) edge(need.step, name);
    }
    return { nodes, edges };
  }

  const states = graph.states;
  for (const [name, st] of Object.entries(states)) {
    const visits = (byName.get(name) ?? []).filter((s) => s.kind !== 'item').sort((a, b) => visitNumber(a.key) - visitNumber(b.key));
    const latest = visits.at(-1);
    const items = (byName.get(name) ?? []).filter((s) => s.kind === 'item');
    const forEach = st.forEach !== null && st.forEach !== undefined;
    nodes.push({
      id: name,
      label: st.localName !== name ? `${st.localName}` : name,
      type: forEach ? 'foreach' : st.type,
      status: latest?.status ?? 'not started',
      stepKey: latest?.key ?? null,
      visits: visits.length,
      childRunId: latest?.childRunId ?? null,
      ...cachedFrom(latest),
      detail: detailOf(st),
      ...(forEach ? { items: items.map((s) => ({ key: s.key, status: s.status })), counts: countBy(items) } : {}),
    });
    if (st.next && !(st.type === 'parallel')) edge(name, st.next);
    for (const c of st.choices ?? []) edge(name, c.next, 'when');
    if (st.default) edge(name, st.default, 'default');
    for (const c of st.catch ?? []) edge(name, c.next, `catch ${c.errors ? c.errors.join(', ') : 'any'}`, true);
    if (st.onTimeout) edge(name, st.onTimeout, 'timeout', true);
    if (st.type === 'parallel') {
      const join = `${name}::join`;
      nodes.push({
        id: join,
        label: 'join',
        type: 'join',
        status: latest?.status ?? 'not started',
        stepKey: null,
        visits: 0,
        childRunId: null,
      });
      (st.branches ?? []).forEach((b, i) => edge(name, b, `branch ${i + 1}`));
      for (const [bn, bs] of Object.entries(states)) {
        if (bs.scope?.parent === name && !bs.next && bs.type !== 'fail' && bs.type !== 'choice') edge(bn, join);
      }
      if (st.next) edge(join, st.next);
    }
  }
  return { nodes, edges };
}

function detailOf(st: SmState): string | undefined {
  if (st.type === 'wait' && st.wait) return st.wait.kind === 'signal' ? `signal ${st.wait.signal}` : `wait ${st.wait.kind}`;
  if (st.type === 'workflow') return `workflow ${st.workflow}`;
  return st.type === 'task' ? undefined : st.type;
}

export function countBy(items: { status: string }[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const i of items) c[i.status] = (c[i.status] ?? 0) + 1;
  return c;
}
