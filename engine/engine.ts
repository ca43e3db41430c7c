import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import { installBackgroundSchema } from './background.js';
import { loadConfig, type EngineConfig } from './config.js';
import type { EngineSettings } from './settings.js';
import { assertSchemaNotNewer, migrate, schemaIsCurrent } from './db/migrate.js';
import { createPool } from './db/pool.js';
import type { DB as Database } from './db/types.generated.js';
import { defaultExecutors } from './default-executors.js';
import { rotateSecrets } from './secrets/store.js';
import { EngineError } from './errors.js';
import { ApiKeys } from './auth/api-keys.js';
import { AuditLog } from './audit/audit-log.js';
import type { Executor } from './executors/types.js';
import type { Page } from './db/keyset-page.js';
import { queueStats, type QueueStats } from './fleet/stats.js';
import { listWorkers, type ListWorkersOptions, type WorkerView } from './fleet/workers.js';
import { Notifier, type NotifierOptions } from './notify/runner.js';
import { GraphCache } from './core/graph-cache.js';
import { NamespaceScope, type ScopeParts } from './namespace-scope.js';
import { RunStarter } from './runs/start.js';
import type { EngineCore } from './core/engine-core.js';
import { Scheduler, type SchedulerOptions } from './scheduler/scheduler.js';
import { NAMESPACE_PATTERN, type NamespaceGrant } from './vocabulary/roles.js';
import { createLogger, type Logger } from './telemetry/logger.js';
import { EngineMetrics, type MetricsEndpoint } from './telemetry/metrics.js';
import { trackHandle } from './telemetry/lifetimes.js';
import type { Tracing } from './telemetry/trace-context.js';
import { ArtifactService, openArtifactStore } from './artifacts/service.js';
import { LargeJson } from './artifacts/large-json.js';
import { startTracing, tracingSettings } from './telemetry/tracing.js';
import { Worker, type WorkerOptions } from './worker/worker.js';

export interface CreateEngineOptions extends Partial<EngineSettings> {
  logger?: Logger;
  /** Apply pending migrations (and graphile-worker's) at start. Default false: only check. */
  migrate?: boolean;
  /** The non-built-in executors given to every worker this engine creates (default: wasm, container, http; see default-executors.ts). */
  executors?: Executor[];
  /**
   * Where the tracing configuration is read from: the standard `OTEL_*` variables (default
   * `process.env`; docs/operations.md, "Traces"). Tests and embedders pass their own.
   */
  otelEnv?: Readonly<Record<string, string | undefined>>;
}

/** What `engine.config` shows: the validated configuration without the master keys. */
export type EngineConfigView = Readonly<Omit<EngineConfig, 'masterKeys'>>;

let coreOf: (engine: Engine) => EngineCore;

/**
 * The engine's one public object: register specs, start and control runs, read views, and create
 * workers and schedulers. api/ and cli/ use only this (via engine/index.ts). Its pool and master
 * keys stay inside: nothing public hands them out.
 *
 * Namespaces: the engine is the scope of its default namespace (`config.namespace`, env
 * OPENCLAW_NAMESPACE): `registerWorkflow`, `startRun`, `queries`, ... act there (see
 * namespace-scope.ts). `inNamespace(ns)` gives the same operations acting in another namespace.
 * Workers, schedulers and notifiers serve every namespace: a run's tasks, child runs and cron
 * ticks act in the run's (or the schedule's) own namespace.
 */
export class Engine extends NamespaceScope {
  readonly #core: EngineCore;
  readonly #parts: ScopeParts;
  readonly #config: EngineConfigView;
  /** API keys: create, list, revoke, authenticate, and the first admin key (docs/security.md). */
  readonly apiKeys: ApiKeys;
  /** The audit log: `record()` (batched, never waits), `list()`, `flush()` (docs/security.md). */
  readonly audit: AuditLog;
  /**
   * This engine's Prometheus metrics: `text()` for `GET /metrics` and `openclaw worker
   * --metrics-port` (docs/operations.md, "Metrics"). Reads memory only, never the database.
   */
  readonly metrics: MetricsEndpoint;
  private readonly executors: Executor[];
  private readonly owned: Array<{ stop(): Promise<void> }> = [];
  private readonly untrack: () => void;

  static {
    coreOf = (engine) => engine.#core;
  }

