/**
 * /schedules: every cron schedule of the namespace (one per cron trigger of each workflow's latest
 * spec; `?workflow=` narrows to one): the next fire time in the schedule's own time zone, the last
 * fires and their runs (recent-fires.tsx), skipped ticks and the last error; pause and resume (operator).
 */
import { useState } from 'react';
import { useSession } from '../../auth/session-context';
import { formatTime, shortId } from '../../components/format';
import { PageState, WorkflowFilter } from '../../components/list-page';
import { errorMessage } from '../../components/states';
import { useAsync, useInterval } from '../../components/use-async';
import type { Schedule } from '../../data/client-types';
import { get, post } from '../../data/http';
import type { Page } from '../../data/types';
import { Link, useLocation } from '../../router';
import '../pages.css';
import { RecentFires, useRecentFires } from './recent-fires';
import { fromNow, zonedTime } from './zoned-time';

export default function SchedulesPage() {
  const { search } = useLocation();
  const { can } = useSession();
  const workflow = search.get('workflow') ?? '';
  const [message, setMessage] = useState<string | null>(null);
  const list = useAsync((signal) => get<Page<Schedule>>('/v1/schedules', { workflow, limit: 500 }, signal), [workflow]);
  useInterval(list.reload, 10_000, list.data !== undefined);
  const fires = useRecentFires(
    (list.data?.items ?? []).map((s) => s.workflow),
    list.data,
  );

  const toggle = async (s: Schedule): Promise<void> => {
    const action = s.paused ? 'resume' : 'pause';
    try {
      await post(`/v1/schedules/${s.id}/${action}`);
      setMessage(`${s.paused ? 'Resumed' : 'Paused'} ${s.workflow} (${s.cron}).`);
      list.reload();
    } catch (err) {
      setMessage(`Refused: ${errorMessage(err)}`);
    }
  };

  return (
    <section aria-labelledby="schedules-title">
      <h1 id="schedules-title">Schedules</h1>
      <WorkflowFilter path="/schedules" workflow={workflow} />
      <p role="status" className="muted">
        {message}
      </p>
      <PageState
        list={list}
        loading="Loading schedules"
        empty={
          <>
            <p>No schedules{workflow ? ` for ${workflow}` : ''}.</p>
            <p className="muted">
              A workflow gets one for each <code>cron</code> trigger in its spec (docs/schedules.md).
            </p>
          </>
        }
      >
        {(items) => (
          <table className="schedules">
            <caption className="visually-hidden">Cron schedules; next fires in each schedule’s own time zone</caption>
            <thead>
              <tr>
                <th scope="col">Workflow</th>
                <th scope="col">Cron</th>
                <th scope="col">Next fire (its time zone)</th>
                <th scope="col">Last fires</th>
                <th scope="col">State</th>
                {can('operator') && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {items.map((s) => (
                <tr key={s.id} data-schedule={s.id}>
                  <th scope="row">
                    <Link to={`/workflows/${encodeURIComponent(s.workflow)}?tab=triggers`}>{s.workflow}</Link>
                    {s.triggerIndex > 0 && <span className="muted"> #{s.triggerIndex + 1}</span>}
                  </th>
                  <td>
                    <code>{s.cron}</code>
                    <div className="muted small-text">
                      {s.timezone}, catch-up {s.catchUp}
                    </div>
                  </td>
                  <td>
                    {s.nextFireAt ? (
                      <>
                        {zonedTime(s.nextFireAt, s.timezone)}
                        <div className="muted small-text">
                          {fromNow(s.nextFireAt)}; here {formatTime(s.nextFireAt)}
                        </div>
                      </>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>
                    {(fires.get(s.id)?.length ?? 0) > 0 ? (
                      <RecentFires fires={fires.get(s.id)!} timezone={s.timezone} />
                    ) : (
                      <>
                        {s.lastFireAt ? zonedTime(s.lastFireAt, s.timezone) : 'never'}
                        {s.lastRunId && (
                          <div className="small-text">
                            <Link to={`/runs/${s.lastRunId}`}>run {shortId(s.lastRunId)}</Link>
                          </div>
                        )}
                      </>
                    )}
                    {s.skippedTicks > 0 && <div className="muted small-text">{s.skippedTicks} ticks skipped</div>}
                    {s.lastError ? <div className="error-text small-text">{describe(s.lastError)}</div> : null}
                  </td>
                  <td>
                    {s.archived ? (
                      <span className="tag">archived</span>
                    ) : s.paused ? (
                      <span className="tag warn">paused{s.pausedAt ? ` ${formatTime(s.pausedAt)}` : ''}</span>
                    ) : (
                      <span className="tag ok">active</span>
                    )}
                  </td>
                  {can('operator') && (
                    <td>
                      {!s.archived && (
                        <button
                          type="button"
                          className="secondary small"
                          onClick={() => void toggle(s)}
                          aria-label={`${s.paused ? 'Resume' : 'Pause'} ${s.workflow} ${s.cron}`}
                        >
                          {s.paused ? 'Resume' : 'Pause'}
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
    </section>
  );
}

function describe(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'message' in err) return String((err as { message: unknown }).message);
  return typeof err === 'string' ? err : JSON.stringify(err);
}
