/**
 * Prometheus metrics (prom-client): one registry per Engine, so several engines in one process
 * (tests, a library user) never collide, plus one process-wide registry for prom-client's process
 * and Node.js metrics (they describe the process, not an engine; collected once per process).
 * docs/operations.md ("Metrics") lists every family, its labels and where it is counted.
 *
 * Counters are exact across processes: each process counts what IT committed, after COMMIT
 * (transition transactions count through `TxMetrics`, core/transition-tx.ts), and Prometheus sums
 * the processes. The gauges that need the database (`openclaw_steps_ready`, `openclaw_runs_active`,
 * `openclaw_workers`, `openclaw_worker_slots`) are set by the scheduler leader from a bounded
 * sample every `metricsSampleMs` (scheduler/gauge-sampler.ts); other processes export no series
 * for them. Scraping reads memory only: it never queries the database.
 */
import type pg from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What api/ and cli/ see of an engine's metrics: the exposition text, and the one count made outside the engine. */
export interface MetricsEndpoint {
  /** The Content-Type of `text()` (Prometheus text exposition 0.0.4). */
  readonly contentType: string;
  /** This process's metrics as Prometheus text. Reads memory only: no database query. */
  text(): Promise<string>;
  /** Counts a webhook delivery refused before it reached the engine (the API's per-hook rate limit). */
  webhookRateLimited(): void;
}

/** The outcome of one step attempt (`openclaw_step_attempts_total{outcome}`). */
export type AttemptOutcome = 'succeeded' | 'cached' | 'failed' | 'dead' | 'lease_expired' | 'cancelled' | 'rejected';

/** How a webhook delivery ended (`openclaw_webhook_deliveries_total{result}`). */
export type WebhookResult =
  'accepted' | 'duplicate' | 'unauthorized' | 'not_found' | 'conflict' | 'invalid' | 'too_large' | 'rate_limited' | 'error';

let processRegistry: Registry | null = null;

/** prom-client's process and Node.js metrics, registered once per process (they set up observers). */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

const RUN_SECONDS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 21_600, 86_400];
const ATTEMPT_SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800];
const WAIT_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const LATENESS_SECONDS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60];

export class EngineMetrics implements MetricsEndpoint {
  readonly registry = new Registry();
  readonly runsStarted: Counter<'namespace' | 'workflow' | 'trigger'>;
  readonly runsFinished: Counter<'namespace' | 'workflow' | 'status'>;
  readonly runDuration: Histogram<'namespace' | 'workflow' | 'status'>;
  readonly stepAttempts: Counter<'namespace' | 'workflow' | 'kind' | 'outcome'>;
  readonly attemptDuration: Histogram<'kind'>;
  readonly queueWait: Histogram;
  readonly deadLetters: Counter;
  readonly leaseExpirations: Counter;
  readonly livenessRepairs: Counter;
  readonly artifactObjectsSwept: Counter;
  readonly cronLateness: Histogram;
  readonly cronTicks: Counter<'result'>;
  readonly webhookDeliveries: Counter<'result'>;
  /** Leader-sampled (scheduler/gauge-sampler.ts). */
  readonly stepsReady: Gauge<'namespace'>;
  readonly oldestReady: Gauge<'namespace'>;
  readonly runsActive: Gauge<'namespace' | 'status'>;
  readonly workers: Gauge<'state'>;
  readonly workerSlots: Gauge<'state'>;
  readonly sampleSeconds: Gauge;
  readonly schedulerLeader: Gauge;

