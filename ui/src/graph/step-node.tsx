/**
 * One node of the run graph: name, kind, status (text and colour), visits, a link to a child run;
 * a forEach group shows counts by status and expands to its items, a page at a time. Its buttons
 * are real buttons (keyboard: Tab, Enter), marked nodrag so React Flow leaves them clickable.
 */
import { Handle, Position, type NodeProps, type Node } from '@xyflow/react';
import { useState } from 'react';
import { StatusBadge } from '../components/status';
import { Link } from '../router';
import type { GraphNode } from './build-graph';

export interface StepNodeData extends Record<string, unknown> {
  node: GraphNode;
  selected: string | null;
  expanded: boolean;
  onSelect(key: string): void;
  onToggle(id: string): void;
}

const PAGE = 24;

export function StepNode({ data }: NodeProps<Node<StepNodeData>>) {
  const { node, selected, expanded, onSelect, onToggle } = data;
  const [page, setPage] = useState(0);
  const isSelected = node.stepKey !== null && selected === node.stepKey;
  if (node.type === 'join') {
    return (
      <div className={`graph-node join st-${node.status.replace(/\s/g, '-')}`}>
        <Handle type="target" position={Position.Top} />
        join
        <Handle type="source" position={Position.Bottom} />
      </div>
    );
  }
  const items = node.items ?? [];
  const pages = Math.max(1, Math.ceil(items.length / PAGE));
  return (
    <div className={`graph-node st-${node.status.replace(/\s/g, '-')}${isSelected ? ' is-selected' : ''}`} data-step={node.id}>
      <Handle type="target" position={Position.Top} />
      <div className="graph-node-head">
        {node.stepKey ? (
          <button
            type="button"
            className="nodrag link-button node-name"
            onClick={(e) => {
              e.stopPropagation();
              onSelect(node.stepKey!);
            }}
            aria-pressed={isSelected}
          >
            {node.label}
          </button>
        ) : (
          <span className="node-name">{node.label}</span>
        )}
        <span className="muted node-kind">{node.type === 'task' ? (node.detail ?? 'task') : node.type}</span>
      </div>
      <div className="graph-node-status">
        <StatusBadge status={node.status} />
        {node.visits > 1 && <span className="muted"> ×{node.visits} visits</span>}
        {node.type !== 'task' && node.type !== 'foreach' && node.detail && node.detail !== node.type && (
          <span className="muted"> {node.detail}</span>
        )}
      </div>
      {node.childRunId && (
        <Link to={`/runs/${node.childRunId}`} className="nodrag small-text" onClick={(e) => e.stopPropagation()}>
          child run {node.childRunId.slice(0, 8)} →
        </Link>
      )}
      {node.cachedFrom && (
        <Link to={`/runs/${node.cachedFrom}`} className="nodrag small-text cached-from" onClick={(e) => e.stopPropagation()}>
          cached from {node.cachedFrom.slice(0, 8)} →
        </Link>
      )}
      {node.type === 'foreach' && (
        <div className="foreach">
          <p className="small-text">
            {items.length} items
            {Object.entries(node.counts ?? {}).map(([s, n]) => (
              <span key={s} className={`count status-${s}`}>
                {' '}
                {n} {s}
              </span>
            ))}
          </p>
          <button
            type="button"
            className="nodrag small"
            aria-expanded={expanded}
            onClick={(e) => {
              e.stopPropagation();
              onToggle(node.id);
            }}
          >
            {expanded ? 'Hide items' : 'Show items'}
          </button>
          {expanded && (
            <div className="foreach-items nodrag nowheel">
              <ul aria-label={`Items of ${node.label}`}>
                {items.slice(page * PAGE, page * PAGE + PAGE).map((it) => (
                  <li key={it.key}>
                    <button
                      type="button"
                      className={`item-chip status-${it.status}`}
                      onClick={(e) => {
                        e.stopPropagation();
                        onSelect(it.key);
                      }}
                      aria-pressed={selected === it.key}
                    >
                      {it.key.slice(node.id.length)} <span className="visually-hidden">{it.status}</span>
                    </button>
                  </li>
                ))}
              </ul>
              {pages > 1 && (
                <div className="pager">
                  <button
                    type="button"
                    className="small"
                    disabled={page === 0}
                    onClick={(e) => {
                      e.stopPropagation();
                      setPage(page - 1);
                    }}
                  >
                    Previous
                  </button>
                  <span className="small-text">
                    page {page + 1} of {pages}
                  </span>
                  <button
                    type="button"
                    className="small"
                    disabled={page >= pages - 1}
                    onClick={(e) => {
                      e.stopPropagation();
                      setPage(page + 1);
                    }}
                  >
                    Next
                  </button>
                </div>
              )}
            </div>
          )}
        </div>
      )}
      <Handle type="source" position={Position.Bottom} />
    </div>
  );
}
