#!/usr/bin/env node
/** The `openclaw` executable: runs the command tree, prints failures, sets the exit code. */
import { CommanderError } from 'commander';
import { CliError, ExitCodes, SilentExit } from './errors.js';
import { buildProgram } from './program.js';

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.exit(report(err));
  }
}

/** Prints a failure on stderr and returns the exit code for it. */
function report(err: unknown): number {
  if (err instanceof SilentExit) return err.exitCode;
  if (err instanceof CommanderError) {
    // commander already printed the message (or the help / version).
    return err.exitCode === 0 ? ExitCodes.ok : ExitCodes.usage;
  }
  if (err instanceof CliError) {
    process.stderr.write(`error: ${err.message}\n`);
    for (const line of err.lines) process.stderr.write(`${line}\n`);
    return err.exitCode;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  process.stderr.write(`error: ${e.message}\n`);
  if (process.env.OPENCLAW_DEBUG) process.stderr.write(`${e.stack ?? ''}\n`);
  return ExitCodes.failure;
}

await main(process.argv);
