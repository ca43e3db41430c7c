/** Read side: run views, listings with opaque cursors, history, dead letters, workflows. */
import { sql, type Kysely, type Selectable } from 'kysely';
import { idCursor, keysetPage, tupleCursor, type Page } from '../db/keyset-page.js';
import type { Queryable } from '../db/pool.js';
import type { DB, OpenclawRun, OpenclawStep } from '../db/types.generated.js';
import { NotFoundError } from '../errors.js';
import { runArtifacts, type ArtifactView } from '../artifacts/views.js';
import { resolveJson, summarizeJson, type JsonReader } from './json-views.js';

export type { Page } from '../db/keyset-page.js';

export interface StepView {
  key: string;
  name: string;
  kind: string;
  status: string;
  attempt: number;
  maxAttempts: number;
  input: unknown;
  output: unknown;
  error: unknown;
  childRunId: string | null;
  /** Why the step was skipped (DAG steps), else null. */
  skipReason: string | null;
  /** Served from the step cache: the source run, its step and when it succeeded (docs/caching.md); else null. */
  cached: { runId: string; stepKey: string; at: string } | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface RunEventView {
  id: string;
  type: string;
  stepKey: string | null;
  data: unknown;
  createdAt: string;
}

export interface StepLogLine {
  id: string;
  attempt: number;
  stream: string;
  message: string;
  createdAt: string;
}

export interface RunView {
  id: string;
  workflow: string;
  version: number;
  status: string;
  input: unknown;
  output: unknown;
  error: unknown;
  trigger: unknown;
  idempotencyKey: string | null;
  parentRunId: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  deadlineAt: string | null;
  /** The run's OpenTelemetry trace id (32 hex digits), or null when it was started with tracing off. */
  traceId: string | null;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/**
 * Runs and dead letters are listed newest first by (created_at, id). The cursor keeps created_at to
 * the microsecond (a Date has milliseconds only, and rows created in the same millisecond must
 * still be told apart).
 */
const newestFirst = {
  format: tupleCursor('timestamp', 'uuid'),
  keyOf: (r: { cursor_ts: string; id: string }): [string, string] => [r.cursor_ts, r.id],
};

const MICROS = sql<string>`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Rows strictly after the cursor in (created_at DESC, id DESC) order. */
const beforeCursor = ([t, id]: [string, string]) => sql<boolean>`(created_at, id) < (${t}::timestamptz, ${id}::uuid)`;

/** Workflows are listed by name (unique in a namespace). */
const byName = { format: tupleCursor('string'), keyOf: (w: { name: string }): [string] => [w.name] };

function runView(r: Selectable<OpenclawRun>): RunView {
  return {
    id: r.id,
    workflow: r.workflow,
    version: r.version,
    status: r.status,
    input: r.input ?? null,
    output: r.output ?? null,
    error: r.error ?? null,
    trigger: r.trigger,
    idempotencyKey: r.idempotency_key ?? null,
    parentRunId: r.parent_run_id ?? null,
    createdAt: r.created_at.toISOString(),
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    deadlineAt: iso(r.deadline_at),
    traceId: r.trace_id ?? null,
  };
}

function stepView(s: Selectable<OpenclawStep>): StepView {
  return {
    key: s.key,
    name: s.name,
    kind: s.kind,
    status: s.status,
    attempt: s.attempt,
    maxAttempts: s.max_attempts,
    input: s.input ?? null,
    output: s.output ?? null,
    error: s.error ?? null,
    childRunId: s.child_run_id,
    skipReason: s.skip_reason ?? null,
    cached: (s.cached_from as StepView['cached']) ?? null,
    startedAt: iso(s.started_at),
    finishedAt: iso(s.finished_at),
  };
}

/** A run with its steps and its file artifacts (docs/artifacts.md). */
export type RunDetail = RunView & { steps: StepView[]; artifacts: ArtifactView[] };

/**
 * The views of several runs with their steps, in two statements, on the given connection (the run
 * starter reads what its transaction created, before it commits: no step has run, so no artifact).
 */
export async function readRunDetails(db: Queryable, json: JsonReader, ids: string[]): Promise<Map<string, RunDetail>> {
  const out = new Map<string, RunDetail>();
  if (ids.length === 0) return out;
  const runs = await db.query<Selectable<OpenclawRun>>('SELECT * FROM openclaw.run WHERE id = ANY($1::uuid[])', [ids]);
  const steps = await db.query<Selectable<OpenclawStep>>('SELECT * FROM openclaw.step WHERE run_id = ANY($1::uuid[]) ORDER BY id', [ids]);
  for (const r of runs.rows) out.set(r.id, { ...runView(r), steps: [], artifacts: [] });
  for (const st of steps.rows) out.get(st.run_id)?.steps.push(stepView(st));
  for (const r of runs.rows) {
    const detail = out.get(r.id);
    if (detail) out.set(r.id, await resolveJson(json, r.namespace, detail, db));
  }
  return out;
}

export interface ListRunsOptions {
  workflow?: string;
  status?: string;
  /** The trigger's type: `api`, `cron`, `webhook`, `parent`, `retry`, `signal`. */
  trigger?: string;
  /** Created at or after this time (ISO 8601). */
  since?: string;
  /** Created before this time (ISO 8601). */
  until?: string;
  idempotencyKey?: string;
  limit?: number;
  cursor?: string;
}

export class RunQueries {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly namespace: string,
    private readonly json: JsonReader,
  ) {}

  /** One run with every step instance (in creation order); large JSON values whole (json-views.ts). */
  async getRun(id: string): Promise<RunDetail> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw new NotFoundError('run', id);
    const r = await this.db
      .selectFrom('openclaw.run')
      .selectAll()
      .where('id', '=', id)
      .where('namespace', '=', this.namespace)
      .executeTakeFirst();
    if (!r) throw new NotFoundError('run', id);
    const steps = await this.db.selectFrom('openclaw.step').selectAll().where('run_id', '=', id).orderBy('id').execute();
    const detail = { ...runView(r), steps: steps.map(stepView), artifacts: await runArtifacts(this.db, id) };
    return await resolveJson(this.json, this.namespace, detail);
  }

  /** The run's file artifacts (404 when the run does not exist in this namespace). */
  async listArtifacts(runId: string): Promise<ArtifactView[]> {
    await this.getRunStatus(runId);
    return await runArtifacts(this.db, runId);
  }

  /** Just the run's status (404 when it does not exist). */
  private async getRunStatus(id: string): Promise<string> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw new NotFoundError('run', id);
    const r = await this.db
      .selectFrom('openclaw.run')
      .select('status')
      .where('id', '=', id)
      .where('namespace', '=', this.namespace)
      .executeTakeFirst();
    if (!r) throw new NotFoundError('run', id);
    return r.status;
  }

  /**
   * Runs, newest first, stable under concurrent inserts (keyset pagination). Filters: workflow,
   * status, trigger type (`api`, `cron`, `webhook`, `parent`, ...), created in [since, until), and
   * an idempotency key.
   */
  async listRuns(opts: ListRunsOptions = {}): Promise<Page<RunView>> {
    const { items, nextCursor } = await keysetPage(opts, newestFirst, (cur, take) => {
      let q = this.db.selectFrom('openclaw.run').selectAll().select(MICROS.as('cursor_ts')).where('namespace', '=', this.namespace);
      if (opts.workflow) q = q.where('workflow', '=', opts.workflow);
      if (opts.status) q = q.where('status', '=', opts.status);
      if (opts.trigger) q = q.where(sql<string>`trigger->>'type'`, '=', opts.trigger);
      if (opts.since) q = q.where('created_at', '>=', new Date(opts.since));
      if (opts.until) q = q.where('created_at', '<', new Date(opts.until));
      if (opts.idempotencyKey) q = q.where('idempotency_key', '=', opts.idempotencyKey);
      if (cur) q = q.where(beforeCursor(cur));
      return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(take).execute();
    });
    // A large input or output is listed as its reference (json-views.ts): GET /v1/runs/{id} shows it whole.
    return { items: items.map((r) => summarizeJson(runView(r))), nextCursor };
  }

  /**
   * The run's append-only history, oldest first, after an event id (to page or follow), with the
   * run's status read first: when that status is terminal, the events returned include the last.
   */
  async getEvents(
    runId: string,
    opts: { after?: string; limit?: number } = {},
  ): Promise<{ status: string; items: RunEventView[]; nextCursor: string | null }> {
    const status = await this.getRunStatus(runId);
    const { items, nextCursor } = await keysetPage(
      { cursor: opts.after, limit: opts.limit },
      {
        format: idCursor,
        keyOf: (e: { id: string }) => e.id,
        defaultLimit: 10_000,
        maxLimit: 10_000,
        invalid: { field: 'after', message: 'after must be an event id from this run' },
      },
      (after, take) => {
        let q = this.db.selectFrom('openclaw.run_event').selectAll().where('run_id', '=', runId);
        if (after) q = q.where('id', '>', after);
        return q.orderBy('id').limit(take).execute();
      },
    );
    return {
      status,
      items: items.map((e) => ({
        id: e.id,
        type: e.type,
        stepKey: e.step_key,
        data: e.data ?? null,
        createdAt: e.created_at.toISOString(),
      })),
      nextCursor,
    };
  }

  /**
   * A step's log lines, oldest first, optionally for one attempt and after a line id (to follow).
   * 404 when the run or the step does not exist.
   */
  async getStepLogs(
    runId: string,
    stepKey: string,
    opts: { attempt?: number; after?: string; limit?: number } = {},
  ): Promise<{ items: StepLogLine[]; nextCursor: string | null }> {
    await this.getRunStatus(runId); // 404 for an unknown run
    const step = await this.db
      .selectFrom('openclaw.step')
      .select('id')
      .where('run_id', '=', runId)
      .where('key', '=', stepKey)
      .executeTakeFirst();
    if (!step) throw new NotFoundError('step', stepKey);
    const { items, nextCursor } = await keysetPage(
      { cursor: opts.after, limit: opts.limit },
      { format: idCursor, keyOf: (l: { id: string }) => l.id, defaultLimit: 1000, maxLimit: 10_000 },
      (after, take) => {
        let q = this.db.selectFrom('openclaw.step_log').selectAll().where('run_id', '=', runId).where('step_key', '=', stepKey);
        if (opts.attempt !== undefined) q = q.where('attempt', '=', opts.attempt);
        if (after) q = q.where('id', '>', after);
        return q.orderBy('id').limit(take).execute();
      },
    );
    return {
      items: items.map((l) => ({
        id: l.id,
        attempt: l.attempt,
        stream: l.stream,
        message: l.message,
        createdAt: l.created_at.toISOString(),
      })),
      nextCursor,
    };
  }

  async listDeadLetters(
    opts: { limit?: number; cursor?: string; workflow?: string; runId?: string } = {},
  ): Promise<Page<Record<string, unknown>>> {
    const { items, nextCursor } = await keysetPage(opts, newestFirst, (cur, take) => {
      let q = this.db.selectFrom('openclaw.dead_letter').selectAll().select(MICROS.as('cursor_ts')).where('namespace', '=', this.namespace);
      if (opts.workflow) q = q.where('workflow', '=', opts.workflow);
      if (opts.runId) q = q.where('run_id', '=', opts.runId);
      if (cur) q = q.where(beforeCursor(cur));
      return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(take).execute();
    });
    return {
      items: items.map((d) => ({
        id: d.id,
        runId: d.run_id,
        stepKey: d.step_key,
        workflow: d.workflow,
        error: d.error,
        errors: d.errors,
        attempts: d.attempts,
        createdAt: d.created_at.toISOString(),
        replayedAt: iso(d.replayed_at),
      })),
      nextCursor,
    };
  }

  async getWorkflow(name: string, version?: number): Promise<Record<string, unknown>> {
    const w = await this.db
      .selectFrom('openclaw.workflow')
      .selectAll()
      .where('namespace', '=', this.namespace)
      .where('name', '=', name)
      .executeTakeFirst();
    if (!w) throw new NotFoundError('workflow', name);
    const v = await this.db
      .selectFrom('openclaw.workflow_version')
      .selectAll()
      .where('namespace', '=', this.namespace)
      .where('name', '=', name)
      .where('version', '=', version ?? w.latest_version)
      .executeTakeFirst();
    if (!v) throw new NotFoundError('workflow version', `${name}@${version ?? w.latest_version}`);
    return {
      name,
      version: v.version,
      latestVersion: w.latest_version,
      archived: w.archived_at !== null,
      contentHash: v.content_hash,
      spec: v.spec,
      specText: v.spec_text,
      // The column holds the whole compiled workflow; its run graph is what clients draw.
      graph: (v.graph as { graph?: unknown } | null)?.graph ?? null,
      createdAt: v.created_at.toISOString(),
    };
  }

  async listWorkflows(opts: { limit?: number; cursor?: string } = {}): Promise<Page<Record<string, unknown>>> {
    const { items, nextCursor } = await keysetPage(opts, byName, (after, take) => {
      let q = this.db
        .selectFrom('openclaw.workflow as w')
        .leftJoin('openclaw.workflow_version as v', (j) =>
          j.onRef('v.namespace', '=', 'w.namespace').onRef('v.name', '=', 'w.name').onRef('v.version', '=', 'w.latest_version'),
        )
        .selectAll('w')
        .select(sql<string | null>`v.spec->>'description'`.as('description'))
        .where('w.namespace', '=', this.namespace);
      if (after) q = q.where('w.name', '>', after[0]);
      return q.orderBy('w.name').limit(take).execute();
    });
    return {
      items: items.map((w) => ({
        name: w.name,
        description: w.description ?? null,
        latestVersion: w.latest_version,
        archived: w.archived_at !== null,
        createdAt: w.created_at.toISOString(),
        updatedAt: w.updated_at.toISOString(),
      })),
      nextCursor,
    };
  }
}
