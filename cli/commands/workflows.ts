/** `openclaw workflows`: registered workflows and their latest versions. */
import type { Command } from 'commander';
import type { Page, WorkflowBody } from '../api-types.js';
import { clientOf, contextOf, withUrl } from '../context.js';
import { intArg } from '../input.js';
import { formatTime, oneLine, table } from '../output.js';

export function registerWorkflows(program: Command): void {
  withUrl(
    program
      .command('workflows')
      .description('list registered workflows')
      .option('--limit <n>', 'page size', intArg(1, 500))
      .option('--cursor <cursor>', 'the next page: the cursor printed by the previous page'),
  ).action(async (opts: { limit?: number; cursor?: string }, cmd: Command) => {
    const { json, print } = contextOf(cmd);
    const { body } = await clientOf(cmd).get<Page<WorkflowBody>>('/v1/workflows', { limit: opts.limit, cursor: opts.cursor });
    if (json) return print.json(body);
    if (body.items.length === 0) print.out('no workflows (register one with `openclaw apply <file>`)');
    else {
      const described = body.items.some((w) => w.description);
      print.out(
        table(
          ['NAME', 'VERSION', 'UPDATED', ...(described ? ['DESCRIPTION'] : [])],
          body.items.map((w) => [
            w.archived || w.archivedAt ? `${w.name} (archived)` : w.name,
            String(w.latestVersion ?? w.version ?? ''),
            formatTime(w.updatedAt ?? w.createdAt),
            ...(described ? [oneLine(w.description ?? '')] : []),
          ]),
        ),
      );
    }
    if (body.nextCursor) print.out(print.color.dim(`next page: openclaw workflows --cursor ${body.nextCursor}`));
  });
}
