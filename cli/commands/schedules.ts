/** `openclaw schedules` (list cron schedules) and `openclaw schedule pause|resume|show <id>` (docs/schedules.md). */
import type { Command } from 'commander';
import type { Page } from '../api-types.js';
import { seg } from '../client.js';
import { clientOf, contextOf, printNextPage, withCommonOptions, withPaging, withUrl } from '../context.js';
import { formatTime, table, type Printer } from '../output.js';

interface ScheduleBody {
  id: string;
  workflow: string;
  triggerIndex?: number;
  cron: string;
  timezone?: string;
  catchUp?: string;
  paused?: boolean;
  archived?: boolean;
  nextFireAt?: string | null;
  lastFireAt?: string | null;
  lastRunId?: string | null;
  lastError?: { name?: string; message?: string } | null;
  skippedTicks?: number;
}

function state(s: ScheduleBody): string {
  if (s.archived) return 'archived';
  return s.paused ? 'paused' : 'active';
}

function printOne(print: Printer, s: ScheduleBody): void {
  const rows: Array<[string, string]> = [
    ['id', s.id],
    ['workflow', s.workflow],
    ['cron', `${s.cron} (${s.timezone ?? 'UTC'})`],
    ['catch-up', s.catchUp ?? '-'],
    ['state', state(s)],
    ['next fire', formatTime(s.nextFireAt)],
    ['last fire', formatTime(s.lastFireAt)],
    ['last run', s.lastRunId ?? '-'],
  ];
  if (s.lastError) rows.push(['last error', `${s.lastError.name ?? 'Error'}: ${s.lastError.message ?? ''}`]);
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
    const { body } = await clientOf(cmd).get<Page<ScheduleBody>>('/v1/schedules', {
      workflow: opts.workflow,
      limit: opts.limit,
      cursor: opts.cursor,
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
            s.timezone ?? 'UTC',
            s.catchUp ?? '-',
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
        const { body } =
          name === 'show'
            ? await client.get<ScheduleBody>(`/v1/schedules/${seg(id)}`)
            : await client.post<ScheduleBody>(`/v1/schedules/${seg(id)}/${name}`);
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
