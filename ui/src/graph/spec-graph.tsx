/**
 * A workflow's graph before any run: the compiled graph drawn by the run graph's view (React Flow
 * and ELK, loaded lazily) with no step statuses, and its accessible alternative, the list of its
 * steps (or states) with their kinds and what each one follows. Used by /workflows/<name> and by
 * the editor's live preview.
 */
import { lazy, Suspense, useMemo } from 'react';
import { Loading } from '../components/states';
import type { CompiledGraph } from '../data/types';
import { buildGraph } from './build-graph';

const GraphView = lazy(() => import('./graph-view'));
const NO_STEPS: never[] = [];
const ignore = (): void => undefined;

export function SpecGraph({ graph, label }: { graph: CompiledGraph; label: string }) {
  const built = useMemo(() => buildGraph(graph, NO_STEPS), [graph]);
  const follows = useMemo(() => {
    const m = new Map<string, string[]>();
    for (const e of built.edges) m.set(e.target, [...(m.get(e.target) ?? []), e.source]);
    return m;
  }, [built]);
  const names = new Map(built.nodes.map((n) => [n.id, n.label]));
  return (
    <div className="spec-graph">
      <Suspense fallback={<Loading what="Loading the graph" />}>
        <GraphView graph={graph} steps={NO_STEPS} selected={null} onSelect={ignore} />
      </Suspense>
      <details className="spec-graph-list">
        <summary>{label}: the steps as a list</summary>
        <table>
          <caption className="visually-hidden">{label}: steps, their kinds and what each follows</caption>
          <thead>
            <tr>
              <th scope="col">{graph.model === 'sm' ? 'State' : 'Step'}</th>
              <th scope="col">Kind</th>
              <th scope="col">After</th>
            </tr>
          </thead>
          <tbody>
            {built.nodes
              .filter((n) => n.type !== 'join')
              .map((n) => (
                <tr key={n.id}>
                  <th scope="row" className="mono">
                    {n.label}
                  </th>
                  <td>{n.type}</td>
                  <td>
                    {(follows.get(n.id) ?? [])
                      .map((s) => names.get(s) ?? s)
                      .filter((s, i, all) => all.indexOf(s) === i)
                      .join(', ') || '—'}
                  </td>
                </tr>
              ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
