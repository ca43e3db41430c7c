/** `openclaw stats`: queue depth, oldest due step, running steps and active runs, per namespace. */
import type { Command } from 'commander';
import { clientOf, contextOf, withUrl } from '../context.js';
import { table } from '../output.js';

/** `-` for none, else seconds with one decimal below a minute, then `3m 4s`, `2h 5m`. */
function age(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.floor(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export function registerStats(program: Command): void {
  withUrl(
    program
      .command('stats')
      .description('queue depth, age of the oldest ready step, running steps and active runs, per namespace you may see'),
  ).action(async (_opts: unknown, cmd: Command) => {
    const { json, print } = contextOf(cmd);
    const { body } = await clientOf(cmd).GET('/v1/stats');
    if (json) return print.json(body);
    if (body.namespaces.length === 0) print.out('no active runs');
    else
      print.out(
        table(
          ['NAMESPACE', 'QUEUE', 'OLDEST READY', 'RUNNING STEPS', 'QUEUED RUNS', 'RUNNING RUNS', 'WAITING RUNS'],
          body.namespaces.map((n) => [
            n.namespace,
            String(n.queueDepth),
            age(n.oldestReadySeconds),
            String(n.runningSteps),
            String(n.activeRuns.queued),
            String(n.activeRuns.running),
            String(n.activeRuns.waiting),
          ]),
        ),
      );
    if (body.truncated) print.err(`more than ${body.scanLimit} rows in a part of the query: the counts are lower bounds`);
  });
}
