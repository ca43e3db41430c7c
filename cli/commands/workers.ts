/** `openclaw workers`: the worker fleet (every namespace's) and each worker's state. */
import { Option, type Command } from 'commander';
import { WORKER_STATES } from '../../engine/index.js';
import type { Worker } from '../../client/index.js';
import { defined } from '../client.js';
import { clientOf, contextOf, printNextPage, withPaging, withUrl } from '../context.js';
import { table, type Colors } from '../output.js';

/** `850ms ago`, `12s ago`, `3m 4s ago`, `5h 12m ago`, `2d 3h ago`. */
export function ago(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms ago`;
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m ago`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h ago`;
}

function colorState(c: Colors, state: string): string {
  if (state === 'alive') return c.green(state);
  if (state === 'stale') return c.red(state);
  if (state === 'stopped') return c.dim(state);
  return c.yellow(state);
}

export function workersTable(items: Worker[], c: Colors): string {
  return table(
    ['ID', 'HOST', 'VERSION', 'SLOTS', 'BUSY', 'STATE', 'LAST HEARTBEAT'],
    items.map((w) => [
      w.id,
      w.host ?? '-',
      w.version ?? '-',
      String(w.slots),
      String(w.busySlots),
      colorState(c, w.state),
      ago(w.secondsSinceHeartbeat),
    ]),
  );
}

export function registerWorkers(program: Command): void {
  withPaging(
    withUrl(
      program
        .command('workers')
        .description('list the workers (shared by every namespace) with their state: alive, draining, stale or stopped')
        .addOption(new Option('--state <state>', 'only workers in this state').choices([...WORKER_STATES]))
        .addHelpText('after', '\nExamples:\n  openclaw workers\n  openclaw workers --state stale --json'),
    ),
  ).action(async (opts: { state?: Worker['state']; limit?: number; cursor?: string }, cmd: Command) => {
    const { json, print } = contextOf(cmd);
    const { body } = await clientOf(cmd).GET('/v1/workers', {
      params: { query: defined({ state: opts.state, limit: opts.limit, cursor: opts.cursor }) },
    });
    if (json) return print.json(body);
    if (body.items.length === 0) print.out(opts.state ? `no ${opts.state} workers` : 'no workers');
    else print.out(workersTable(body.items, print.color));
    printNextPage(print, 'openclaw workers', body.nextCursor);
  });
}
