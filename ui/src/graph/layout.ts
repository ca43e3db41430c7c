/** Graph layout by ELK (layered, top to bottom); loaded with the graph view, never hand-written. */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { GraphEdge, GraphNode } from './build-graph';

const elk = new ELK();

export interface Placed {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function sizeOf(n: GraphNode, expanded: boolean): { width: number; height: number } {
  if (n.type === 'join') return { width: 90, height: 36 };
  if (n.type === 'foreach') return expanded ? { width: 300, height: 330 } : { width: 230, height: 104 };
  // A workflow state also shows its child run's link.
  return { width: 210, height: n.type === 'workflow' ? 100 : 78 };
}

export async function layout(nodes: GraphNode[], edges: GraphEdge[], expanded: Set<string>): Promise<Map<string, Placed>> {
  const ids = new Set(nodes.map((n) => n.id));
  const res = await elk.layout({
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.spacing.nodeNode': '36',
      'elk.layered.spacing.nodeNodeBetweenLayers': '56',
      'elk.edgeRouting': 'SPLINES',
    },
    children: nodes.map((n) => ({ id: n.id, ...sizeOf(n, expanded.has(n.id)) })),
    edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  });
  const out = new Map<string, Placed>();
  for (const c of res.children ?? []) out.set(c.id, { x: c.x ?? 0, y: c.y ?? 0, width: c.width ?? 0, height: c.height ?? 0 });
  return out;
}
