import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import { installBackgroundSchema } from './background.js';
import { loadConfig, type EngineConfig, type EngineSettings } from './config.js';
import { assertSchemaNotNewer, migrate, schemaIsCurrent } from './db/migrate.js';
import { createPool } from './db/pool.js';
import type { DB as Database } from './db/types.generated.js';
import { defaultExecutors } from './default-executors.js';
import { listSkills, registerSkill, type RegisterSkillOptions, type RegisterSkillResult, type SkillSummary } from './skills/registry.js';
import { deleteSecret, listSecrets, putSecret, rotateSecrets, type SecretInfo } from './secrets/store.js';
import { EngineError } from './errors.js';
import type { Executor } from './executors/types.js';
import { Notifier, type NotifierOptions } from './notify/runner.js';
import { cancelRun, replayDeadLetter, retryRun, signalRun } from './runs/control.js';
import { GraphCache } from './core/graph-cache.js';
import type { Page, PageRequest } from './db/keyset-page.js';
import { RunQueries } from './runs/queries.js';
import { archiveWorkflow, registerWorkflow, type RegisterResult } from './runs/register.js';
import { RunStarter, type StartRunOptions, type StartRunResult } from './runs/start.js';
import type { RunDetail } from './runs/queries.js';
import { deliverWebhook, type WebhookDelivery, type WebhookRequest } from './triggers/webhook.js';
import {
  getSchedule,
  listSchedules,
  pauseSchedule,
  resumeSchedule,
  type ListSchedulesOptions,
  type ScheduleView,
} from './triggers/schedules.js';
import type { EngineCore } from './core/engine-core.js';
import { Scheduler, type SchedulerOptions } from './scheduler/scheduler.js';
import type { CompileOptions } from './spec/compile.js';
import { createLogger, type Logger } from './telemetry/logger.js';
import { trackHandle } from './telemetry/lifetimes.js';
import { Worker, type WorkerOptions } from './worker/worker.js';

export interface CreateEngineOptions extends Partial<EngineSettings> {
  logger?: Logger;
  /** Apply pending migrations (and graphile-worker's) at start. Default false: only check. */
  migrate?: boolean;
  /** The non-built-in executors given to every worker this engine creates (default: wasm, container, http; see default-executors.ts). */
  executors?: Executor[];
}

/** What `engine.config` shows: the validated configuration without the master keys. */
export type EngineConfigView = Readonly<Omit<EngineConfig, 'masterKeys'>>;

let coreOf: (engine: Engine) => EngineCore;

/**
 * The engine's one public object: register specs, start and control runs, read views, and create
 * workers and schedulers. api/ and cli/ use only this (via engine/index.ts). Its pool and master
 * keys stay inside: nothing public hands them out.
 */
export class Engine {
  readonly #core: EngineCore;
  readonly #starter: RunStarter;
  readonly #config: EngineConfigView;
  readonly queries: RunQueries;
  private readonly db: Kysely<Database>;
  private readonly executors: Executor[];
  private readonly owned: Array<{ stop(): Promise<void> }> = [];
  private readonly untrack: () => void;

  static {
    coreOf = (engine) => engine.#core;
  }

