/**
 * The run graph (React Flow, laid out by ELK), loaded lazily with its page section. Statuses change
 * in place; the layout is computed again only when the shape changes (new steps, a forEach opened).
 */
import { Background, Controls, MarkerType, ReactFlow, type Edge, type Node } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useEffect, useMemo, useState } from 'react';
import type { CompiledGraph } from '../data/types';
import { buildGraph, type StepInfo } from './build-graph';
import { layout, type Placed } from './layout';
import { StepNode, type StepNodeData } from './step-node';

const nodeTypes = { step: StepNode };
/** fitView frames the graph but never zooms in past 1 (100 %). */
const FIT_VIEW = { maxZoom: 1 };

export default function GraphView(props: {
  graph: CompiledGraph;
  steps: StepInfo[];
  selected: string | null;
  onSelect(key: string): void;
}) {
  const { graph, steps, selected, onSelect } = props;
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [placed, setPlaced] = useState<Map<string, Placed> | null>(null);
  const built = useMemo(() => buildGraph(graph, steps), [graph, steps]);
  const shape = built.nodes.map((n) => n.id).join('|') + '#' + [...expanded].sort().join('|');

  useEffect(() => {
    let live = true;
    layout(built.nodes, built.edges, expanded).then(
      (p) => live && setPlaced(p),
      () => live && setPlaced(new Map()),
    );
    return () => {
      live = false;
    };
    // The layout depends on the shape only, not on statuses.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape]);

  const toggle = (id: string): void =>
    setExpanded((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });

  if (!placed) return <p className="state loading">Laying out the graph…</p>;
  const nodes: Node<StepNodeData>[] = built.nodes.map((n) => {
    const p = placed.get(n.id) ?? { x: 0, y: 0, width: 200, height: 70 };
    return {
      id: n.id,
      type: 'step',
      position: { x: p.x, y: p.y },
      // Known sizes: fitView frames the laid-out graph before React Flow has measured it.
      width: p.width,
      height: p.height,
      style: { width: p.width, height: p.height },
      draggable: false,
      connectable: false,
      ariaLabel: `${n.label}: ${n.status}`,
      data: { node: n, selected, expanded: expanded.has(n.id), onSelect, onToggle: toggle },
    };
  });
  const edges: Edge[] = built.edges.map((e) => ({
    id: e.id,
    source: e.source,
    target: e.target,
    ...(e.label ? { label: e.label } : {}),
    markerEnd: { type: MarkerType.ArrowClosed },
    ...(e.dashed ? { style: { strokeDasharray: '5 4' } } : {}),
    focusable: false,
  }));
  return (
    <div className="graph-canvas" aria-label="Run graph" role="region">
      <ReactFlow
        key={shape}
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        fitView
        // A small graph is framed at its natural size, not blown up to fill the canvas (zooming in stays possible).
        fitViewOptions={FIT_VIEW}
        minZoom={0.1}
        nodesConnectable={false}
        nodesDraggable={false}
        elementsSelectable={false}
        // A click anywhere on a node selects its step (this also gives nodes pointer events).
        onNodeClick={(_e, n) => {
          const key = (n.data as StepNodeData).node.stepKey;
          if (key) onSelect(key);
        }}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={24} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
