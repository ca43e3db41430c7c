/** Commands that act on a run: `cancel`, `retry`, `signal`; and `replay` of a dead letter. */
import type { Command } from 'commander';
import { clientOf, contextOf, withUrl } from '../context.js';
import { readJsonArg } from '../input.js';
import { colorStatus } from '../output.js';

export function registerControl(program: Command): void {
  withUrl(program.command('cancel').description('cancel a run (running tasks are told to stop)').argument('<run-id>', 'run id')).action(
    async (runId: string, _opts: unknown, cmd: Command) => {
      const { json, print } = contextOf(cmd);
      const { body } = await clientOf(cmd).POST('/v1/runs/{id}/cancel', { params: { path: { id: runId } } });
      if (json) print.json(body);
      else print.out(`cancel requested for run ${runId} (status: ${colorStatus(print.color, body.status)})`);
    },
  );

  withUrl(
    program
      .command('retry')
      .description('run the failed, dead or cancelled steps of a run again (succeeded outputs are kept)')
      .argument('<run-id>', 'run id'),
  ).action(async (runId: string, _opts: unknown, cmd: Command) => {
    const { json, print } = contextOf(cmd);
    const { body } = await clientOf(cmd).POST('/v1/runs/{id}/retry', { params: { path: { id: runId } } });
    if (json) print.json(body);
    else print.out(`retrying run ${runId} (status: ${colorStatus(print.color, body.status)})`);
  });

  withUrl(
    program
      .command('signal')
      .description('deliver a signal to a run (to a `wait: {signal: NAME}` state)')
      .argument('<run-id>', 'run id')
      .argument('<name>', 'signal name')
      .option('-p, --payload <json>', 'signal payload: JSON, @file.json, or @- for stdin')
      .addHelpText('after', `\nExample:\n  openclaw signal 0193a0f2-... approve --payload '{"by": "ada"}'`),
  ).action(async (runId: string, name: string, opts: { payload?: string }, cmd: Command) => {
    const { json, print } = contextOf(cmd);
    const payload = opts.payload === undefined ? undefined : readJsonArg(opts.payload, '--payload');
    const { body } = await clientOf(cmd).POST('/v1/runs/{id}/signals/{name}', {
      params: { path: { id: runId, name } },
      body: payload === undefined ? {} : { payload },
    });
    if (json) return print.json(body);
    const pending = body.delivered ? '' : ' (no step is waiting for it yet: it is kept for the run)';
    print.out(`signal ${name} sent to run ${runId}${pending}`);
  });

  withUrl(
    program
      .command('replay')
      .description('queue a dead-lettered step again with a fresh attempt budget')
      .argument('<dead-letter-id>', 'dead letter id (see `openclaw dead-letters`)'),
  ).action(async (id: string, _opts: unknown, cmd: Command) => {
    const { json, print } = contextOf(cmd);
    const { body } = await clientOf(cmd).POST('/v1/dead-letters/{id}/replay', { params: { path: { id } } });
    if (json) return print.json(body);
    print.out(`replayed dead letter ${id} (run ${body.runId})`);
  });
}
