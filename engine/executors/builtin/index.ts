import { NonRetryableError, TaskError } from '../../errors.js';
import type { Executor, TaskInvocation } from '../types.js';

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function field(input: unknown, name: string): unknown {
  return input !== null && typeof input === 'object' ? (input as Record<string, unknown>)[name] : undefined;
}

/**
 * The built-in tasks of spec-format.md:
 * - `noop`: output null;
 * - `sleep` (`with: {ms}`): holds the worker slot for ms, output null;
 * - `fail` (`with: {error, message, untilAttempt}`): fails attempts < untilAttempt (always without it),
 *   then succeeds with output null;
 * - `echo`: output = its evaluated `with`;
 * - `log` (`with: {message, stream?}`): writes `message` (a string, or JSON) to the step's log,
 *   output = `{logged: <bytes>}`.
 * `sleep` and `fail` also note what they do in the step's log.
 */
export const builtinExecutor: Executor = {
  kinds: ['builtin'],
  async execute(inv: TaskInvocation): Promise<unknown> {
    if (inv.task.kind !== 'builtin') throw new NonRetryableError('UnsupportedTask', `builtin executor cannot run ${inv.task.kind}`);
    switch (inv.task.run) {
      case 'noop':
        return null;
      case 'echo':
        return inv.input ?? null;
      case 'sleep': {
        const ms = Number(field(inv.input, 'ms') ?? 0);
        if (!Number.isFinite(ms) || ms < 0) throw new NonRetryableError('ValidationError', 'sleep: with.ms must be a non-negative number');
        inv.stepLog.write(`sleeping ${ms} ms`);
        await abortableSleep(ms, inv.signal);
        return null;
      }
      case 'fail': {
        const until = field(inv.input, 'untilAttempt');
        if (typeof until === 'number' && inv.attempt >= until) {
          inv.stepLog.write(`attempt ${inv.attempt}: succeeding (untilAttempt ${until})`);
          return null;
        }
        const name = String(field(inv.input, 'error') ?? 'Error');
        const message = String(field(inv.input, 'message') ?? 'failed on purpose');
        inv.stepLog.write(`attempt ${inv.attempt}: failing with ${name}: ${message}`, 'stderr');
        throw new TaskError(name, message);
      }
      case 'log': {
        const raw = field(inv.input, 'message');
        const message = typeof raw === 'string' ? raw : JSON.stringify(raw ?? null);
        const stream = field(inv.input, 'stream');
        inv.stepLog.write(message, stream === 'stdout' || stream === 'stderr' ? stream : 'log');
        return { logged: Buffer.byteLength(message) };
      }
    }
  },
};
