/** `openclaw status <run-id>`: one run and its steps. */
import type { Command } from 'commander';
import type { Run } from '../../client/index.js';
import { clientOf, contextOf, withUrl } from '../context.js';
import { colorStatus, formatDuration, formatTaskError, formatTime, inlineJson, table, type Colors } from '../output.js';

/** The run's fields, one per line, then a table of its steps. */
export function formatRun(run: Run, c: Colors): string {
  const took = formatDuration(run.startedAt ?? run.createdAt, run.finishedAt);
  const lines = [
    `run       ${run.id}`,
    `workflow  ${run.workflow} v${run.version}`,
    `status    ${colorStatus(c, run.status)}${took ? ` (${took})` : ''}`,
    `created   ${formatTime(run.createdAt)}`,
    `started   ${formatTime(run.startedAt)}`,
    `finished  ${formatTime(run.finishedAt)}`,
    `input     ${inlineJson(run.input)}`,
  ];
  if (run.status === 'succeeded' || (run.output !== null && run.output !== undefined)) lines.push(`output    ${inlineJson(run.output)}`);
  if (run.error !== null && run.error !== undefined) lines.push(`error     ${formatTaskError(run.error)}`);
  const steps = run.steps;
  if (steps.length > 0) {
    lines.push('');
    lines.push(
      table(
        ['STEP', 'STATUS', 'ATTEMPT', 'ERROR'],
        steps.map((s) => [s.key, colorStatus(c, s.status), String(s.attempt), formatTaskError(s.error)]),
      ),
    );
  }
  return lines.join('\n');
}

export function registerStatus(program: Command): void {
  withUrl(
    program
      .command('status')
      .description('show a run: status, input, output, error, and every step')
      .argument('<run-id>', 'run id')
      .addHelpText('after', '\nExample:\n  openclaw status 0193a0f2-...'),
  ).action(async (runId: string, _opts: unknown, cmd: Command) => {
    const { json, print } = contextOf(cmd);
    const { body } = await clientOf(cmd).GET('/v1/runs/{id}', { params: { path: { id: runId } } });
    if (json) print.json(body);
    else print.out(formatRun(body, print.color));
  });
}
