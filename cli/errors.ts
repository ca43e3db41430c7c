/**
 * The CLI's failures and exit codes. Commands throw these; `main.ts` prints them (one
 * `error: ...` line on stderr, plus detail lines) and exits with the code they carry.
 */

export const ExitCodes = {
  ok: 0,
  /** The operation failed: an API error, an invalid spec, a run that failed, a server that could not start. */
  failure: 1,
  /** Bad command line: unknown flag, missing argument, input that is not JSON. */
  usage: 2,
  /** The API could not be reached at all (nothing listening, DNS, timeout). */
  unreachable: 3,
} as const;

export type ExitCode = (typeof ExitCodes)[keyof typeof ExitCodes];

export class CliError extends Error {
  readonly exitCode: ExitCode;
  /** Extra lines printed under the `error:` line (problems, hints). */
  readonly lines: string[];

  constructor(message: string, options: { exitCode?: ExitCode; lines?: string[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.exitCode = options.exitCode ?? ExitCodes.failure;
    this.lines = options.lines ?? [];
  }
}

/** A bad command line (exit 2). */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, { exitCode: ExitCodes.usage });
    this.name = 'UsageError';
  }
}

/**
 * Ends the command with an exit code and no `error:` line: the command already said what
 * happened (for example `run --wait` printed that the run failed).
 */
export class SilentExit extends Error {
  readonly exitCode: ExitCode;
  constructor(exitCode: ExitCode) {
    super(`exit ${exitCode}`);
    this.name = 'SilentExit';
    this.exitCode = exitCode;
  }
}
