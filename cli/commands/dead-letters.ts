/** `openclaw dead-letters`: steps that used up their attempts, with their last error. */
import type { Command } from 'commander';
import { defined } from '../client.js';
import { clientOf, contextOf, printNextPage, withPaging, withUrl } from '../context.js';
import { formatTaskError, formatTime, table } from '../output.js';

export function registerDeadLetters(program: Command): void {
  withPaging(
    withUrl(
      program
        .command('dead-letters')
        .description('list dead-lettered steps, newest first (replay one with `openclaw replay <id>`)')
        .option('--workflow <name>', 'only this workflow'),
    ),
  ).action(async (opts: { workflow?: string; limit?: number; cursor?: string }, cmd: Command) => {
    const { json, print } = contextOf(cmd);
    const { body } = await clientOf(cmd).GET('/v1/dead-letters', {
      params: { query: defined({ workflow: opts.workflow, limit: opts.limit, cursor: opts.cursor }) },
    });
    if (json) return print.json(body);
    if (body.items.length === 0) print.out('no dead letters');
    else
      print.out(
        table(
          ['ID', 'RUN', 'STEP', 'WORKFLOW', 'ATTEMPTS', 'CREATED', 'ERROR'],
          body.items.map((d) => [
            d.id,
            d.runId,
            d.stepKey,
            d.workflow,
            String(d.attempts),
            formatTime(d.createdAt),
            formatTaskError(d.error),
          ]),
        ),
      );
    printNextPage(print, 'openclaw dead-letters', body.nextCursor);
  });
}