  /** Use `createEngine()`: it validates the configuration and checks the database first. */
  constructor(config: EngineConfig, pool: pg.Pool, log: Logger, executors: Executor[] | undefined) {
    const { masterKeys: _masterKeys, ...visible } = config;
    this.#config = Object.freeze(visible);
    this.#core = { pool, config, log, graphs: new GraphCache(), keyring: config.masterKeys };
    this.#starter = new RunStarter(this.#core);
    const lender = { connect: () => pool.connect(), end: async () => {} };
    this.db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: lender }) });
    this.queries = new RunQueries(this.db, config.namespace);
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

  registerWorkflow(text: string, options: CompileOptions = {}): Promise<RegisterResult> {
    return registerWorkflow(this.#core, text, options);
  }
  archiveWorkflow(name: string): Promise<void> {
    return archiveWorkflow(this.#core, name);
  }
  /** Starts a run (idempotently when a key is given); concurrent starts share a transaction (group commit). */
  async startRun(options: StartRunOptions): Promise<StartRunResult> {
    const { runId, created, status } = await this.#starter.start(options);
    return { runId, created, status };
  }
  /** `startRun`, also returning the run as `queries.getRun` shows it, read in the starting transaction. */
  async startRunDetail(options: StartRunOptions): Promise<StartRunResult & { run: RunDetail }> {
    const { detail, ...started } = await this.#starter.start(options, { detail: true });
    return { ...started, run: detail ?? (await this.queries.getRun(started.runId)) };
  }
  cancelRun(runId: string, reason?: string): Promise<void> {
    return cancelRun(this.#core, runId, reason);
  }
  retryRun(runId: string): Promise<void> {
    return retryRun(this.#core, runId);
  }
  signalRun(runId: string, name: string, payload?: unknown): Promise<{ delivered: boolean }> {
    return signalRun(this.#core, runId, name, payload);
  }
  replayDeadLetter(id: string): Promise<{ runId: string }> {
    return replayDeadLetter(this.#core, id);
  }

  /** Cron schedules (one per cron trigger of each workflow's latest spec); see docs/schedules.md. */
  listSchedules(options: ListSchedulesOptions = {}): Promise<{ items: ScheduleView[]; nextCursor: string | null }> {
    return listSchedules(this.#core, options);
  }
  getSchedule(id: string): Promise<ScheduleView> {
    return getSchedule(this.#core, id);
  }
  /** No tick fires until resumed. */
  pauseSchedule(id: string): Promise<ScheduleView> {
    return pauseSchedule(this.#core, id);
  }
  /** Fires again from the first tick after now; ticks that passed while paused are not made up. */
  resumeSchedule(id: string): Promise<ScheduleView> {
    return resumeSchedule(this.#core, id);
  }

  /** Stores a secret (encrypted; write-only). `created` is false when it replaced a value. */
  putSecret(name: string, value: string): Promise<{ created: boolean; secret: SecretInfo }> {
    return putSecret(this.#core, this.#core.keyring, name, value);
  }
  /** Names and times only: values never leave the store except into a running task. */
  listSecrets(page: PageRequest = {}): Promise<Page<SecretInfo>> {
    return listSecrets(this.#core, page);
  }
  deleteSecret(name: string): Promise<void> {
    return deleteSecret(this.#core, name);
  }
  /** Re-wraps every secret not yet under the current master key (see docs/secrets.md). */
  rotateSecretKey(): Promise<{ rewrapped: number; unreadable: string[] }> {
    return rotateSecrets(this.#core, this.#core.keyring);
  }
  /**
   * Verifies a webhook delivery's signature against its hook's secret and starts its run, at most
   * once per delivery id (a repeat returns the same run with `duplicate: true`). See docs/webhooks.md.
   */
  deliverWebhook(request: WebhookRequest): Promise<WebhookDelivery> {
    return deliverWebhook(this.#core, request);
  }
  /** True when this process can store and resolve secrets (it has OPENCLAW_SECRET_KEY). */
  get secretsAvailable(): boolean {
    return this.#core.keyring.current !== null;
  }

  /**
   * Registers a skill version (a WebAssembly component and its manifest) for `wasm` tasks:
   * `created: false` when the same bytes are already registered as that version; `conflict` when
   * other bytes are (versions are immutable).
   */
  registerSkill(options: RegisterSkillOptions): Promise<RegisterSkillResult> {
    return registerSkill(this.#core, options, this.#core.config.maxSkillBytes);
  }
  /** Registered skill versions (without their bytes), by name, newest version first. */
  listSkills(filter: { name?: string } & PageRequest = {}): Promise<Page<SkillSummary>> {
    return listSkills(this.#core, filter);
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

  /** Stops owned workers, schedulers and notifiers, then closes the pool. */
  async close(): Promise<void> {
    for (const o of this.owned.splice(0)) await o.stop();
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
  const { logger, migrate: doMigrate, executors, ...overrides } = options;
  const config = loadConfig(overrides);
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
  return new Engine(config, pool, log, executors);
}
