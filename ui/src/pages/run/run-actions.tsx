/** Cancel, retry, and send a signal (a form for its name and JSON payload): offered to operators only. */
import { useState, type FormEvent } from 'react';
import { useSession } from '../../auth/session-context';
import { errorMessage } from '../../components/states';
import { ACTIVE_RUN } from '../../components/status';
import { client, unwrap } from '../../data/http';
import type { CompiledGraph, Run } from '../../data/types';

/** The signal a waiting step waits for, if any (from the compiled state). */
export function awaitedSignal(run: Run, graph: CompiledGraph | undefined): string | null {
  if (graph?.model !== 'sm') return null;
  for (const s of run.steps) {
    const st = graph.states[s.name];
    if (s.status === 'waiting' && st?.type === 'wait' && st.wait?.kind === 'signal' && st.wait.signal) return st.wait.signal;
  }
  return null;
}

export function RunActions({ run, graph, onChanged }: { run: Run; graph: CompiledGraph | undefined; onChanged(): void }) {
  const { can } = useSession();
  const [message, setMessage] = useState<string | null>(null);
  const [signalOpen, setSignalOpen] = useState(false);
  const awaited = awaitedSignal(run, graph);
  const [name, setName] = useState('');
  const [payload, setPayload] = useState('');
  const [payloadError, setPayloadError] = useState<string | null>(null);
  if (!can('operator')) return null;
  const active = ACTIVE_RUN.has(run.status);

  const act = async (what: 'cancel' | 'retry'): Promise<void> => {
    if (what === 'cancel' && !window.confirm(`Cancel run ${run.id.slice(0, 8)}? Running tasks are told to stop.`)) return;
    try {
      const path = { params: { path: { id: run.id } } };
      await unwrap(what === 'cancel' ? client.POST('/v1/runs/{id}/cancel', path) : client.POST('/v1/runs/{id}/retry', path));
      setMessage(what === 'cancel' ? 'Cancelled.' : 'Retried: the failed steps run again.');
      onChanged();
    } catch (err) {
      setMessage(`Refused: ${errorMessage(err)}`);
    }
  };

  const send = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    let body: { payload?: unknown } = {};
    if (payload.trim()) {
      try {
        body = { payload: JSON.parse(payload) as unknown };
      } catch (err) {
        setPayloadError(`The payload is not JSON: ${(err as Error).message}`);
        return;
      }
    }
    setPayloadError(null);
    const signal = name.trim() || awaited || '';
    try {
      const res = await unwrap(client.POST('/v1/runs/{id}/signals/{name}', { params: { path: { id: run.id, name: signal } }, body }));
      setMessage(res.delivered ? `Signal ${signal} delivered.` : `Signal ${signal} buffered: no step waits for it yet.`);
      setSignalOpen(false);
      onChanged();
    } catch (err) {
      setMessage(`Signal refused: ${errorMessage(err)}`);
    }
  };

  return (
    <div className="run-actions">
      <div className="toolbar">
        {active && (
          <button type="button" className="danger" onClick={() => void act('cancel')}>
            Cancel run
          </button>
        )}
        {(run.status === 'failed' || run.status === 'cancelled') && (
          <button type="button" onClick={() => void act('retry')}>
            Retry run
          </button>
        )}
        {active && (
          <button
            type="button"
            className={awaited ? undefined : 'secondary'}
            aria-expanded={signalOpen}
            onClick={() => setSignalOpen(!signalOpen)}
          >
            Send signal{awaited ? ` (${awaited})` : ''}
          </button>
        )}
      </div>
      {signalOpen && (
        <form className="signal-form" onSubmit={(e) => void send(e)} aria-label="Send a signal">
          <label>
            Signal name
            <input value={name} placeholder={awaited ?? 'approve'} onChange={(e) => setName(e.target.value)} required={!awaited} />
          </label>
          <label>
            Payload (JSON, optional)
            <textarea
              rows={4}
              value={payload}
              placeholder='{"by": "ada"}'
              onChange={(e) => setPayload(e.target.value)}
              aria-invalid={payloadError !== null}
              aria-describedby={payloadError ? 'payload-error' : undefined}
            />
          </label>
          {payloadError && (
            <p id="payload-error" className="error-text" role="alert">
              {payloadError}
            </p>
          )}
          <button type="submit">Send {name.trim() || awaited || 'signal'}</button>
        </form>
      )}
      <p role="status">{message}</p>
    </div>
  );
}
