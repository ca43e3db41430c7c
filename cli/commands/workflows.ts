/** `openclaw workflows`: registered workflows and their latest versions. */
import type { Command } from 'commander';
import { defined } from '../client.js';
import { clientOf, contextOf, printNextPage, withPaging, withUrl } from '../context.js';
import { formatTime, oneLine, table } from '../output.js';

export function registerWorkflows(program: Command): void {
  withPaging(withUrl(program.command('workflows').description('list registered workflows'))).action(
    async (opts: { limit?: number; cursor?: string }, cmd: Command) => {
      const { json, print } = contextOf(cmd);
      const { body } = await clientOf(cmd).GET('/v1/workflows', { params: { query: defined({ limit: opts.limit, cursor: opts.cursor }) } });
      if (json) return print.json(body);
      if (body.items.length === 0) print.out('no workflows (register one with `openclaw apply <file>`)');
      else {
        const described = body.items.some((w) => w.description);
        print.out(
          table(
            ['NAME', 'VERSION', 'UPDATED', ...(described ? ['DESCRIPTION'] : [])],
            body.items.map((w) => [
              w.archived ? `${w.name} (archived)` : w.name,
              String(w.latestVersion),
              formatTime(w.updatedAt),
              ...(described ? [oneLine(w.description ?? '')] : []),
            ]),
          ),
        );
      }
      printNextPage(print, 'openclaw workflows', body.nextCursor);
    },
  );
}
