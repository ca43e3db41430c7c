/**
 * The Gantt's rows and the critical path: the chain of steps that decided when the run ended.
 * From the step that finished last, walk back to what it waited for: its `needs` in a DAG (the
 * one that finished last; into a forEach, its last item), else the step that ended last before it
 * began (state machines: the previous state; parallel branches: the branch that ended last).
 */
import type { CompiledGraph, Step } from '../../data/types.js';
import type { Span } from './history-replay.js';

export interface GanttRow {
  key: string;
  spans: Span[];
  start: number;
  end: number | null;
}

export function ganttRows(spans: Span[]): GanttRow[] {
  const rows = new Map<string, GanttRow>();
  for (const s of spans) {
    let r = rows.get(s.key);
    if (!r) rows.set(s.key, (r = { key: s.key, spans: [], start: s.start, end: s.end }));
    r.spans.push(s);
    r.start = Math.min(r.start, s.start);
    r.end = r.end === null || s.end === null ? null : Math.max(r.end, s.end);
  }
  return [...rows.values()].sort((a, b) => a.start - b.start || a.key.localeCompare(b.key));
}

const EPS_MS = 5;

export function criticalPath(rows: GanttRow[], graph: CompiledGraph | undefined, steps: Step[], now: number): Set<string> {
  const path = new Set<string>();
  const endOf = (r: GanttRow): number => r.end ?? now;
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const nameOf = new Map(steps.map((s) => [s.key, s.name]));
  const kindOf = new Map(steps.map((s) => [s.key, s.kind]));
  const latest = (cands: GanttRow[]): GanttRow | undefined =>
    cands.reduce<GanttRow | undefined>((m, r) => (!m || endOf(r) > endOf(m) ? r : m), undefined);

  let current = latest(rows.filter((r) => kindOf.get(r.key) !== 'item'));
  while (current && !path.has(current.key)) {
    path.add(current.key);
    const cur: GanttRow = current;
    if (kindOf.get(cur.key) === 'foreach') {
      const item = latest(rows.filter((r) => nameOf.get(r.key) === nameOf.get(cur.key) && kindOf.get(r.key) === 'item'));
      if (item) path.add(item.key);
    }
    let prev: GanttRow | undefined;
    const node = graph?.model === 'dag' ? graph.nodes[nameOf.get(cur.key) ?? cur.key] : undefined;
    if (node) {
      prev = latest(node.needs.map((n) => byKey.get(n.step)).filter((r): r is GanttRow => r !== undefined));
    } else {
      prev = latest(
        rows.filter(
          (r) => r.key !== cur.key && !path.has(r.key) && r.end !== null && r.end <= cur.start + EPS_MS && kindOf.get(r.key) !== 'item',
        ),
      );
    }
    current = prev;
  }
  return path;
}
