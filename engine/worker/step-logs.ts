/**
 * Step logs (what a task prints) written in batches: every sink appends to one pending list, and
 * one multi-row INSERT writes whatever is pending — on a short timer while tasks run (so logs can
 * be followed live) and before a task's outcome is reported (so a finished step's logs are
 * complete when its completion is visible). Per attempt, lines past `capBytes` are dropped with
 * one marker line that names the limit.
 */
import type pg from 'pg';
import type { StepLogSink, StepLogStream } from '../executors/types.js';
import type { Logger } from '../telemetry/logger.js';

interface Line {
  runId: string;
  stepKey: string;
  attempt: number;
  stream: StepLogStream;
  message: string;
}

/** Pending lines kept across failed writes (e.g. while PostgreSQL restarts) before dropping. */
const MAX_PENDING = 50_000;

export class StepLogWriter {
  private pending: Line[] = [];
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly log: Logger,
    private readonly capBytes: number,
    private readonly flushEveryMs = 500,
  ) {}

  /** A sink for one attempt of one step. */
  sink(runId: string, stepKey: string, attempt: number): StepLogSink & { readonly written: number } {
    let bytes = 0;
    let truncated = false;
    let written = 0;
    const push = (message: string, stream: StepLogStream): void => {
      this.pending.push({ runId, stepKey, attempt, stream, message });
      written++;
      this.schedule();
    };
    return {
      get written() {
        return written;
      },
      write: (message: string, stream: StepLogStream = 'log') => {
        if (truncated) return;
        const size = Buffer.byteLength(message);
        if (bytes + size > this.capBytes) {
          truncated = true;
          push(
            `[log truncated: this attempt wrote more than ${this.capBytes} bytes; raise OPENCLAW_MAX_STEP_LOG_BYTES to keep more]`,
            'log',
          );
          return;
        }
        bytes += size;
        push(message.replaceAll('\u0000', ''), stream);
      },
    };
  }

  private schedule(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.flushEveryMs);
  }

  /** Writes everything pending (serialised with earlier writes). Never throws. */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.writeBatch());
    return this.writing;
  }

  private async writeBatch(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      await this.pool.query(
        `INSERT INTO openclaw.step_log (run_id, step_key, attempt, stream, message)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[])`,
        [
          batch.map((l) => l.runId),
          batch.map((l) => l.stepKey),
          batch.map((l) => l.attempt),
          batch.map((l) => l.stream),
          batch.map((l) => l.message),
        ],
      );
    } catch (err) {
      const keep = this.pending.length + batch.length <= MAX_PENDING;
      this.log.warn(
        { err, lines: batch.length, kept: keep },
        keep ? 'writing step logs failed; will retry' : 'writing step logs failed; lines dropped',
      );
      if (keep) this.pending = batch.concat(this.pending);
      this.schedule();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
    // Lines that could not be written stay pending; a later write (after a restart) retries them.
    this.stopped = false;
  }
}
