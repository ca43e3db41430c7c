/**
 * Wake-ups for the claim loop: `wake()` from inside the worker (a slot freed up, steps were made
 * ready) and from PostgreSQL NOTIFY on a LISTEN connection (`openclaw_ready`), and `waitForWake()`
 * for an idle loop. NOTIFY only shortens the wait: the loop also polls, so a lost notification
 * (or a lost connection) costs at most one poll interval. `openclaw_cancel` notifications are
 * handed to `onCancel` with the run id.
 */
import pg from 'pg';
import type { Logger } from '../telemetry/logger.js';
import { CHANNELS } from '../vocabulary/channels.js';

export interface WakeUpOptions {
  databaseUrl: string;
  log: Logger;
  /** While false, the LISTEN connection is not (re)opened. */
  isRunning: () => boolean;
  /** A run was cancelled: abort its tasks on this worker. */
  onCancel: (runId: string) => void;
}

export class WakeUps {
  private wakeResolve: (() => void) | null = null;
  private wakePending = false;
  private listener: pg.Client | null = null;
  private listenerRetry: NodeJS.Timeout | null = null;

  constructor(private readonly options: WakeUpOptions) {}

  /** Wakes the claim loop; a wake-up while the loop is busy (mid-claim) is kept, never lost. */
  wake(): void {
    const r = this.wakeResolve;
    this.wakeResolve = null;
    if (r) r();
    else this.wakePending = true;
  }

  /** Resolves on the next wake-up (or at once for one that came while nobody waited), or after `ms`. */
  waitForWake(ms: number): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeResolve = null;
        resolve();
      }, ms);
      this.wakeResolve = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /** LISTEN connection for wake-ups and cancels; polling covers any gap, and it reconnects until stopped. */
  async listen(): Promise<void> {
    const { log } = this.options;
    const client = new pg.Client({ connectionString: this.options.databaseUrl, application_name: 'openclaw-listener' });
    const lost = (err?: Error): void => {
      if (this.listener !== client) return;
      this.listener = null;
      log.warn({ err }, 'listener connection lost; polling until it is back');
      this.reconnectLater();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (msg) => {
      if (msg.channel === CHANNELS.cancel) {
        if (msg.payload) this.options.onCancel(msg.payload);
      } else {
        this.wake();
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNELS.ready}; LISTEN ${CHANNELS.cancel}`);
      if (!this.options.isRunning()) return void (await client.end());
      this.listener = client;
      this.wake(); // notifications sent while we were not listening are lost: look once now
    } catch (err) {
      log.warn({ err }, 'could not LISTEN; polling, and trying again');
      await client.end().catch(() => undefined);
      this.reconnectLater();
    }
  }

  /** Closes the LISTEN connection and cancels a pending reconnect. */
  async close(): Promise<void> {
    if (this.listenerRetry) clearTimeout(this.listenerRetry);
    this.listenerRetry = null;
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => undefined);
  }

  private reconnectLater(): void {
    if (!this.options.isRunning() || this.listenerRetry) return;
    this.listenerRetry = setTimeout(() => {
      this.listenerRetry = null;
      void this.listen();
    }, 1000);
    this.listenerRetry.unref();
  }
}
