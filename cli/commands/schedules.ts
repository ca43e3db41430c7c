/** `openclaw schedules` (list cron schedules) and `openclaw schedule pause|resume|show <id>` (docs/schedules.md). */
import type { Command } from 'commander';
import type { Schedule } from '../../client/index.js';
import { defined } from '../client.js';
import { clientOf, contextOf, printNextPage, withCommonOptions, withPaging, withUrl } from '../context.js';
import { formatTime, table, type Printer } from '../output.js';

function state(s: Schedule): string {
  if (s.archived) return 'archived';
  return s.paused ? 'paused' : 'active';
}

/** `{fireAt, name, message}` of a schedule's last failed tick, as `Name: message`. */
function lastErrorText(lastError: unknown): string | null {
  if (typeof lastError !== 'object' || lastError === null) return null;
  const { name, message } = lastError as { name?: unknown; message?: unknown };
  return `${typeof name === 'string' ? name : 'Error'}: ${typeof message === 'string' ? message : ''}`;
}

function printOne(print: Printer, s: Schedule): void {
  const rows: Array<[string, string]> = [
    ['id', s.id],
    ['workflow', s.workflow],
    ['cron', `${s.cron} (${s.timezone})`],
    ['catch-up', s.catchUp],
    ['state', state(s)],
    ['next fire', formatTime(s.nextFireAt)],
    ['last fire', formatTime(s.lastFireAt)],
    ['last run', s.lastRunId ?? '-'],
  ];
  const lastError = lastErrorText(s.lastError);
  if (lastError) rows.push(['last error', lastError]);
  if (s.skippedTicks) rows.push(['skipped ticks', String(s.skippedTicks)]);
  for (const [k, v] of rows) print.out(`${`${k}:`.padEnd(15)}${v}`);
}

export function registerSchedules(program: Command): void {
  withPaging(
    withUrl(
      program
        .command('schedules')
        .description('list cron schedules (one per cron trigger of each workflow); pause/resume with `openclaw schedule`')
        .option('--workflow <name>', 'only this workflow'),
    ),
  ).action(async (opts: { workflow?: string; limit?: number; cursor?: string }, cmd: Command) => {
    const { json, print } = contextOf(cmd);
    const { body } = await clientOf(cmd).GET('/v1/schedules', {
      params: { query: defined({ workflow: opts.workflow, limit: opts.limit, cursor: opts.cursor }) },
    });
    if (json) return print.json(body);
    if (body.items.length === 0) print.out('no schedules (add a `triggers: [{cron: ...}]` entry to a workflow)');
    else
      print.out(
        table(
          ['ID', 'WORKFLOW', 'CRON', 'TIMEZONE', 'CATCH-UP', 'STATE', 'NEXT FIRE', 'LAST FIRE'],
          body.items.map((s) => [
            s.id,
            s.workflow,
            s.cron,
            s.timezone,
            s.catchUp,
            state(s) + (s.lastError ? ' (last tick failed)' : ''),
            formatTime(s.nextFireAt),
            formatTime(s.lastFireAt),
          ]),
        ),
      );
    printNextPage(print, 'openclaw schedules', body.nextCursor);
  });

  const schedule = program.command('schedule').description('one cron schedule: pause, resume, show');
  const act = (name: 'pause' | 'resume' | 'show', description: string): void => {
    withCommonOptions(withUrl(schedule.command(`${name} <id>`).description(description))).action(
      async (id: string, _opts: unknown, cmd: Command) => {
        const { json, print } = contextOf(cmd);
        const client = clientOf(cmd);
        const params = { path: { id } };
        const { body } =
          name === 'show'
            ? await client.GET('/v1/schedules/{id}', { params })
            : await client.POST(name === 'pause' ? '/v1/schedules/{id}/pause' : '/v1/schedules/{id}/resume', { params });
        if (json) return print.json(body);
        if (name === 'show') return printOne(print, body);
        const next = body.nextFireAt ? `; next fire ${formatTime(body.nextFireAt)}` : '';
        print.out(`schedule ${id} (${body.workflow}, ${body.cron}) is ${state(body)}${next}`);
      },
    );
  };
  act('pause', 'pause a schedule: no tick fires until it is resumed');
  act('resume', 'resume a schedule from now (ticks missed while paused are not made up)');
  act('show', 'show one schedule');
}
