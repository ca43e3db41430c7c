/**
 * A namespace's view of the engine: everything that reads or changes workflows, runs, schedules,
 * secrets, dead letters, skills and webhook deliveries, acting in ONE namespace. What belongs to
 * another namespace does not exist for it (not found, never listed). `engine.inNamespace(ns)`
 * returns one; the `Engine` itself is the scope of its default namespace (`config.namespace`).
 */
import type { Kysely } from 'kysely';
import { artifactDownload, findArtifact, type ArtifactDownload } from './artifacts/views.js';
import type { EngineCore } from './core/engine-core.js';
import type { Page, PageRequest } from './db/keyset-page.js';
import type { DB as Database } from './db/types.generated.js';
import { cancelRun, replayDeadLetter, retryRun, signalRun } from './runs/control.js';
import { RunQueries, type RunDetail } from './runs/queries.js';
import { archiveWorkflow, registerWorkflow, type RegisterResult } from './runs/register.js';
import { purgeRuns, type PurgeOptions, type PurgeResult } from './runs/retention.js';
import type { RunStarter, StartRunOptions, StartRunResult } from './runs/start.js';
import { deleteSecret, listSecrets, putSecret, type SecretInfo } from './secrets/store.js';
import { listSkills, registerSkill, type RegisterSkillOptions, type RegisterSkillResult, type SkillSummary } from './skills/registry.js';
import type { CompileOptions } from './spec/compile.js';
import {
  getSchedule,
  listSchedules,
  pauseSchedule,
  resumeSchedule,
  type ListSchedulesOptions,
  type ScheduleView,
} from './triggers/schedules.js';
import type { WebhookDelivery, WebhookRequest } from './triggers/webhook.js';
import { deliverWebhookCounted } from './triggers/webhook-counted.js';

/** What a scope is built from: the engine's internals, shared by every scope of one engine. */
export interface ScopeParts {
  core: EngineCore;
  starter: RunStarter;
  db: Kysely<Database>;
}

export class NamespaceScope {
  /** The namespace every operation of this scope acts in. */
  readonly namespace: string;
  /** Read views (runs, history, logs, dead letters, workflows) of this namespace. */
  readonly queries: RunQueries;
  readonly #core: EngineCore;
  readonly #starter: RunStarter;
  readonly #db: Kysely<Database>;

  /** Use `engine.inNamespace(ns)`: it validates the name. */
  constructor(parts: ScopeParts, namespace: string) {
    this.namespace = namespace;
    this.#core = parts.core;
    this.#starter = parts.starter;
    this.#db = parts.db;
    this.queries = new RunQueries(parts.db, namespace, parts.core.json);
  }

  registerWorkflow(text: string, options: CompileOptions = {}): Promise<RegisterResult> {
    return registerWorkflow(this.#core, this.namespace, text, options);
  }
  archiveWorkflow(name: string): Promise<void> {
    return archiveWorkflow(this.#core, this.namespace, name);
  }
  /** Starts a run (idempotently when a key is given); concurrent starts share a transaction (group commit). */
  async startRun(options: StartRunOptions): Promise<StartRunResult> {
    const { runId, created, status } = await this.#starter.start({ ...options, namespace: this.namespace });
    return { runId, created, status };
  }
  /** `startRun`, also returning the run as `queries.getRun` shows it, read in the starting transaction. */
  async startRunDetail(options: StartRunOptions): Promise<StartRunResult & { run: RunDetail }> {
    const { detail, ...started } = await this.#starter.start({ ...options, namespace: this.namespace }, { detail: true });
    return { ...started, run: detail ?? (await this.queries.getRun(started.runId)) };
  }
  cancelRun(runId: string, reason?: string): Promise<void> {
    return cancelRun(this.#core, this.namespace, runId, reason);
  }
  retryRun(runId: string): Promise<void> {
    return retryRun(this.#core, this.namespace, runId);
  }
  signalRun(runId: string, name: string, payload?: unknown): Promise<{ delivered: boolean }> {
    return signalRun(this.#core, this.namespace, runId, name, payload);
  }
  replayDeadLetter(id: string): Promise<{ runId: string }> {
    return replayDeadLetter(this.#core, this.namespace, id);
  }
  /**
   * Deletes this namespace's runs that finished before `before` (or counts them, `dryRun`), whatever
   * their retention: never an active run nor the parent of one; child runs go with their root run.
   * See docs/operations.md, "Retention".
   */
  purgeRuns(options: PurgeOptions): Promise<PurgeResult> {
    return purgeRuns(this.#core, this.namespace, options);
  }

  /**
   * A file artifact of this namespace, with `open()` for its bytes (streamed from the store; another
   * namespace's artifact is not found). See docs/artifacts.md.
   */
  async getArtifact(id: string): Promise<ArtifactDownload> {
    return artifactDownload(await findArtifact(this.#db, this.namespace, id), this.#core.artifacts);
  }

  /** Cron schedules (one per cron trigger of each workflow's latest spec); see docs/schedules.md. */
  listSchedules(options: ListSchedulesOptions = {}): Promise<Page<ScheduleView>> {
    return listSchedules(this.#core, this.namespace, options);
  }
  getSchedule(id: string): Promise<ScheduleView> {
    return getSchedule(this.#core, this.namespace, id);
  }
  /** No tick fires until resumed. */
  pauseSchedule(id: string): Promise<ScheduleView> {
    return pauseSchedule(this.#core, this.namespace, id);
  }
  /** Fires again from the first tick after now; ticks that passed while paused are not made up. */
  resumeSchedule(id: string): Promise<ScheduleView> {
    return resumeSchedule(this.#core, this.namespace, id);
  }

  /** Stores a secret (encrypted; write-only). `created` is false when it replaced a value. */
  putSecret(name: string, value: string): Promise<{ created: boolean; secret: SecretInfo }> {
    return putSecret(this.#core, this.namespace, this.#core.keyring, name, value);
  }
  /** Names and times only: values never leave the store except into a running task. */
  listSecrets(page: PageRequest = {}): Promise<Page<SecretInfo>> {
    return listSecrets(this.#core, this.namespace, page);
  }
  deleteSecret(name: string): Promise<void> {
    return deleteSecret(this.#core, this.namespace, name);
  }

  /**
   * Verifies a webhook delivery's signature against its hook's secret (this namespace's) and starts
   * its run, at most once per delivery id (a repeat returns the same run with `duplicate: true`).
   * See docs/webhooks.md.
   */
  deliverWebhook(request: WebhookRequest): Promise<WebhookDelivery> {
    return deliverWebhookCounted(this.#core, this.namespace, request);
  }

  /**
   * Registers a skill version (a WebAssembly component and its manifest) for `wasm` tasks:
   * `created: false` when the same bytes are already registered as that version; `conflict` when
   * other bytes are (versions are immutable).
   */
  registerSkill(options: RegisterSkillOptions): Promise<RegisterSkillResult> {
    return registerSkill(this.#core, this.namespace, options, this.#core.config.maxSkillBytes);
  }
  /** Registered skill versions (without their bytes), by name, newest version first. */
  listSkills(filter: { name?: string } & PageRequest = {}): Promise<Page<SkillSummary>> {
    return listSkills(this.#core, this.namespace, filter);
  }
}
