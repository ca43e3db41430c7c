/**
 * What starts a workflow besides a person: its cron schedules (GET /v1/schedules?workflow=, with
 * their next fire in their own time zone; paused and resumed on /schedules) and its webhooks (from
 * the spec's triggers: the URL to send signed deliveries to).
 */
import { Empty, ErrorState, Loading } from '../../components/states';
import { useAsync } from '../../components/use-async';
import type { Schedule } from '../../data/client-types';
import { get } from '../../data/http';
import type { Page } from '../../data/types';
import { Link } from '../../router';
import { zonedTime } from '../schedules/zoned-time';

interface WebhookTrigger {
  webhook: { name?: string; secret?: string };
}

export function webhooksOf(spec: Record<string, unknown>): { name: string; secret: string | null }[] {
  const triggers = Array.isArray(spec.triggers) ? (spec.triggers as unknown[]) : [];
  return triggers
    .filter((t): t is WebhookTrigger => typeof t === 'object' && t !== null && 'webhook' in t)
    .map((t) => ({ name: String(t.webhook.name ?? ''), secret: t.webhook.secret ?? null }));
}

export function WorkflowTriggers({ name, spec }: { name: string; spec: Record<string, unknown> }) {
  const schedules = useAsync((signal) => get<Page<Schedule>>('/v1/schedules', { workflow: name, limit: 100 }, signal), [name]);
  const hooks = webhooksOf(spec);
  return (
    <div className="triggers">
      <h2>Schedules</h2>
      {schedules.error !== null && schedules.data === undefined ? (
        <ErrorState error={schedules.error} retry={schedules.reload} />
      ) : schedules.data === undefined ? (
        <Loading what="Loading schedules" />
      ) : schedules.data.items.length === 0 ? (
        <Empty>
          <p>No cron triggers in the latest version.</p>
        </Empty>
      ) : (
        <table>
          <caption className="visually-hidden">Schedules of {name}</caption>
          <thead>
            <tr>
              <th scope="col">Cron</th>
              <th scope="col">Time zone</th>
              <th scope="col">Next fire</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {schedules.data.items.map((s) => (
              <tr key={s.id}>
                <td className="mono">{s.cron}</td>
                <td>{s.timezone}</td>
                <td>{s.nextFireAt ? zonedTime(s.nextFireAt, s.timezone) : '—'}</td>
                <td>{s.paused ? 'paused' : s.archived ? 'archived' : 'active'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="small-text">
        <Link to={`/schedules?workflow=${encodeURIComponent(name)}`}>Pause or resume on the schedules page</Link>
      </p>
      <h2>Webhooks</h2>
      {hooks.length === 0 ? (
        <Empty>
          <p>No webhook triggers.</p>
        </Empty>
      ) : (
        <ul className="plain-list">
          {hooks.map((h) => (
            <li key={h.name}>
              <code>
                POST {window.location.origin}/v1/hooks/{encodeURIComponent(name)}/{encodeURIComponent(h.name)}
              </code>
              {h.secret && <span className="muted"> signed with the secret {h.secret}</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
