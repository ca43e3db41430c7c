/** `openclaw runs`: list runs, newest first, with filters and cursor paging. */
import type { Command } from 'commander';
import type { Page, RunBody } from '../api-types.js';
import { clientOf, contextOf, printNextPage, withPaging, withUrl } from '../context.js';
import { colorStatus, formatTime, table, type Colors } from '../output.js';

interface RunsOptions {
  workflow?: string;
  status?: string;
  limit?: number;
  cursor?: string;
}

export function runsTable(items: RunBody[], c: Colors): string {
  return table(
    ['ID', 'WORKFLOW', 'VERSION', 'STATUS', 'CREATED', 'FINISHED'],
    items.map((r) => [r.id, r.workflow, String(r.version), colorStatus(c, r.status), formatTime(r.createdAt), formatTime(r.finishedAt)]),
  );
}

export function registerRuns(program: Command): void {
  withPaging(
    withUrl(
      program
        .command('runs')
        .description('list runs, newest first')
        .option('--workflow <name>', 'only runs of this workflow')
        .option('--status <status>', 'only runs in this status (queued, running, waiting, succeeded, failed, cancelled)')
        .addHelpText('after', '\nExamples:\n  openclaw runs --status failed\n  openclaw runs --workflow etl --limit 10 --json'),
    ),
  ).action(async (opts: RunsOptions, cmd: Command) => {
    const { json, print } = contextOf(cmd);
    const { body } = await clientOf(cmd).get<Page<RunBody>>('/v1/runs', {
      workflow: opts.workflow,
      status: opts.status,
      limit: opts.limit,
      cursor: opts.cursor,
    });
    if (json) return print.json(body);
    if (body.items.length === 0) print.out('no runs');
    else print.out(runsTable(body.items, print.color));
    printNextPage(print, 'openclaw runs', body.nextCursor);
  });
}
