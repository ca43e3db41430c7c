/** Read side: run views, listings with opaque cursors, history, dead letters, workflows. */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { EngineError, NotFoundError } from '../errors.js';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

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
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

interface Cursor {
  t: string;
  id: string;
}

/** Cursors are opaque base64url of the last row's (created_at with microseconds, id). */
function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(s: string | undefined): Cursor | null {
  if (!s) return null;
  try {
    const c = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Cursor;
    if (typeof c.t !== 'string' || typeof c.id !== 'string') throw new Error('shape');
    return c;
  } catch {
    throw new EngineError('invalid_request', 'cursor is not valid; pass the nextCursor of a previous page', {
      details: { field: 'cursor' },
    });
  }
}

const MICROS = sql<string>`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Rows strictly after the cursor in (created_at DESC, id DESC) order. */
const beforeCursor = (c: Cursor) => sql<boolean>`(created_at, id) < (${c.t}::timestamptz, ${c.id}::uuid)`;

/**
 * Keyset pagination, newest first, stable under concurrent inserts: `fetch` gets the decoded cursor
 * and how many rows to read (one more than the page, to know whether another page exists).
 */
async function keysetPage<R extends { cursor_ts: string; id: string }>(
  opts: { limit?: number; cursor?: string },
  fetch: (cursor: Cursor | null, take: number) => Promise<R[]>,
): Promise<{ rows: R[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(opts.limit ?? 50, 1), 500);
  const rows = await fetch(decodeCursor(opts.cursor), limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, nextCursor: rows.length > limit && last ? encodeCursor({ t: last.cursor_ts, id: last.id }) : null };
}

/**
 * Pages over a bigserial id, oldest first (history, step logs): the rows after `after`, reading one
 * more than the page to know whether another exists; the next cursor is the last id.
 */
async function idPage<R extends { id: string }>(
  opts: { after?: string | undefined; limit?: number | undefined; defaultLimit: number; field: string; message: string },
  fetch: (after: string | null, take: number) => Promise<R[]>,
): Promise<{ rows: R[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(opts.limit ?? opts.defaultLimit, 1), 10_000);
  if (opts.after && !/^\d{1,19}$/.test(opts.after)) {
    throw new EngineError('invalid_request', opts.message, { details: { field: opts.field } });
  }
  const rows = await fetch(opts.after || null, limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, nextCursor: rows.length > limit && last ? last.id : null };
}

function runView(r: Record<string, unknown>): RunView {
  return {
    id: r.id as string,
    workflow: r.workflow as string,
    version: r.version as number,
    status: r.status as string,
    input: r.input ?? null,
    output: r.output ?? null,
    error: r.error ?? null,
    trigger: r.trigger,
    idempotencyKey: (r.idempotency_key as string | null) ?? null,
    parentRunId: (r.parent_run_id as string | null) ?? null,
    createdAt: (r.created_at as Date).toISOString(),
    startedAt: iso(r.started_at as Date | null),
    finishedAt: iso(r.finished_at as Date | null),
    deadlineAt: iso(r.deadline_at as Date | null),
  };
}

export class RunQueries {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly namespace: string,
  ) {}

  /** One run with every step instance (in creation order). */
  async getRun(id: string): Promise<RunView & { steps: StepView[] }> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw new NotFoundError('run', id);
    const r = await this.db
      .selectFrom('openclaw.run')
      .selectAll()
      .where('id', '=', id)
      .where('namespace', '=', this.namespace)
      .executeTakeFirst();
    if (!r) throw new NotFoundError('run', id);
    const steps = await this.db.selectFrom('openclaw.step').selectAll().where('run_id', '=', id).orderBy('id').execute();
    return {
      ...runView(r as unknown as Record<string, unknown>),
      steps: steps.map((s) => ({
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
        startedAt: iso(s.started_at),
        finishedAt: iso(s.finished_at),
      })),
    };
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

  /** Runs, newest first, stable under concurrent inserts (keyset pagination). */
  async listRuns(opts: { workflow?: string; status?: string; limit?: number; cursor?: string } = {}): Promise<Page<RunView>> {
    const { rows, nextCursor } = await keysetPage(opts, (cur, take) => {
      let q = this.db.selectFrom('openclaw.run').selectAll().select(MICROS.as('cursor_ts')).where('namespace', '=', this.namespace);
      if (opts.workflow) q = q.where('workflow', '=', opts.workflow);
      if (opts.status) q = q.where('status', '=', opts.status);
      if (cur) q = q.where(beforeCursor(cur));
      return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(take).execute();
    });
    return { items: rows.map((r) => runView(r as unknown as Record<string, unknown>)), nextCursor };
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
    const { rows, nextCursor } = await idPage(
      { after: opts.after, limit: opts.limit, defaultLimit: 10_000, field: 'after', message: 'after must be an event id from this run' },
      (after, take) => {
        let q = this.db.selectFrom('openclaw.run_event').selectAll().where('run_id', '=', runId);
        if (after) q = q.where('id', '>', after);
        return q.orderBy('id').limit(take).execute();
      },
    );
    return {
      status,
      items: rows.map((e) => ({
        id: e.id,
        type: e.type,
        stepKey: e.step_key,
        data: e.data ?? null,
        createdAt: (e.created_at as Date).toISOString(),
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
    const { rows, nextCursor } = await idPage(
      {
        after: opts.after,
        limit: opts.limit,
        defaultLimit: 1000,
        field: 'cursor',
        message: 'cursor is not valid; pass the nextCursor of a previous page',
      },
      (after, take) => {
        let q = this.db.selectFrom('openclaw.step_log').selectAll().where('run_id', '=', runId).where('step_key', '=', stepKey);
        if (opts.attempt !== undefined) q = q.where('attempt', '=', opts.attempt);
        if (after) q = q.where('id', '>', after);
        return q.orderBy('id').limit(take).execute();
      },
    );
    return {
      items: rows.map((l) => ({
        id: l.id,
        attempt: l.attempt,
        stream: l.stream,
        message: l.message,
        createdAt: (l.created_at as Date).toISOString(),
      })),
      nextCursor,
    };
  }

  async listDeadLetters(opts: { limit?: number; cursor?: string; workflow?: string } = {}): Promise<Page<Record<string, unknown>>> {
    const { rows, nextCursor } = await keysetPage(opts, (cur, take) => {
      let q = this.db.selectFrom('openclaw.dead_letter').selectAll().select(MICROS.as('cursor_ts')).where('namespace', '=', this.namespace);
      if (opts.workflow) q = q.where('workflow', '=', opts.workflow);
      if (cur) q = q.where(beforeCursor(cur));
      return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(take).execute();
    });
    return {
      items: rows.map((d) => ({
        id: d.id,
        runId: d.run_id,
        stepKey: d.step_key,
        workflow: d.workflow,
        error: d.error,
        errors: d.errors,
        attempts: d.attempts,
        createdAt: (d.created_at as Date).toISOString(),
        replayedAt: iso(d.replayed_at as Date | null),
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
      createdAt: (v.created_at as Date).toISOString(),
    };
  }

  async listWorkflows(opts: { limit?: number; cursor?: string } = {}): Promise<Page<Record<string, unknown>>> {
    const limit = Math.min(Math.max(opts.limit ?? 50, 1), 500);
    let q = this.db
      .selectFrom('openclaw.workflow as w')
      .leftJoin('openclaw.workflow_version as v', (j) =>
        j.onRef('v.namespace', '=', 'w.namespace').onRef('v.name', '=', 'w.name').onRef('v.version', '=', 'w.latest_version'),
      )
      .selectAll('w')
      .select(sql<string | null>`v.spec->>'description'`.as('description'))
      .where('w.namespace', '=', this.namespace);
    if (opts.cursor) q = q.where('w.name', '>', Buffer.from(opts.cursor, 'base64url').toString('utf8'));
    const rows = await q
      .orderBy('w.name')
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((w) => ({
        name: w.name,
        description: w.description ?? null,
        latestVersion: w.latest_version,
        archived: w.archived_at !== null,
        createdAt: (w.created_at as Date).toISOString(),
        updatedAt: (w.updated_at as Date).toISOString(),
      })),
      nextCursor: rows.length > limit && last ? Buffer.from(last.name).toString('base64url') : null,
    };
  }
}
