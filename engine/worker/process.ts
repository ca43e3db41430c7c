import { createEngine, type CreateEngineOptions, type Engine } from '../engine.js';
import type { Notifier } from '../notify/runner.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { Worker } from './worker.js';

export interface WorkerProcessOptions extends CreateEngineOptions {
  slots?: number;
  /** Also run the scheduler loop in this process (it acts only while it holds the leader lock). */
  scheduler?: boolean;
  workerId?: string;
  /** Deliver `notify:` notifications in this process (default: when notifyConcurrency > 0). */
  notifications?: boolean;
}

export interface WorkerProcess {
  engine: Engine;
  worker: Worker;
  scheduler: Scheduler | null;
  notifier: Notifier | null;
  stop(): Promise<void>;
}

/**
 * Runs a worker, the notification deliveries (and optionally a scheduler) until SIGTERM/SIGINT,
 * then drains: stop claiming, finish or hand back leases and deliveries within `drainTimeoutMs`,
 * close the pools, exit 0. This is what `openclaw worker` runs; the recovery tests run it as a
 * child process and kill it.
 */
export async function runWorkerProcess(options: WorkerProcessOptions = {}): Promise<WorkerProcess> {
  const { slots, scheduler: withScheduler, workerId, notifications, ...engineOptions } = options;
  const engine = await createEngine(engineOptions);
  const worker = engine.createWorker({ ...(slots === undefined ? {} : { slots }), ...(workerId === undefined ? {} : { id: workerId }) });
  await worker.start();
  const notifier = (notifications ?? engine.config.notifyConcurrency > 0) ? engine.createNotifier() : null;
  try {
    await notifier?.start();
  } catch (err) {
    await engine.close();
    throw err;
  }
  const scheduler = withScheduler ? engine.createScheduler() : null;
  scheduler?.start();
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      engine.log.info('signal received: draining');
      // Both drain within drainTimeoutMs; neither needs the other.
      await Promise.all([worker.stop(), notifier?.stop()]);
      await scheduler?.stop();
      await engine.close();
    })();
    return stopping;
  };
  const onSignal = (): void => {
    void stop().then(
      () => process.exit(0),
      (err: unknown) => {
        engine.log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return { engine, worker, scheduler, notifier, stop };
}
