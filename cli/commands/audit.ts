/** `openclaw audit`: the audit log (admin), newest first, with filters and cursor paging. */
import { InvalidArgumentError, type Command } from 'commander';
import type { AuditRow } from '../../client/index.js';
import { defined } from '../client.js';
import { clientOf, contextOf, printNextPage, withPaging, withUrl } from '../context.js';
import { intArg } from '../input.js';
import { formatTime, table } from '../output.js';

interface AuditOptions {
  principal?: string;
  inNamespace?: string;
  method?: string;
  status?: number;
  route?: string;
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `--since` / `--until`: an ISO 8601 time, or a duration before now (`30m`, `12h`, `7d`, `2w`). */
export function pastTimeArg(value: string, now = Date.now()): string {
  const d = /^(\d+)([smhdw])$/.exec(value.trim());
  if (d) return new Date(now - Number(d[1]) * UNITS[d[2]!]!).toISOString();
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError('expected an ISO 8601 time or a duration before now such as 30m, 12h, 7d');
  return new Date(t).toISOString();
}

const formatIds = (ids: Record<string, string> | undefined): string =>
  Object.entries(ids ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

export function auditTable(items: AuditRow[]): string {
  return table(
    ['TIME', 'STATUS', 'METHOD', 'ROUTE', 'IDS', 'PRINCIPAL', 'ROLE', 'NAMESPACE', 'CLIENT'],
    items.map((r) => [
      formatTime(r.at),
      String(r.status),
      r.method,
      r.route,
      formatIds(r.ids),
      r.principal ?? `(${r.principalKind ?? 'anonymous'})`,
      r.role ?? '-',
      r.namespace ?? '-',
      r.clientAddress ?? '-',
    ]),
  );
}

export function registerAudit(program: Command): void {
  withPaging(
    withUrl(
      program
        .command('audit')
        .description('the audit log (admin): mutating and refused requests, newest first')
        .option('--principal <id>', 'only this principal (API key id, oidc:<sub>, local)')
        .option('--in-namespace <ns>', 'only requests in this namespace (--namespace is the one this command acts in)')
        .option('--method <method>', 'only this HTTP method (POST, PUT, PATCH, DELETE, GET)')
        .option('--status <code>', 'only this response status (e.g. 401, 403, 429)', intArg(100, 599))
        .option('--route <template>', 'only this route, e.g. /v1/runs/{id}/cancel')
        .option('--since <when>', 'rows at or after: an ISO 8601 time or a duration before now (30m, 12h, 7d)', (v) => pastTimeArg(v))
        .option('--until <when>', 'rows before: an ISO 8601 time or a duration before now', (v) => pastTimeArg(v))
        .addHelpText(
          'after',
          '\nExamples:\n  openclaw audit --status 403 --since 1d\n  openclaw audit --principal 0123456789abcdef --json',
        ),
    ),
  ).action(async (opts: AuditOptions, cmd: Command) => {
    const { json, print } = contextOf(cmd);
    const { body } = await clientOf(cmd).GET('/v1/audit', {
      params: {
        query: defined({
          principal: opts.principal,
          inNamespace: opts.inNamespace,
          method: opts.method?.toUpperCase(),
          status: opts.status,
          route: opts.route,
          since: opts.since,
          until: opts.until,
          limit: opts.limit,
          cursor: opts.cursor,
        }),
      },
    });
    if (json) return print.json(body);
    if (body.items.length === 0) print.out('no audit rows');
    else print.out(auditTable(body.items));
    printNextPage(print, 'openclaw audit', body.nextCursor);
  });
}