  constructor(pool: pg.Pool) {
    const registers = [this.registry];
    this.runsStarted = new Counter({
      name: 'openclaw_runs_started_total',
      help: 'Runs created (or resumed by retry) and committed by this process, by trigger: api, cron, webhook, parent, retry.',
      labelNames: ['namespace', 'workflow', 'trigger'],
      registers,
    });
    this.runsFinished = new Counter({
      name: 'openclaw_runs_finished_total',
      help: 'Runs that reached succeeded, failed or cancelled in a transaction this process committed.',
      labelNames: ['namespace', 'workflow', 'status'],
      registers,
    });
    this.runDuration = new Histogram({
      name: 'openclaw_run_duration_seconds',
      help: 'Run start (started_at, else created_at) to its end, database clock.',
      labelNames: ['namespace', 'workflow', 'status'],
      buckets: RUN_SECONDS,
      registers,
    });
    this.stepAttempts = new Counter({
      name: 'openclaw_step_attempts_total',
      help: 'Ends of task attempts committed by this process: succeeded, failed (will retry), dead, lease_expired, cancelled, rejected (late result dropped).',
      labelNames: ['namespace', 'workflow', 'kind', 'outcome'],
      registers,
    });
    this.attemptDuration = new Histogram({
      name: 'openclaw_step_attempt_duration_seconds',
      help: 'Claim to accepted completion of a task attempt (succeeded, failed or dead), database clock; kind is the executor.',
      labelNames: ['kind'],
      buckets: ATTEMPT_SECONDS,
      registers,
    });
    this.queueWait = new Histogram({
      name: 'openclaw_step_queue_wait_seconds',
      help: 'A step ready (or due after its backoff) until a worker of this process claimed it (schedule-to-start), database clock.',
      buckets: WAIT_SECONDS,
      registers,
    });
    this.deadLetters = new Counter({ name: 'openclaw_dead_letters_total', help: 'Dead letters written by this process.', registers });
    this.leaseExpirations = new Counter({
      name: 'openclaw_lease_expirations_total',
      help: 'Expired leases reclaimed by this process (scheduler leader): lost workers, requeued or dead at retry.maxWorkerLosses.',
      registers,
    });
    this.livenessRepairs = new Counter({
      name: 'openclaw_liveness_repairs_total',
      help: 'Runs the liveness check found with no way forward and repaired (or failed as Stalled).',
      registers,
    });
    this.artifactObjectsSwept = new Counter({
      name: 'openclaw_artifact_objects_swept_total',
      help: 'Artifact store objects nothing referenced, deleted by this process (scheduler leader): zombie and failed uploads, objects of runs deleted by retention.',
      registers,
    });
    this.cronLateness = new Histogram({
      name: 'openclaw_cron_fire_lateness_seconds',
      help: 'Cron tick time to the start of the transaction that fired it, database clock.',
      buckets: LATENESS_SECONDS,
      registers,
    });
    this.cronTicks = new Counter({
      name: 'openclaw_cron_ticks_total',
      help: 'Cron ticks handled by this process: fired (a run), failed (recorded with an error), skipped (catch-up policy or bound).',
      labelNames: ['result'],
      registers,
    });
    this.webhookDeliveries = new Counter({
      name: 'openclaw_webhook_deliveries_total',
      help: 'Webhook deliveries answered by this process, by result.',
      labelNames: ['result'],
      registers,
    });
    this.stepsReady = new Gauge({
      name: 'openclaw_steps_ready',
      help: 'Steps claimable now (ready, or retrying and due), per namespace; sampled by the scheduler leader only.',
      labelNames: ['namespace'],
      registers,
    });
    this.oldestReady = new Gauge({
      name: 'openclaw_steps_ready_oldest_seconds',
      help: 'How long the oldest claimable step has waited (database clock), per namespace; sampled by the scheduler leader only.',
      labelNames: ['namespace'],
      registers,
    });
    this.runsActive = new Gauge({
      name: 'openclaw_runs_active',
      help: 'Runs queued, running or waiting, per namespace and status; sampled by the scheduler leader only.',
      labelNames: ['namespace', 'status'],
      registers,
    });
    this.workers = new Gauge({
      name: 'openclaw_workers',
      help: 'Worker rows by state (alive, draining, stale, stopped); sampled by the scheduler leader only.',
      labelNames: ['state'],
      registers,
    });
    this.workerSlots = new Gauge({
      name: 'openclaw_worker_slots',
      help: 'Slots of alive and draining workers: busy or idle; sampled by the scheduler leader only.',
      labelNames: ['state'],
      registers,
    });
    this.sampleSeconds = new Gauge({
      name: 'openclaw_metrics_sample_duration_seconds',
      help: 'How long the last sample of the database gauges took (scheduler leader only).',
      registers,
    });
    this.schedulerLeader = new Gauge({
      name: 'openclaw_scheduler_leader',
      help: '1 while a scheduler of this process holds the leader lock, else 0.',
      registers,
    });
    this.schedulerLeader.set(0);
    const poolGauge = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    };
    poolGauge('openclaw_pg_pool_connections', 'Connections in the engine pool of this process (busy and idle).', () => pool.totalCount);
    poolGauge('openclaw_pg_pool_idle', 'Idle connections in the engine pool of this process.', () => pool.idleCount);
    poolGauge('openclaw_pg_pool_waiting', 'Queries waiting for a connection of the engine pool of this process.', () => pool.waitingCount);
    poolGauge('openclaw_pg_pool_max', 'The engine pool size (OPENCLAW_POOL_SIZE).', () => pool.options.max ?? 10);
    processMetrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async text(): Promise<string> {
    return (await processMetrics().metrics()) + (await this.registry.metrics());
  }

  webhookRateLimited(): void {
    this.webhookDeliveries.inc({ result: 'rate_limited' });
  }
}
