/** `openclaw run <workflow>`: start a run; with --wait, follow it live and exit with its outcome. */
import { Option, type Command } from 'commander';
import type { Run } from '../../client/index.js';
import type { ApiClient } from '../client.js';
import { clientOf, contextOf, withUrl } from '../context.js';
import { ExitCodes, SilentExit } from '../errors.js';
import { followRun } from '../follow.js';
import { intArg, readJsonArg } from '../input.js';
import { colorStatus, formatDuration, formatTaskError, inlineJson, type Printer } from '../output.js';
import { describeEvent } from '../run-events.js';

interface RunOptions {
  input?: string;
  version?: number;
  idempotencyKey?: string;
  cache?: 'refresh';
  wait?: boolean;
}

export function registerRun(program: Command): void {
  withUrl(
    program
      .command('run')
      .description('start a run of a workflow and print its id (--wait: follow it to the end)')
      .argument('<workflow>', 'workflow name')
      .option('-i, --input <json>', 'run input: JSON, @file.json, or @- for stdin')
      .option('--version <n>', 'workflow version to run (default: the latest)', intArg(1))
      .option('--idempotency-key <key>', 'starting again with the same key returns the same run')
      .addOption(
        new Option('--cache <mode>', 'refresh: every step with `cache:` executes and replaces its cache entry').choices(['refresh']),
      )
      .option('-w, --wait', 'follow the run live and exit 0 if it succeeded, 1 if it failed or was cancelled')
      .addHelpText(
        'after',
        `
Examples:
  openclaw run fanout-join --wait
  openclaw run order-fulfilment --input '{"amount": 5000}'
  openclaw run etl --input @input.json --idempotency-key nightly-2025-01-01
  openclaw run mlops-train --cache refresh --wait`,
      ),
  ).action(async (workflow: string, opts: RunOptions, cmd: Command) => {
    const { json, print } = contextOf(cmd);
    const client = clientOf(cmd);
    const body = {
      ...(opts.input === undefined ? {} : { input: readJsonArg(opts.input, '--input') }),
      ...(opts.version === undefined ? {} : { version: opts.version }),
      ...(opts.idempotencyKey === undefined ? {} : { idempotencyKey: opts.idempotencyKey }),
      ...(opts.cache === undefined ? {} : { cache: opts.cache }),
    };
    const res = await client.POST('/v1/workflows/{name}/runs', { params: { path: { name: workflow } }, body });
    const run = res.body;
    if (!opts.wait) {
      if (json) print.json(run);
      else {
        print.out(run.id);
        if (res.status === 200) print.err(print.color.dim('(an existing run: same idempotency key)'));
      }
      return;
    }
    if (!json) {
      const again = res.status === 200 ? ' (existing run for this idempotency key)' : '';
      print.out(`run ${run.id} ${print.color.dim(`${run.workflow} v${run.version}`)}${again}`);
    }
    await followRun(client, run.id, (e) => {
      if (json) return;
      const line = describeEvent(e, print.color);
      if (line) print.out(line);
    });
    const final = await fetchRun(client, run.id);
    if (json) print.json(final);
    else printOutcome(print, final);
    if (final.status !== 'succeeded') throw new SilentExit(ExitCodes.failure);
  });
}

async function fetchRun(client: ApiClient, id: string): Promise<Run> {
  return (await client.GET('/v1/runs/{id}', { params: { path: { id } } })).body;
}

/** The last lines of `run --wait`: status, duration, output or error. */
export function printOutcome(print: Printer, run: Run): void {
  const took = formatDuration(run.startedAt ?? run.createdAt, run.finishedAt);
  print.out(`run ${run.id} ${colorStatus(print.color, run.status)}${took ? ` in ${took}` : ''}`);
  if (run.status === 'succeeded') {
    print.out(`output: ${inlineJson(run.output)}`);
    return;
  }
  if (run.error !== null && run.error !== undefined) print.out(`error: ${formatTaskError(run.error)}`);
  for (const s of run.steps) {
    if (s.status === 'dead' || s.status === 'failed') print.out(`  ${s.key}: ${formatTaskError(s.error) || s.status}`);
  }
}
