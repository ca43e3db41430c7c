/**
 * The step panel: a step's status, input, output and error, every attempt (worker, times,
 * outcome, error) from the history, the artifacts it wrote, its logs with a live tail, and
 * replaying its dead letter.
 */
import { useState } from 'react';
import { useSession } from '../../auth/session-context';
import { durationBetween, formatClock, formatDuration, formatTime } from '../../components/format';
import { JsonView } from '../../components/json-view';
import { errorMessage } from '../../components/states';
import { StatusBadge } from '../../components/status';
import { client, unwrap } from '../../data/http';
import type { Artifact, DeadLetter, RunEvent, Step } from '../../data/types';
import { Link } from '../../router';
import { StepArtifacts } from './artifacts';
import { attemptsOf } from './history-replay';
import { StepLogs } from './step-logs';

const OPEN = new Set(['pending', 'ready', 'running', 'retrying', 'waiting']);

export function StepPanel(props: {
  runId: string;
  step: Step;
  events: RunEvent[];
  /** The artifacts this step wrote (its outputs). */
  artifacts: Artifact[];
  deadLetter: DeadLetter | undefined;
  onClose(): void;
  onChanged(): void;
}) {
  const { step, runId } = props;
  const { can } = useSession();
  const [message, setMessage] = useState<string | null>(null);
  const attempts = attemptsOf(props.events, step.key);
  const replay = async (): Promise<void> => {
    if (!props.deadLetter) return;
    try {
      await unwrap(client.POST('/v1/dead-letters/{id}/replay', { params: { path: { id: props.deadLetter.id } } }));
      setMessage('Dead letter replayed: the step runs again with a fresh attempt budget.');
      props.onChanged();
    } catch (err) {
      setMessage(`Replay refused: ${errorMessage(err)}`);
    }
  };
  return (
    <aside className="step-panel" aria-labelledby="step-panel-title">
      <div className="panel-head">
        <h2 id="step-panel-title">
          Step <span className="mono">{step.key}</span>
        </h2>
        <button type="button" className="small" onClick={props.onClose}>
          Close
        </button>
      </div>
      <p>
        <StatusBadge status={step.status} /> <span className="muted">{step.kind}</span> · attempt {step.attempt}
        {step.maxAttempts ? ` of ${step.maxAttempts}` : ''} · {formatDuration(durationBetween(step.startedAt, step.finishedAt))}
      </p>
      {step.skipReason && <p className="muted">Skipped: {step.skipReason}</p>}
      {step.cached && (
        <p className="cached-from">
          Cached from <Link to={`/runs/${step.cached.runId}`}>run {step.cached.runId.slice(0, 8)}</Link> (step{' '}
          <span className="mono">{step.cached.stepKey}</span>, succeeded {formatTime(step.cached.at)}): not executed.
        </p>
      )}
      {step.childRunId && (
        <p>
          <Link to={`/runs/${step.childRunId}`}>Child run {step.childRunId.slice(0, 8)} →</Link>
        </p>
      )}
      {props.deadLetter && (
        <div className="dead-letter">
          <p>
            Dead-lettered{props.deadLetter.replayedAt ? ' (replayed)' : ''}.{' '}
            {can('operator') && !props.deadLetter.replayedAt && (
              <button type="button" onClick={() => void replay()}>
                Replay dead letter
              </button>
            )}
          </p>
        </div>
      )}
      <p role="status">{message}</p>
      {step.error ? (
        <>
          <h3>Error</h3>
          <JsonView value={step.error} label="error" />
        </>
      ) : null}
      <h3>Attempts</h3>
      {attempts.length === 0 ? (
        <p className="muted">No attempt (this step is not a task, or has not started).</p>
      ) : (
        <table className="attempts">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Worker</th>
              <th scope="col">Started</th>
              <th scope="col">Took</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {attempts.map((a, i) => (
              <tr key={i}>
                <td>{a.attempt ?? i + 1}</td>
                <td className="mono small-text">{a.worker ?? '—'}</td>
                <td>{formatClock(new Date(a.start).toISOString())}</td>
                <td>{formatDuration((a.end ?? Date.now()) - a.start)}</td>
                <td>
                  {a.outcome ?? 'running'}
                  {a.error?.message ? (
                    <div className="error-text small-text">{`${a.error.name ?? 'Error'}: ${a.error.message}`}</div>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Input</h3>
      <JsonView value={step.input ?? null} label="input" />
      <h3>Output</h3>
      <JsonView value={step.output ?? null} label="output" />
      <h3>Artifacts</h3>
      <StepArtifacts artifacts={props.artifacts} />
      <h3>Logs</h3>
      <StepLogs runId={runId} stepKey={step.key} live={OPEN.has(step.status)} />
    </aside>
  );
}
