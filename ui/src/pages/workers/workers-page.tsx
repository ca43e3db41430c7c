/**
 * /workers: the queue (GET /v1/stats: steps due now, the oldest one's wait, running steps, active
 * runs, per namespace the key may see) and the worker fleet (GET /v1/workers: state judged by the
 * database clock, busy slots, last heartbeat), refreshed every 5 s. Workers serve every namespace.
 */
import { formatDuration, formatTime } from '../../components/format';
import { Empty, ErrorState, Loading } from '../../components/states';
import { useAsync, useInterval } from '../../components/use-async';
import type { Stats, Worker } from '../../data/client-types';
import { get } from '../../data/http';
import type { Page } from '../../data/types';
import '../pages.css';

const STATE_TAG: Record<string, string> = { alive: 'tag ok', draining: 'tag warn', stale: 'tag bad', stopped: 'tag' };

export default function WorkersPage() {
  const data = useAsync(
    (signal) => Promise.all([get<Stats>('/v1/stats', undefined, signal), get<Page<Worker>>('/v1/workers', { limit: 500 }, signal)]),
    [],
  );
  useInterval(data.reload, 5000, data.data !== undefined);

  if (data.error !== null && data.data === undefined) return <ErrorState error={data.error} retry={data.reload} />;
  if (data.data === undefined) return <Loading what="Loading the fleet" />;
  const [stats, workers] = data.data;
  const live = workers.items.filter((w) => w.state === 'alive' || w.state === 'draining');
  const slots = live.reduce((n, w) => n + w.slots, 0);
  const busy = live.reduce((n, w) => n + w.busySlots, 0);
  const depth = stats.namespaces.reduce((n, s) => n + s.queueDepth, 0);

  return (
    <section aria-labelledby="workers-title">
      <h1 id="workers-title">Workers</h1>
      <div className="stat-cards" role="group" aria-label="Totals">
        <div className="stat-card">
          <span className="value">{depth}</span> steps due now
        </div>
        <div className="stat-card">
          <span className="value">{live.length}</span> workers up
        </div>
        <div className="stat-card">
          <span className="value">
            {busy} / {slots}
          </span>{' '}
          slots busy
        </div>
      </div>
      {data.error !== null && <p className="error-text">Refresh failed; showing the last answer.</p>}
      <h2>Queue</h2>
      {stats.namespaces.length === 0 ? (
        <Empty>
          <p>Nothing queued or running in the namespaces this key may see.</p>
        </Empty>
      ) : (
        <table className="queue">
          <caption className="visually-hidden">Queue depth by namespace at {formatTime(stats.at)}</caption>
          <thead>
            <tr>
              <th scope="col">Namespace</th>
              <th scope="col">Due now</th>
              <th scope="col">Oldest waiting</th>
              <th scope="col">Running steps</th>
              <th scope="col">Runs queued / running / waiting</th>
            </tr>
          </thead>
          <tbody>
            {stats.namespaces.map((s) => (
              <tr key={s.namespace}>
                <th scope="row">{s.namespace}</th>
                <td>{s.queueDepth}</td>
                <td>{s.oldestReadySeconds === null ? '—' : formatDuration(s.oldestReadySeconds * 1000)}</td>
                <td>{s.runningSteps}</td>
                <td>
                  {s.activeRuns.queued} / {s.activeRuns.running} / {s.activeRuns.waiting}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {stats.truncated && <p className="muted small-text">Counted up to {stats.scanLimit} steps: the numbers are a lower bound.</p>}
      <h2>Fleet</h2>
      {workers.items.length === 0 ? (
        <Empty>
          <p>
            No workers have registered. Start one with <code>openclaw worker</code>.
          </p>
        </Empty>
      ) : (
        <table className="workers">
          <caption className="visually-hidden">Workers, by id</caption>
          <thead>
            <tr>
              <th scope="col">Worker</th>
              <th scope="col">State</th>
              <th scope="col">Busy slots</th>
              <th scope="col">Last heartbeat</th>
              <th scope="col">Started</th>
              <th scope="col">Version</th>
            </tr>
          </thead>
          <tbody>
            {workers.items.map((w) => (
              <tr key={w.id}>
                <th scope="row" className="mono">
                  {w.host ?? '?'}:{w.pid ?? '?'}
                  <div className="muted small-text">{w.id}</div>
                </th>
                <td>
                  <span className={STATE_TAG[w.state] ?? 'tag'}>{w.state}</span>
                </td>
                <td>
                  {w.busySlots} / {w.slots}
                </td>
                <td>{formatDuration(w.secondsSinceHeartbeat * 1000)} ago</td>
                <td>{formatTime(w.startedAt)}</td>
                <td>{w.version ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
