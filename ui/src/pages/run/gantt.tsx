/**
 * The Gantt: one row per step, a bar per attempt (coloured by outcome, with its worker), the
 * backoff gaps between attempts, waits and timers, time queued before a worker took it, and the
 * critical path highlighted. Each row's label selects the step (keyboard: Tab, Enter).
 */
import type { CompiledGraph, Step } from '../../data/types';
import { formatDuration } from '../../components/format';
import { criticalPath, ganttRows } from './gantt-model';
import type { Span } from './history-replay';

const MAX_ROWS = 300;

function label(s: Span): string {
  const d = formatDuration((s.end ?? Date.now()) - s.start);
  switch (s.kind) {
    case 'attempt':
      return `attempt ${s.attempt ?? '?'} ${s.outcome ?? 'running'} on ${s.worker ?? '?'}, ${d}${s.error?.message ? `: ${s.error.message}` : ''}`;
    case 'backoff':
      return `backoff ${d}${s.delayMs !== undefined ? ` (delay ${s.delayMs} ms)` : ''}`;
    case 'wait':
      return `waiting ${d}${s.outcome ? `, ${s.outcome}` : ''}`;
    case 'queued':
      return `queued ${d}`;
    case 'group':
      return `children running ${d}`;
  }
}

export function Gantt(props: {
  spans: Span[];
  graph: CompiledGraph | undefined;
  steps: Step[];
  /** The end of the time axis: now (live) or the time-travel moment. */
  until: number;
  selected: string | null;
  onSelect(key: string): void;
}) {
  const rows = ganttRows(props.spans);
  if (rows.length === 0) return <p className="state empty">No step has started yet.</p>;
  const t0 = Math.min(...rows.map((r) => r.start));
  const t1 = Math.max(props.until, ...rows.map((r) => r.end ?? props.until));
  const total = Math.max(t1 - t0, 1);
  const pct = (t: number): string => `${(((t - t0) / total) * 100).toFixed(3)}%`;
  const width = (a: number, b: number): string => `max(2px, ${(((b - a) / total) * 100).toFixed(3)}%)`;
  const critical = criticalPath(rows, props.graph, props.steps, props.until);
  const shown = rows.slice(0, MAX_ROWS);

  return (
    <div className="gantt" role="table" aria-label="Gantt: every attempt, backoff and wait of each step over time">
      <div className="gantt-axis" role="row">
        <span role="columnheader">Step</span>
        <span role="columnheader" className="gantt-scale">
          0 <span className="muted">→</span> {formatDuration(total)}
        </span>
      </div>
      {shown.map((r) => (
        <div
          key={r.key}
          role="row"
          className={`gantt-row${critical.has(r.key) ? ' critical' : ''}${props.selected === r.key ? ' selected' : ''}`}
        >
          <span role="rowheader">
            <button type="button" className="link-button" onClick={() => props.onSelect(r.key)} aria-pressed={props.selected === r.key}>
              {r.key}
            </button>
            {critical.has(r.key) && <span className="visually-hidden"> (on the critical path)</span>}
          </span>
          <span role="cell" className="gantt-track">
            {r.spans.map((s, i) => (
              <span
                key={i}
                className={`bar bar-${s.kind} outcome-${(s.outcome ?? (s.end === null ? 'open' : 'done')).replace(/\s/g, '-')}`}
                style={{ left: pct(s.start), width: width(s.start, s.end ?? props.until) }}
                title={label(s)}
              >
                <span className="visually-hidden">{label(s)}</span>
              </span>
            ))}
          </span>
        </div>
      ))}
      {rows.length > MAX_ROWS && <p className="muted">{rows.length - MAX_ROWS} more steps are not drawn (the step list has them all).</p>}
      <p className="gantt-legend muted" aria-hidden="true">
        <span className="bar-key bar-attempt outcome-succeeded" /> attempt <span className="bar-key bar-attempt outcome-failed" /> failed
        attempt <span className="bar-key bar-backoff" /> backoff <span className="bar-key bar-wait" /> wait / timer{' '}
        <span className="bar-key bar-queued" /> queued <span className="bar-key critical-key" /> critical path
      </p>
    </div>
  );
}
