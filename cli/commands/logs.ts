/** `openclaw logs <run-id> <step-key>`: a step's log lines (container stdout/stderr, wasm and task log lines). */
import type { Command } from 'commander';
import type { StepLogLine } from '../../client/index.js';
import { defined } from '../client.js';
import { clientOf, contextOf, withUrl } from '../context.js';
import { intArg } from '../input.js';
import { formatTime } from '../output.js';

export function registerLogs(program: Command): void {
  withUrl(
    program
      .command('logs')
      .description("print a step's logs, oldest first")
      .argument('<run-id>', 'run id')
      .argument('<step-key>', 'step key as `openclaw status` shows it, e.g. load or score[2]')
      .option('--attempt <n>', 'only this attempt', intArg(1)),
  ).action(async (runId: string, stepKey: string, opts: { attempt?: number }, cmd: Command) => {
    const { json, print } = contextOf(cmd);
    const client = clientOf(cmd);
    const items: StepLogLine[] = [];
    let cursor: string | undefined;
    do {
      const { body } = await client.GET('/v1/runs/{id}/steps/{key}/logs', {
        params: { path: { id: runId, key: stepKey }, query: defined({ attempt: opts.attempt, cursor }) },
      });
      items.push(...body.items);
      cursor = body.nextCursor ?? undefined;
    } while (cursor);
    if (json) return print.json({ items });
    if (items.length === 0) return print.err(print.color.dim('no log lines for this step'));
    for (const l of items) {
      const prefix = print.color.dim(`${formatTime(l.createdAt)} #${l.attempt} ${l.stream}`.trimEnd());
      print.out(`${prefix}  ${l.message.replace(/\n$/, '')}`);
    }
  });
}
