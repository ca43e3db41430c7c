/**
 * Start-up and shutdown of the long-running commands (`dev`, `server`). Each started part
 * registers how to stop it; SIGINT/SIGTERM/SIGHUP stop the parts in reverse order (each within a
 * bounded time) and exit 0; a second signal exits at once. A signal that arrives during start-up
 * is honoured at the next `checkpoint()`.
 */
import { setTimeout as sleep } from 'node:timers/promises';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Thrown by `checkpoint()` when a signal asked to stop during start-up. */
export class StopRequested extends Error {
  constructor(signal: string) {
    super(`stopped by ${signal} during start-up`);
    this.name = 'StopRequested';
  }
}

interface Part {
  name: string;
  stop: () => Promise<void>;
  timeoutMs: number;
}

export interface LifecycleOptions {
  /** Progress lines ("stopping ...") go here. */
  say: (line: string) => void;
  /** Problems while stopping go here. */
  warn: (line: string) => void;
  exit?: (code: number) => never;
}

export class Lifecycle {
  private readonly parts: Part[] = [];
  private requested: string | null = null;
  private running = false;
  private stopping: Promise<void> | null = null;
  private readonly exit: (code: number) => never;
  private readonly onSignal = (signal: NodeJS.Signals): void => this.signal(signal);

  constructor(private readonly options: LifecycleOptions) {
    this.exit = options.exit ?? ((code) => process.exit(code));
  }

  /** Routes the stop signals to this lifecycle. */
  installSignalHandlers(): void {
    for (const s of SIGNALS) process.on(s, this.onSignal);
  }

  /** Registers how to stop a part that has just started; parts stop in reverse order. */
  add(name: string, stop: () => Promise<void>, timeoutMs = 15_000): void {
    this.parts.push({ name, stop, timeoutMs });
  }

  /** Throws `StopRequested` when a signal arrived while starting. */
  checkpoint(): void {
    if (this.requested) throw new StopRequested(this.requested);
  }

  /** Start-up is complete: from now on a signal stops everything and exits 0. */
  markRunning(): void {
    this.checkpoint();
    this.running = true;
  }

  private signal(signal: string): void {
    if (this.requested) {
      this.options.warn(`${signal} again: exiting now`);
      this.exit(130);
    }
    this.requested = signal;
    this.options.say(`${signal} received: stopping (again to force)`);
    if (this.running) void this.stopAndExit(0);
  }

  /** Stops every part (reverse order, each bounded by its timeout), then exits with `code`. */
  async stopAndExit(code: number): Promise<never> {
    await this.stop();
    this.options.say('stopped');
    return this.exit(code);
  }

  /** Stops every registered part once; errors and timeouts are reported, and the next part still stops. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const part of this.parts.splice(0).reverse()) {
        const timeout = sleep(part.timeoutMs, 'timeout' as const, { ref: false });
        try {
          const outcome = await Promise.race([part.stop().then(() => 'done' as const), timeout]);
          if (outcome === 'timeout') this.options.warn(`${part.name} did not stop within ${part.timeoutMs / 1000}s; moving on`);
        } catch (err) {
          this.options.warn(`error while stopping ${part.name}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    })();
    return this.stopping;
  }
}