  /** Use `createEngine()`: it validates the configuration and checks the database first. */
  constructor(config: EngineConfig, pool: pg.Pool, log: Logger, executors: Executor[] | undefined, tracing: Tracing | null = null) {
    const artifacts = new ArtifactService(pool, openArtifactStore(config), config, log);
    const core: EngineCore = {
      pool,
      config,
      log,
      graphs: new GraphCache(),
      keyring: config.masterKeys,
      metrics: new EngineMetrics(pool),
      tracing,
      artifacts,
      json: new LargeJson(artifacts, pool, config),
    };
    const lender = { connect: () => pool.connect(), end: async () => {} };
    const parts: ScopeParts = {
      core,
      starter: new RunStarter(core),
      db: new Kysely<Database>({ dialect: new PostgresDialect({ pool: lender }) }),
    };
    super(parts, config.namespace);
    const { masterKeys: _masterKeys, ...visible } = config;
    this.#config = Object.freeze(visible);
    this.#core = core;
    this.#parts = parts;
    this.apiKeys = new ApiKeys(this.#core);
    this.audit = new AuditLog(this.#core);
    this.metrics = core.metrics;
    this.executors = executors ?? defaultExecutors(this.#core);
    this.untrack = trackHandle('engine');
  }

  /** The validated configuration (without the master keys). */
  get config(): EngineConfigView {
    return this.#config;
  }
  get log(): Logger {
    return this.#core.log;
  }

  /**
   * The operations of namespace `ns` (this engine itself for its default namespace). What belongs
   * to another namespace is not found there. Throws `invalid_request` for a name that is not a
   * namespace (lower-case letters, digits and -, at most 63 characters).
   */
  inNamespace(ns: string): NamespaceScope {
    if (ns === this.namespace) return this;
    if (!NAMESPACE_PATTERN.test(ns)) {
      throw new EngineError('invalid_request', `namespace ${JSON.stringify(ns)} is not valid: it must match ${NAMESPACE_PATTERN.source}`, {
        details: { field: 'namespace' },
      });
    }
    return new NamespaceScope(this.#parts, ns);
  }

  /** Re-wraps every secret not yet under the current master key, in every namespace (see docs/secrets.md). */
  rotateSecretKey(): Promise<{ rewrapped: number; unreadable: string[] }> {
    return rotateSecrets(this.#core, this.#core.keyring);
  }
  /** True when this process can store and resolve secrets (it has OPENCLAW_SECRET_KEY). */
  get secretsAvailable(): boolean {
    return this.#core.keyring.current !== null;
  }

  /**
   * The worker fleet: every namespace's, since workers run any namespace's steps. Each with its
   * host, version, slots, busy slots, heartbeat and state (alive, draining, stale, stopped: judged
   * by the database clock); see fleet/workers.ts.
   */
  listWorkers(options: ListWorkersOptions = {}): Promise<Page<WorkerView>> {
    return listWorkers(this.#core, options);
  }
  /** Queue depth, oldest due step, running steps and active runs by namespace (`*`: every namespace with active runs); see fleet/stats.ts. */
  queueStats(namespaces: NamespaceGrant = '*'): Promise<QueueStats> {
    return queueStats(this.#core, namespaces);
  }

  /** Creates a worker (not started). It is stopped by `close()` if still running. */
  createWorker(options: WorkerOptions = {}): Worker {
    const w = new Worker(this.#core, { ...options, executors: [...this.executors, ...(options.executors ?? [])] });
    this.owned.push(w);
    return w;
  }

  /** Creates a scheduler loop (not started). It is stopped by `close()`. */
  createScheduler(options: SchedulerOptions = {}): Scheduler {
    const s = new Scheduler(this.#core, options);
    this.owned.push(s);
    return s;
  }

  /**
   * Creates the delivery loop for `notify:` notifications (not started; graphile-worker jobs). It is
   * stopped by `close()`. Worker processes run one; see docs/notifications.md.
   */
  createNotifier(options: NotifierOptions = {}): Notifier {
    const n = new Notifier(this.#core, options);
    this.owned.push(n);
    return n;
  }

  /** Exports the spans ended so far now (tracing on; does nothing otherwise). Shutdown (`close()`) flushes too. */
  async flushTraces(): Promise<void> {
    await this.#core.tracing?.forceFlush();
  }

  /** The readiness checks: the database answers; its schema is exactly this code's. */
  async readiness(): Promise<{ database: boolean; schema: boolean }> {
    let database = false;
    let schema = false;
    try {
      await this.#core.pool.query('SELECT 1');
      database = true;
      schema = await schemaIsCurrent(this.#core.pool);
    } catch {
      // reported as a failed check
    }
    return { database, schema };
  }

  /** True when both readiness checks pass. */
  async ready(): Promise<boolean> {
    const { database, schema } = await this.readiness();
    return database && schema;
  }

  /** Stops owned workers, schedulers and notifiers, writes the queued audit rows, then closes the pool. */
  async close(): Promise<void> {
    for (const o of this.owned.splice(0)) await o.stop();
    // The last spans (the attempts the workers just finished) are exported before the engine is gone.
    await this.#core.tracing
      ?.shutdown()
      .catch((err: unknown) => this.#core.log.warn({ err }, 'tracing: the last spans could not be exported'));
    await this.audit.close();
    await this.#core.artifacts.close();
    await this.#core.pool.end();
    this.untrack();
  }
}

/**
 * The engine's internals (pool, configuration with the master keys, logger, graph cache) for the
 * engine's own white-box tests and benchmarks. No entry point of the package exports it.
 */
export function engineCore(engine: Engine): EngineCore {
  return coreOf(engine);
}

/** Creates an engine: validates config, connects, migrates (or checks the schema). */
export async function createEngine(options: CreateEngineOptions = {}): Promise<Engine> {
  const { logger, migrate: doMigrate, executors, otelEnv, ...overrides } = options;
  const config = loadConfig(overrides);
  // Validated before connecting (a bad OTEL_* value stops start-up); the SDK is loaded only when tracing is on.
  const traces = tracingSettings(otelEnv ?? process.env);
  const log = logger ?? createLogger();
  const pool = createPool(config.databaseUrl, config.poolSize, (err) => log.warn({ err }, 'idle database connection error'));
  try {
    if (doMigrate) {
      await migrate(pool);
      await installBackgroundSchema(config.databaseUrl);
    } else {
      await assertSchemaNotNewer(pool);
      if (!(await schemaIsCurrent(pool))) {
        throw new EngineError(
          'internal',
          'database schema is not migrated to this version; run `openclaw migrate` (or createEngine({migrate: true}))',
        );
      }
      // Run notifications are graphile-worker jobs added in a run's final transaction: without
      // its schema, runs with `notify:` could not finish.
      const { rows } = await pool.query(
        `SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'graphile_worker' AND p.proname = 'add_job'`,
      );
      if (rows.length === 0) {
        throw new EngineError(
          'internal',
          "graphile-worker's schema is not installed; run `openclaw migrate` (or createEngine({migrate: true}))",
        );
      }
    }
  } catch (err) {
    await pool.end();
    throw err;
  }
  return new Engine(config, pool, log, executors, await startTracing(traces, log));
}
