/**
 * The audit log (admin): every mutating request and every refusal, newest first, filtered by
 * principal, namespace, method, status, route and time (GET /v1/audit), paged by cursor.
 */
import { useState, type FormEvent } from 'react';
import { formatTime } from '../../components/format';

import { PageState, Pager, useCursorPages } from '../../components/list-page';
import { useAsync } from '../../components/use-async';
import type { AuditRow } from '../../data/client-types';
import { get } from '../../data/http';
import type { Page } from '../../data/types';

interface Filters {
  principal: string;
  inNamespace: string;
  method: string;
  status: string;
  route: string;
  since: string;
}

const NONE: Filters = { principal: '', inNamespace: '', method: '', status: '', route: '', since: '' };

export function AuditSection() {
  const [filters, setFilters] = useState<Filters>(NONE);
  const [draft, setDraft] = useState<Filters>(NONE);
  const pages = useCursorPages();
  const { cursor } = pages;
  const list = useAsync(
    (signal) =>
      get<Page<AuditRow>>(
        '/v1/audit',
        { ...filters, since: filters.since ? new Date(filters.since).toISOString() : undefined, limit: 50, cursor },
        signal,
      ),
    [JSON.stringify(filters), cursor],
  );
  const apply = (e: FormEvent): void => {
    e.preventDefault();
    pages.reset();
    setFilters(draft);
  };
  const field = (k: keyof Filters, label: string, extra: Record<string, string> = {}) => (
    <label>
      {label}
      <input value={draft[k]} onChange={(e) => setDraft({ ...draft, [k]: e.target.value })} {...extra} />
    </label>
  );

  return (
    <div>
      <form className="inline-form" role="search" aria-label="Filter the audit log" onSubmit={apply}>
        {field('principal', 'Principal', { placeholder: 'key id, oidc:sub or local' })}
        {field('inNamespace', 'Namespace')}
        <label>
          Method
          <select value={draft.method} onChange={(e) => setDraft({ ...draft, method: e.target.value })}>
            <option value="">any</option>
            {['POST', 'PUT', 'PATCH', 'DELETE', 'GET'].map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </label>
        {field('status', 'Status', { inputMode: 'numeric', pattern: '[0-9]{3}', size: '4' })}
        {field('route', 'Route', { placeholder: '/v1/runs/{id}/cancel' })}
        {field('since', 'Since', { type: 'datetime-local' })}
        <button type="submit" className="secondary">
          Filter
        </button>
      </form>
      <PageState list={list} loading="Loading the audit log" empty={<p>No audit rows match.</p>}>
        {(items) => (
          <table className="audit">
            <caption className="visually-hidden">Audit log, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Principal</th>
                <th scope="col">Namespace</th>
                <th scope="col">Request</th>
                <th scope="col">Status</th>
                <th scope="col">Client</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.id}>
                  <td>{formatTime(r.at)}</td>
                  <td>
                    <span className="mono">{r.principal ?? '—'}</span>
                    <div className="muted small-text">
                      {r.principalKind}
                      {r.role ? `, ${r.role}` : ''}
                    </div>
                  </td>
                  <td>{r.namespace ?? '—'}</td>
                  <td>
                    <code>
                      {r.method} {r.route}
                    </code>
                    {Object.keys(r.ids ?? {}).length > 0 && <div className="muted small-text mono">{JSON.stringify(r.ids)}</div>}
                  </td>
                  <td>{r.status}</td>
                  <td className="small-text">{r.clientAddress ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </PageState>
      <Pager atFirst={pages.atFirst} next={list.data?.nextCursor} onNewer={pages.newer} onOlder={pages.older} label="Audit pages" />
    </div>
  );
}
