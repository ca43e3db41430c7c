/**
 * A schedule's last few fires, from the runs they started: the API keeps each schedule's newest fire
 * only (`lastFireAt`), but every run a tick starts says so (`trigger: {type: 'cron', scheduleId,
 * fireAt}`), so the newest cron runs of each workflow on the page (`GET /v1/runs?workflow=&trigger=cron`,
 * an indexed read) give each schedule's recent fires with their outcome.
 */
import { shortId } from '../../components/format';
import { StatusBadge } from '../../components/status';
import { useAsync } from '../../components/use-async';
import { get } from '../../data/http';
import type { Page, RunSummary } from '../../data/types';
import { Link } from '../../router';
import { zonedTime } from './zoned-time';

/** Fires shown per schedule. */
const SHOWN = 3;
/** Cron runs read per workflow (a workflow may have several schedules). */
const READ = 20;

interface Fire {
  fireAt: string;
  run: RunSummary;
}

/** Each schedule's newest fires (newest first), re-read whenever `reloadKey` changes. */
export function useRecentFires(workflows: string[], reloadKey: unknown): Map<string, Fire[]> {
  const distinct = [...new Set(workflows)].sort();
  const fires = useAsync(
    async (signal) => {
      const pages = await Promise.all(
        distinct.map((workflow) => get<Page<RunSummary>>('/v1/runs', { workflow, trigger: 'cron', limit: READ }, signal)),
      );
      const bySchedule = new Map<string, Fire[]>();
      for (const run of pages.flatMap((p) => p.items)) {
        const { scheduleId, fireAt } = (run.trigger ?? {}) as { scheduleId?: unknown; fireAt?: unknown };
        if (typeof scheduleId !== 'string' || typeof fireAt !== 'string') continue;
        const list = bySchedule.get(scheduleId) ?? [];
        list.push({ fireAt, run });
        bySchedule.set(scheduleId, list);
      }
      for (const list of bySchedule.values()) list.sort((a, b) => b.fireAt.localeCompare(a.fireAt)).splice(SHOWN);
      return bySchedule;
    },
    [distinct.join('\n'), reloadKey],
  );
  return fires.data ?? new Map();
}

export function RecentFires({ fires, timezone }: { fires: Fire[]; timezone: string }) {
  if (fires.length === 0) return null;
  return (
    <ol className="recent-fires small-text" aria-label="Recent fires">
      {fires.map((f) => (
        <li key={f.run.id}>
          {zonedTime(f.fireAt, timezone)} <StatusBadge status={f.run.status} />{' '}
          <Link to={`/runs/${f.run.id}`}>run {shortId(f.run.id)}</Link>
        </li>
      ))}
    </ol>
  );
}
