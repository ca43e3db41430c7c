/**
 * Reading the audit log: newest first (`at`, then `id`), with filters, paged by keyset
 * (db/keyset-page.ts). `namespaces` limits the rows to what the reader may see (an admin key
 * limited to some namespaces sees only theirs; rows with no namespace only with `*`).
 */
import type { EngineCore } from '../core/engine-core.js';
import { keysetPage, tupleCursor, type Page, type PageRequest } from '../db/keyset-page.js';
import { EngineError } from '../errors.js';
import type { NamespaceGrant } from '../vocabulary/roles.js';

export interface AuditFilter extends PageRequest {
  principal?: string | undefined;
  namespace?: string | undefined;
  /** The namespaces the reader may see (default `*`: all). */
  namespaces?: NamespaceGrant | undefined;
  method?: string | undefined;
  status?: number | undefined;
  /** Exact route template, e.g. `/v1/runs/{id}/cancel`. */
  route?: string | undefined;
  /** ISO 8601: rows at or after this time. */
  since?: string | undefined;
  /** ISO 8601: rows before this time. */
  until?: string | undefined;
}

/** One audit row as the API shows it. */
export interface AuditRecord {
  /** Increasing integer, as a string. */
  id: string;
  at: string;
  principal: string | null;
  principalKind: string | null;
  role: string | null;
  namespace: string | null;
  method: string;
  route: string;
  ids: Record<string, string>;
  status: number;
  clientAddress: string | null;
  requestId: string | null;
}

interface DbRow {
  id: string;
  at: Date;
  principal: string | null;
  principal_kind: string | null;
  role: string | null;
  namespace: string | null;
  method: string;
  route: string;
  ids: Record<string, string>;
  status: number;
  client_address: string | null;
  request_id: string | null;
  cursor_ts: string;
}

const newestFirst = {
  format: tupleCursor('timestamp', 'integer'),
  keyOf: (r: DbRow): [string, number] => [r.cursor_ts, Number(r.id)],
};

function time(value: string | undefined, field: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (Number.isNaN(Date.parse(value))) {
    throw new EngineError('invalid_request', `${field} ${JSON.stringify(value)} is not an ISO 8601 time`, { details: { field } });
  }
  return new Date(value).toISOString();
}

export async function listAuditLog(core: EngineCore, filter: AuditFilter = {}): Promise<Page<AuditRecord>> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (p: string) => string, value: unknown): void => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  const grant = filter.namespaces ?? '*';
  if (grant !== '*') add((p) => `namespace = ANY(${p}::text[])`, [...grant]);
  if (filter.namespace !== undefined) add((p) => `namespace = ${p}`, filter.namespace);
  if (filter.principal !== undefined) add((p) => `principal = ${p}`, filter.principal);
  if (filter.method !== undefined) add((p) => `method = ${p}`, filter.method.toUpperCase());
  if (filter.status !== undefined) add((p) => `status = ${p}`, filter.status);
  if (filter.route !== undefined) add((p) => `route = ${p}`, filter.route);
  const since = time(filter.since, 'since');
  const until = time(filter.until, 'until');
  if (since) add((p) => `at >= ${p}::timestamptz`, since);
  if (until) add((p) => `at < ${p}::timestamptz`, until);

  const page = await keysetPage(filter, newestFirst, async (after, take) => {
    const conditions = [...where];
    const values = [...params];
    if (after) {
      values.push(after[0], String(after[1]));
      conditions.push(`(at, id) < ($${values.length - 1}::timestamptz, $${values.length}::bigint)`);
    }
    values.push(take);
    const { rows } = await core.pool.query<DbRow>(
      `SELECT id, at, principal, principal_kind, role, namespace, method, route, ids, status, client_address, request_id,
              to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts
         FROM openclaw.audit_log
        ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
        ORDER BY at DESC, id DESC
        LIMIT $${values.length}`,
      values,
    );
    return rows;
  });
  return {
    items: page.items.map((r) => ({
      id: r.id,
      at: r.at.toISOString(),
      principal: r.principal,
      principalKind: r.principal_kind,
      role: r.role,
      namespace: r.namespace,
      method: r.method,
      route: r.route,
      ids: r.ids,
      status: r.status,
      clientAddress: r.client_address,
      requestId: r.request_id,
    })),
    nextCursor: page.nextCursor,
  };
}
