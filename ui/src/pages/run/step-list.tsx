/** The graph's accessible alternative: every step with its status, in a table; a step's name selects it. */
import { durationBetween, formatDuration } from '../../components/format';
import { StatusBadge } from '../../components/status';
import type { Step } from '../../data/types';

export function StepList(props: {
  steps: Step[];
  statusOf(key: string): string | undefined;
  selected: string | null;
  onSelect(key: string): void;
}) {
  const rows = props.steps.filter((s) => props.statusOf(s.key) !== undefined);
  if (rows.length === 0) return <p className="state empty">No steps yet.</p>;
  return (
    <table className="step-list">
      <caption className="visually-hidden">Steps of this run and their statuses</caption>
      <thead>
        <tr>
          <th scope="col">Step</th>
          <th scope="col">Kind</th>
          <th scope="col">Status</th>
          <th scope="col">Attempt</th>
          <th scope="col">Duration</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((s) => (
          <tr key={s.key} className={props.selected === s.key ? 'selected' : undefined}>
            <th scope="row">
              <button type="button" className="link-button" aria-pressed={props.selected === s.key} onClick={() => props.onSelect(s.key)}>
                {s.key}
              </button>
            </th>
            <td>{s.kind ?? '—'}</td>
            <td>
              <StatusBadge status={props.statusOf(s.key) ?? s.status} />
            </td>
            <td>{s.maxAttempts ? `${s.attempt} of ${s.maxAttempts}` : s.attempt}</td>
            <td>{formatDuration(durationBetween(s.startedAt, s.finishedAt))}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
