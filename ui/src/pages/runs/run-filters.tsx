/** The runs list filters; their values live in the query string (shareable links). */
import { useEffect, useState, type FormEvent } from 'react';
import { client, unwrap } from '../../data/http';

export const RUN_STATUSES = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled'] as const;
export const TRIGGERS = ['api', 'cron', 'webhook', 'parent', 'retry', 'signal'];
const RANGES: [string, string, number][] = [
  ['', 'Any time', 0],
  ['1h', 'Last hour', 3_600_000],
  ['24h', 'Last 24 hours', 86_400_000],
  ['7d', 'Last 7 days', 7 * 86_400_000],
  ['custom', 'Between…', 0],
];

export interface Filters {
  workflow: string;
  status: string;
  trigger: string;
  range: string;
  /** With range `custom`: created at or after / before these times (ISO 8601). */
  since: string;
  until: string;
  q: string;
}

export function filtersFrom(search: URLSearchParams): Filters {
  return {
    workflow: search.get('workflow') ?? '',
    status: search.get('status') ?? '',
    trigger: search.get('trigger') ?? '',
    range: search.get('range') ?? '',
    since: search.get('since') ?? '',
    until: search.get('until') ?? '',
    q: search.get('q') ?? '',
  };
}

/** The API query for the filters (the range is relative to now, so a shared link stays meaningful). */
export function apiQuery(f: Filters, idempotencyKey?: string) {
  const range = RANGES.find(([k]) => k === f.range);
  return {
    ...(f.workflow ? { workflow: f.workflow } : {}),
    ...(f.status ? { status: f.status as (typeof RUN_STATUSES)[number] } : {}),
    ...(f.trigger ? { trigger: f.trigger } : {}),
    ...(range && range[2] > 0 ? { since: new Date(Date.now() - range[2]).toISOString() } : {}),
    ...(f.range === 'custom' && f.since ? { since: f.since } : {}),
    ...(f.range === 'custom' && f.until ? { until: f.until } : {}),
    ...(idempotencyKey ? { idempotencyKey } : {}),
  };
}

export function RunFilters({ value, onChange }: { value: Filters; onChange(f: Filters): void }) {
  const [workflows, setWorkflows] = useState<string[]>([]);
  const [q, setQ] = useState(value.q);
  useEffect(() => {
    unwrap(client.GET('/v1/workflows', { params: { query: { limit: 500 } } })).then(
      (p) => setWorkflows(p.items.map((w) => w.name)),
      () => setWorkflows([]),
    );
  }, []);
  const set = (patch: Partial<Filters>): void => onChange({ ...value, ...patch });
  const search = (e: FormEvent): void => {
    e.preventDefault();
    set({ q: q.trim() });
  };
  return (
    <div className="filters" role="search" aria-label="Filter runs">
      <label>
        Workflow
        <select value={value.workflow} onChange={(e) => set({ workflow: e.target.value })}>
          <option value="">All</option>
          {[...new Set([value.workflow, ...workflows].filter(Boolean))].map((w) => (
            <option key={w}>{w}</option>
          ))}
        </select>
      </label>
      <label>
        Status
        <select value={value.status} onChange={(e) => set({ status: e.target.value })}>
          <option value="">All</option>
          {RUN_STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>
      <label>
        Trigger
        <select value={value.trigger} onChange={(e) => set({ trigger: e.target.value })}>
          <option value="">All</option>
          {TRIGGERS.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>
      <label>
        Created
        <select value={value.range} onChange={(e) => set({ range: e.target.value })}>
          {RANGES.map(([k, label]) => (
            <option key={k} value={k}>
              {label}
            </option>
          ))}
        </select>
      </label>
      {value.range === 'custom' && (
        <>
          <label>
            From
            <input type="datetime-local" value={toLocal(value.since)} onChange={(e) => set({ since: fromLocal(e.target.value) })} />
          </label>
          <label>
            To
            <input type="datetime-local" value={toLocal(value.until)} onChange={(e) => set({ until: fromLocal(e.target.value) })} />
          </label>
        </>
      )}
      <form onSubmit={search} className="filter-search">
        <label>
          Run id or idempotency key
          <input type="search" value={q} onChange={(e) => setQ(e.target.value)} spellCheck={false} />
        </label>
        <button type="submit" className="secondary">
          Find
        </button>
      </form>
    </div>
  );
}

/** ISO 8601 (UTC) <-> the local time a datetime-local input shows. */
function toLocal(iso: string): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

function fromLocal(local: string): string {
  if (!local) return '';
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}
