/**
 * /runs: the runs of the namespace, newest first. Filters in the query string, cursor pages,
 * statuses refreshed every 2 s, and several runs selected at once to cancel or retry (operator).
 */
import { useState } from 'react';
import { client, OpenClawError, unwrap } from '../../data/http';
import { triggerType, type Page, type RunSummary } from '../../data/types';
import { useSession } from '../../auth/session-context';
import { durationBetween, formatDuration, formatTime, shortId } from '../../components/format';
import { PageState, Pager } from '../../components/list-page';
import { errorMessage } from '../../components/states';
import { ACTIVE_RUN, StatusBadge } from '../../components/status';
import { useAsync, useInterval } from '../../components/use-async';
import { Link, navigate, useLocation } from '../../router';
import { apiQuery, filtersFrom, RunFilters, type Filters } from './run-filters';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PAGE_SIZE = 50;

export default function RunsPage() {
  const { search } = useLocation();
  const { can } = useSession();
  const filters = filtersFrom(search);
  const cursor = search.get('cursor');
  const [history, setHistory] = useState<string[]>([]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [message, setMessage] = useState<string | null>(null);
  const key = JSON.stringify(filters) + (cursor ?? '');

  const page = useAsync(
    async (signal) => {
      let idempotencyKey: string | undefined;
      if (filters.q) {
        if (UUID.test(filters.q)) {
          try {
            await unwrap(client.GET('/v1/runs/{id}', { params: { path: { id: filters.q } }, signal }));
            navigate(`/runs/${filters.q}`);
            return { items: [], nextCursor: null } as Page<RunSummary>;
          } catch (err) {
            if (!(err instanceof OpenClawError && err.status === 404)) throw err;
          }
        }
        idempotencyKey = filters.q;
      }
      const query = { ...apiQuery(filters, idempotencyKey), limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) };
      return (await unwrap(client.GET('/v1/runs', { params: { query }, signal }))) as Page<RunSummary>;
    },
    [key],
  );
  useInterval(page.reload, 2000, !page.loading || page.data !== undefined);

  const setFilters = (f: Filters): void => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) if (v) q.set(k, v);
    setHistory([]);
    setSelected(new Set());
    navigate(`/runs${q.size ? `?${q}` : ''}`);
  };
  const goto = (next: string | null, back: boolean): void => {
    const q = new URLSearchParams(search);
    if (next) q.set('cursor', next);
    else q.delete('cursor');
    setHistory((h) => (back ? h.slice(0, -1) : [...h, cursor ?? '']));
    navigate(`/runs?${q}`);
  };

  const items = page.data?.items ?? [];
  const toggle = (id: string): void =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const allOnPage = items.length > 0 && items.every((r) => selected.has(r.id));
  const chosen = items.filter((r) => selected.has(r.id));

  const bulk = async (action: 'cancel' | 'retry', runs: RunSummary[]): Promise<void> => {
    setMessage(`${action === 'cancel' ? 'Cancelling' : 'Retrying'} ${runs.length} runs…`);
    const call = (id: string) =>
      unwrap(
        action === 'cancel'
          ? client.POST('/v1/runs/{id}/cancel', { params: { path: { id } } })
          : client.POST('/v1/runs/{id}/retry', { params: { path: { id } } }),
      );
    const results = await Promise.allSettled(runs.map((r) => call(r.id)));
    const failed = results.filter((r) => r.status === 'rejected');
    const first = failed[0] as PromiseRejectedResult | undefined;
    setMessage(
      `${action === 'cancel' ? 'Cancelled' : 'Retried'} ${runs.length - failed.length} of ${runs.length} runs` +
        (first ? `; ${failed.length} refused (${errorMessage(first.reason)})` : '.'),
    );
    setSelected(new Set());
    page.reload();
  };
  const cancellable = chosen.filter((r) => ACTIVE_RUN.has(r.status));
  const retryable = chosen.filter((r) => r.status === 'failed' || r.status === 'cancelled');

  return (
    <section aria-labelledby="runs-title">
      <h1 id="runs-title">Runs</h1>
      <RunFilters key={key} value={filters} onChange={setFilters} />
      {can('operator') && (
        <div className="toolbar" aria-label="Selected runs">
          <span>{chosen.length} selected</span>
          <button type="button" className="danger" disabled={cancellable.length === 0} onClick={() => void bulk('cancel', cancellable)}>
            Cancel selected{cancellable.length ? ` (${cancellable.length})` : ''}
          </button>
          <button type="button" className="secondary" disabled={retryable.length === 0} onClick={() => void bulk('retry', retryable)}>
            Retry selected{retryable.length ? ` (${retryable.length})` : ''}
          </button>
        </div>
      )}
      <p role="status" className="muted">
        {message}
      </p>
      <PageState
        list={page}
        loading="Loading runs"
        empty={
          <>
            <p>
              No runs{filters.workflow || filters.status || filters.trigger || filters.range || filters.q ? ' match these filters' : ' yet'}
              .
            </p>
            <p className="muted">
              Start one with <code>openclaw run &lt;workflow&gt;</code> or <code>POST /v1/workflows/&lt;name&gt;/runs</code>.
            </p>
          </>
        }
      >
        {(items) => (
          <table className="runs">
            <caption className="visually-hidden">Runs, newest first; statuses refresh every 2 seconds</caption>
            <thead>
              <tr>
                {can('operator') && (
                  <th scope="col">
                    <input
                      type="checkbox"
                      aria-label="Select every run on this page"
                      checked={allOnPage}
                      onChange={() => setSelected(allOnPage ? new Set() : new Set(items.map((r) => r.id)))}
                    />
                  </th>
                )}
                <th scope="col">Run</th>
                <th scope="col">Workflow</th>
                <th scope="col">Status</th>
                <th scope="col">Trigger</th>
                <th scope="col">Created</th>
                <th scope="col">Duration</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.id} className={selected.has(r.id) ? 'selected' : undefined}>
                  {can('operator') && (
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Select run ${shortId(r.id)}`}
                        checked={selected.has(r.id)}
                        onChange={() => toggle(r.id)}
                      />
                    </td>
                  )}
                  <td>
                    <Link to={`/runs/${r.id}`} className="mono">
                      {shortId(r.id)}
                    </Link>
                    {r.idempotencyKey && <div className="muted small-text">key {r.idempotencyKey}</div>}
                  </td>
                  <td>
                    {r.workflow} <span className="muted">v{r.version}</span>
                  </td>
                  <td>
                    <StatusBadge status={r.status} />
                  </td>
                  <td>{triggerType(r)}</td>
                  <td>{formatTime(r.createdAt)}</td>
                  <td>{formatDuration(durationBetween(r.startedAt, r.finishedAt))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </PageState>
      <Pager
        atFirst={!cursor}
        next={page.data?.nextCursor}
        onNewer={() => goto(history.at(-1) || null, true)}
        onOlder={(next) => goto(next, false)}
      />
    </section>
  );
}
