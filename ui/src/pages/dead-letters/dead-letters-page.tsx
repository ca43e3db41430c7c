/**
 * /dead-letters: steps that used up their attempts, newest first (`?workflow=` narrows), each with
 * its run, its last error and every attempt's; replay (operator) queues the step again with a fresh
 * attempt budget and reopens its run.
 */
import { useState } from 'react';
import { useSession } from '../../auth/session-context';
import { formatTime, shortId } from '../../components/format';
import { JsonView } from '../../components/json-view';
import { PageState, Pager, useCursorPages, WorkflowFilter } from '../../components/list-page';
import { errorMessage } from '../../components/states';
import { useAsync } from '../../components/use-async';
import type { DeadLetter } from '../../data/client-types';
import { get, post } from '../../data/http';
import type { Page } from '../../data/types';
import { Link, useLocation } from '../../router';
import '../pages.css';

const PAGE_SIZE = 50;

export default function DeadLettersPage() {
  const { search } = useLocation();
  const { can } = useSession();
  const workflow = search.get('workflow') ?? '';
  const pages = useCursorPages();
  const { cursor } = pages;
  const [message, setMessage] = useState<string | null>(null);
  const list = useAsync(
    (signal) => get<Page<DeadLetter>>('/v1/dead-letters', { workflow, limit: PAGE_SIZE, cursor }, signal),
    [workflow, cursor],
  );

  const replay = async (d: DeadLetter): Promise<void> => {
    try {
      await post(`/v1/dead-letters/${d.id}/replay`);
      setMessage(`Replayed ${d.stepKey} of run ${shortId(d.runId)}: it runs again.`);
      list.reload();
    } catch (err) {
      setMessage(`Refused: ${errorMessage(err)}`);
    }
  };

  return (
    <section aria-labelledby="dl-title">
      <h1 id="dl-title">Dead letters</h1>
      <WorkflowFilter path="/dead-letters" workflow={workflow} onApply={pages.reset} />
      <p role="status" className="muted">
        {message}
      </p>
      <PageState
        list={list}
        loading="Loading dead letters"
        empty={<p>No dead letters{workflow ? ` for ${workflow}` : ''}: no step has used up its attempts.</p>}
      >
        {(items) => (
          <table className="dead-letters">
            <caption className="visually-hidden">Dead-lettered steps, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col">Run</th>
                <th scope="col">Error</th>
                <th scope="col">Attempts</th>
                <th scope="col">When</th>
                {can('operator') && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.id} data-dead-letter={d.id}>
                  <th scope="row" className="mono">
                    {d.stepKey}
                  </th>
                  <td>
                    <Link to={`/runs/${d.runId}?step=${encodeURIComponent(d.stepKey)}`} className="mono">
                      {shortId(d.runId)}
                    </Link>{' '}
                    <span className="muted">{d.workflow}</span>
                  </td>
                  <td>
                    {d.error?.name ? <strong>{d.error.name}: </strong> : null}
                    {d.error?.message ?? '—'}
                    {(d.errors?.length ?? 0) > 1 && (
                      <details>
                        <summary>Every attempt’s error</summary>
                        <JsonView value={d.errors} label={`errors of ${d.stepKey}`} />
                      </details>
                    )}
                  </td>
                  <td>{d.attempts}</td>
                  <td>
                    {formatTime(d.createdAt)}
                    {d.replayedAt && <div className="tag ok">replayed {formatTime(d.replayedAt)}</div>}
                  </td>
                  {can('operator') && (
                    <td>
                      {!d.replayedAt && (
                        <button
                          type="button"
                          className="small"
                          onClick={() => void replay(d)}
                          aria-label={`Replay ${d.stepKey} of run ${shortId(d.runId)}`}
                        >
                          Replay
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </PageState>
      <Pager atFirst={pages.atFirst} next={list.data?.nextCursor} onNewer={pages.newer} onOlder={pages.older} />
    </section>
  );
}
