/** `openclaw runs`: list runs, newest first, with filters and cursor paging; `openclaw runs purge`: delete old finished runs. */
import { InvalidArgumentError, type Command } from 'commander';
import type { RunStatus, RunSummary } from '../../client/index.js';
import { defined } from '../client.js';
import { clientOf, contextOf, printNextPage, withPaging, withUrl } from '../context.js';
import { intArg } from '../input.js';
import { colorStatus, formatTime, table, type Colors } from '../output.js';

interface RunsOptions {
  workflow?: string;
  /** Checked by the server (400 naming the statuses). */
  status?: RunStatus;
  limit?: number;
  cursor?: string;
}

export function runsTable(items: RunSummary[], c: Colors): string {
  return table(
    ['ID', 'WORKFLOW', 'VERSION', 'STATUS', 'CREATED', 'FINISHED'],
    items.map((r) => [r.id, r.workflow, String(r.version), colorStatus(c, r.status), formatTime(r.createdAt), formatTime(r.finishedAt)]),
  );
}

const AGO_UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `--before`: an ISO 8601 time, or an age (`30d`, `12h`, `2w`: that long before now). */
export function beforeArg(value: string, now = Date.now()): string {
  const d = /^(\d+)([mhdw])$/.exec(value.trim());
  if (d) return new Date(now - Number(d[1]) * AGO_UNITS[d[2]!]!).toISOString();
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError('expected an ISO 8601 time or an age such as 30d, 12h, 2w');
  return new Date(t).toISOString();
}

/** `openclaw runs purge`: POST /v1/runs/purge until nothing is left (each call deletes at most --limit runs). */
function registerPurge(runs: Command): void {
  withUrl(
    runs
      .command('purge')
      .description('delete the finished runs of the namespace that finished before a time (admin); never an active run')
      .requiredOption('--before <time>', 'runs that finished before this ISO 8601 time, or this long ago (30d, 12h, 2w)', (v) =>
        beforeArg(v),
      )
      .option('--workflow <name>', 'only runs of this workflow (their child runs go with them)')
      .option('--dry-run', 'count what would be deleted; delete nothing')
      .option('--limit <n>', 'runs deleted per request (default 10000)', intArg(1, 100_000))
      .addHelpText(
        'after',
        '\nExamples:\n  openclaw runs purge --before 90d --dry-run\n  openclaw runs purge --before 2026-01-01T00:00:00Z --workflow etl',
      ),
  ).action(async (opts: { before: string; workflow?: string; dryRun?: boolean; limit?: number }, cmd: Command) => {
    const { json, print } = contextOf(cmd);
    const client = clientOf(cmd);
    const body = { before: opts.before, dryRun: opts.dryRun === true, ...defined({ workflow: opts.workflow, limit: opts.limit }) };
    const what = `finished before ${opts.before}${opts.workflow ? ` (workflow ${opts.workflow})` : ''}`;
    if (body.dryRun) {
      const res = await client.POST('/v1/runs/purge', { body });
      if (json) return print.json(res.body);
      return print.out(`would delete ${res.body.wouldDelete ?? 0} runs ${what} (dry run: nothing deleted)`);
    }
    let deleted = 0;
    for (;;) {
      const res = await client.POST('/v1/runs/purge', { body });
      deleted += res.body.deleted ?? 0;
      if (!res.body.more) break;
      if (!json) print.err(`deleted ${deleted} runs so far ...`);
    }
    if (json) return print.json({ dryRun: false, deleted });
    print.out(`deleted ${deleted} runs ${what}`);
  });
}

export function registerRuns(program: Command): void {
  const runs = withPaging(
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
    const { body } = await clientOf(cmd).GET('/v1/runs', {
      params: { query: defined({ workflow: opts.workflow, status: opts.status, limit: opts.limit, cursor: opts.cursor }) },
    });
    if (json) return print.json(body);
    if (body.items.length === 0) print.out('no runs');
    else print.out(runsTable(body.items, print.color));
    printNextPage(print, 'openclaw runs', body.nextCursor);
  });
  registerPurge(runs);
}
