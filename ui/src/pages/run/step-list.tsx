/**
 * The graph's accessible alternative: every step with its status, in a table; a step's name selects it.
 *
 * A run can have a thousand steps and is re-read every 500 ms while it is live, so each row is
 * memoised on what it shows (React touches only the rows that changed) and the table has a fixed
 * layout (a changed cell does not make the browser measure every row again): bench P9's Steps tab.
 */
import { memo, type MouseEvent } from 'react';
import { durationBetween, formatDuration } from '../../components/format';
import { StatusBadge } from '../../components/status';
import type { Step } from '../../data/types';

export function StepList(props: {
  steps: Step[];
  statusOf(key: string): string | undefined;
  selected: string | null;
  onSelect(key: string): void;
}) {
  // One click handler for all rows (rows take no callback, so they stay memoised).
  const click = (e: MouseEvent<HTMLTableSectionElement>): void => {
    const key = (e.target as HTMLElement).closest<HTMLElement>('button[data-step]')?.dataset.step;
    if (key) props.onSelect(key);
  };
  const rows = props.steps.filter((s) => props.statusOf(s.key) !== undefined);
  if (rows.length === 0) return <p className="state empty">No steps yet.</p>;
  return (
    <table className="step-list">
      <caption className="visually-hidden">Steps of this run and their statuses</caption>
      <colgroup>
        <col className="col-step" />
        <col />
        <col />
        <col />
        <col />
      </colgroup>
      <thead>
        <tr>
          <th scope="col">Step</th>
          <th scope="col">Kind</th>
          <th scope="col">Status</th>
          <th scope="col">Attempt</th>
          <th scope="col">Duration</th>
        </tr>
      </thead>
      <tbody onClick={click}>
        {rows.map((s) => (
          <StepRow
            key={s.key}
            stepKey={s.key}
            kind={s.kind ?? '—'}
            status={props.statusOf(s.key) ?? s.status}
            attempts={s.maxAttempts ? `${s.attempt} of ${s.maxAttempts}` : String(s.attempt)}
            duration={formatDuration(durationBetween(s.startedAt, s.finishedAt))}
            selected={props.selected === s.key}
          />
        ))}
      </tbody>
    </table>
  );
}

const StepRow = memo(function StepRow(p: {
  stepKey: string;
  kind: string;
  status: string;
  attempts: string;
  duration: string;
  selected: boolean;
}) {
  return (
    <tr className={p.selected ? 'selected' : undefined}>
      <th scope="row">
        <button type="button" className="link-button" aria-pressed={p.selected} data-step={p.stepKey}>
          {p.stepKey}
        </button>
      </th>
      <td>{p.kind}</td>
      <td>
        <StatusBadge status={p.status} />
      </td>
      <td>{p.attempts}</td>
      <td>{p.duration}</td>
    </tr>
  );
});
