/**
 * `openclaw keys create|list|revoke` (admin, over the API) and `openclaw keys generate` (offline:
 * a fresh key for OPENCLAW_ADMIN_KEY). See docs/security.md.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { ApiKey } from '../../client/index.js';
import { clientOf, contextOf, printNextPage, urlOption, withPaging, withUrl } from '../context.js';
import { apiKeyFor } from '../credentials.js';
import { formatTime, table } from '../output.js';
import { ApiClient, defined } from '../client.js';

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `--expires`: an ISO 8601 time, or a duration from now (`90d`, `12h`, `30m`, `2w`). */
export function expiresArg(value: string, now = Date.now()): string {
  const d = /^(\d+)([mhdw])$/.exec(value.trim());
  if (d) return new Date(now + Number(d[1]) * UNITS[d[2]!]!).toISOString();
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError('expected an ISO 8601 time or a duration such as 90d, 12h, 30m');
  return new Date(t).toISOString();
}

const grant = (n: ApiKey['namespaces']): string => (n === '*' ? '*' : n.join(','));

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage API keys (admin): create, list, revoke; or generate one offline');

  // Here --namespace is the key's grant (repeatable), not the namespace the request acts in.
  keys
    .command('create')
    .description('create an API key; it is printed once and never shown again')
    .requiredOption('--role <role>', 'viewer, operator or admin')
    .requiredOption('--namespace <ns...>', 'the namespaces the key may touch (repeat, or * for every namespace)')
    .option('--name <name>', 'what the key is for (default: "<role> key")')
    .option('--expires <when>', 'an ISO 8601 time or a duration (90d, 12h)', (v) => expiresArg(v))
    .addOption(urlOption())
    .action(async (opts: { role: string; namespace: string[]; name?: string; expires?: string; url: string }, cmd: Command) => {
      const { json, print } = contextOf(cmd);
      const namespaces: ApiKey['namespaces'] = opts.namespace.includes('*') ? '*' : opts.namespace;
      const body = {
        name: opts.name ?? `${opts.role} key`,
        role: opts.role as ApiKey['role'], // checked by the server (400 with the roles it knows)
        namespaces,
        ...(opts.expires ? { expiresAt: opts.expires } : {}),
      };
      // The request acts in the key's first namespace, so an admin of only those namespaces may create it.
      const client = new ApiClient(opts.url, { apiKey: apiKeyFor(opts.url), namespace: namespaces === '*' ? undefined : namespaces[0] });
      const res = await client.POST('/v1/api-keys', { body });
      if (json) return print.json(res.body);
      print.out(res.body.key);
      print.err(
        `created ${res.body.role} key ${res.body.id} for ${grant(res.body.namespaces)}` +
          `${res.body.expiresAt ? `, expires ${formatTime(res.body.expiresAt)}` : ''}; it is shown only now`,
      );
    });

  withPaging(withUrl(keys.command('list').description('list API keys (never the keys themselves), newest first'))).action(
    async (opts: { limit?: number; cursor?: string }, cmd: Command) => {
      const { json, print } = contextOf(cmd);
      const { body } = await clientOf(cmd).GET('/v1/api-keys', { params: { query: defined({ limit: opts.limit, cursor: opts.cursor }) } });
      if (json) return print.json(body);
      if (body.items.length === 0) return print.out('no API keys');
      print.out(
        table(
          ['ID', 'NAME', 'ROLE', 'NAMESPACES', 'CREATED', 'EXPIRES', 'STATE'],
          body.items.map((k) => [
            k.id,
            k.name,
            k.role,
            grant(k.namespaces),
            formatTime(k.createdAt),
            k.expiresAt ? formatTime(k.expiresAt) : '-',
            k.revokedAt ? `revoked ${formatTime(k.revokedAt)}` : 'active',
          ]),
        ),
      );
      printNextPage(print, 'openclaw keys list', body.nextCursor);
    },
  );

  withUrl(keys.command('revoke <id>').description('revoke an API key: every server refuses it within a second')).action(
    async (id: string, _opts: unknown, cmd: Command) => {
      const { json, print } = contextOf(cmd);
      await clientOf(cmd).DELETE('/v1/api-keys/{id}', { params: { path: { id } } });
      if (json) return print.json({ revoked: id });
      print.out(`revoked API key ${id}`);
    },
  );

  keys
    .command('generate')
    .description('print a fresh key without storing it, e.g. for OPENCLAW_ADMIN_KEY (a server makes it an admin key at start)')
    .action(async () => {
      const { generateApiKey } = await import('../../engine/index.js');
      process.stdout.write(`${generateApiKey()}\n`);
    });
}
