/**
 * The audit log (docs/security.md, "Audit log"): rows appended for the API's mutating and refused
 * requests, read back by admins, never edited.
 *
 * `record()` is what the request path calls, after the response is sent: it bounds the entry's
 * fields and hands it to a group-commit queue (core/group-commit.ts), so it never waits on the
 * database. One committer writes whatever has queued meanwhile as one INSERT (at most MAX_BATCH
 * rows), using one pooled connection at a time.
 *
 * The queue is bounded: when the database is slow or down, at most BUFFER_ROWS rows wait in
 * memory, and a row recorded into a full queue pushes out the oldest waiting one. A row whose
 * insert fails (its batch failed, and then it failed alone) is dropped too. Both are counted
 * (`dropped`) and logged as a warning with the running count, at most every WARN_EVERY_MS.
 * `close()` (from `Engine.close()`) writes what is queued, waiting at most CLOSE_TIMEOUT_MS.
 */
import type { EngineCore } from '../core/engine-core.js';
import { GroupCommit, QueueOverflowError } from '../core/group-commit.js';
import { listAuditLog, type AuditFilter, type AuditRecord } from './list.js';
import type { Page } from '../db/keyset-page.js';

/** Rows waiting in memory at most; past it the oldest waiting row is dropped. */
export const AUDIT_BUFFER_ROWS = 10_000;
const MAX_BATCH = 500;
const WARN_EVERY_MS = 10_000;
const CLOSE_TIMEOUT_MS = 5_000;
/** Longest text kept in a field (route, ids values, principal, request id...). */
const TEXT_MAX = 200;
const IDS_MAX = 16;

/** What the API records for one request. Never a body, a query string or a credential. */
export interface AuditEntry {
  /** When the request was answered (default: now, on this process's clock). */
  at?: Date;
  /** The API key id, OIDC subject, `local`; null when unauthenticated. */
  principal: string | null;
  /** `api_key`, `oidc`, `local`, `webhook`, `anonymous`. */
  principalKind: string | null;
  role: string | null;
  namespace: string | null;
  method: string;
  /** The route template (`/v1/runs/{id}/cancel`), or the path without its query string when no route matched. */
  route: string;
  /** The route's path parameters. */
  ids: Readonly<Record<string, unknown>>;
  status: number;
  clientAddress: string | null;
  requestId: string | null;
}

/** A row as stored and shown (without its id). */
type Row = Omit<AuditRecord, 'id'>;

const text = (v: string | null | undefined, max = TEXT_MAX): string | null => (v == null ? null : String(v).slice(0, max));

function boundIds(ids: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const [k, v] of Object.entries(ids)) {
    if (n++ >= IDS_MAX) break;
    if (v === undefined || v === null) continue;
    out[k.slice(0, 64)] = (typeof v === 'string' ? v : JSON.stringify(v)).slice(0, TEXT_MAX);
  }
  return out;
}

function toRow(e: AuditEntry): Row {
  return {
    at: (e.at ?? new Date()).toISOString(),
    principal: text(e.principal),
    principalKind: text(e.principalKind, 32),
    role: text(e.role, 32),
    namespace: text(e.namespace, 63),
    method: String(e.method).slice(0, 16).toUpperCase(),
    route: String(e.route).slice(0, TEXT_MAX),
    ids: boundIds(e.ids ?? {}),
    status: Number.isInteger(e.status) ? e.status : 0,
    clientAddress: text(e.clientAddress, 100),
    requestId: text(e.requestId),
  };
}

const INSERT = `INSERT INTO openclaw.audit_log (at, principal, principal_kind, role, namespace, method, route, ids, status, client_address, request_id)
  SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[],
                       $9::int[], $10::text[], $11::text[])`;

export class AuditLog {
  readonly #core: EngineCore;
  readonly #queue: GroupCommit<Row, void>;
  /** The promise of the last row recorded: rows settle in order (one committer), so it settles last. */
  #last: Promise<void> | null = null;
  #pending = 0;
  #dropped = 0;
  #warnedAt = 0;
  #closed = false;

  constructor(core: EngineCore) {
    this.#core = core;
    this.#queue = new GroupCommit<Row, void>({
      what: 'audit rows',
      maxCommitters: 1,
      maxBatch: MAX_BATCH,
      maxQueued: AUDIT_BUFFER_ROWS,
      log: core.log,
      applyBatch: async (rows) => {
        await this.#insert(rows);
        return rows.map(() => undefined);
      },
      applyOne: (row) => this.#insert([row]),
    });
  }

  /** Rows dropped since this engine started (queue full, or the database refused them). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Appends one row, later, in a batch: returns at once and never throws. */
  record(entry: AuditEntry): void {
    if (this.#closed) {
      this.#drop(new Error('the engine is closed'));
      return;
    }
    let row: Row;
    try {
      row = toRow(entry);
    } catch (err) {
      this.#drop(err);
      return;
    }
    this.#pending++;
    this.#last = this.#queue.submit(row).then(
      () => void this.#pending--,
      (err: unknown) => {
        this.#pending--;
        this.#drop(err);
      },
    );
  }

  /** Resolves when every row recorded before the call is written (or dropped). */
  async flush(): Promise<void> {
    await this.#last;
  }

  /** Newest first; filters and keyset cursor (see list.ts). */
  list(filter: AuditFilter = {}): Promise<Page<AuditRecord>> {
    return listAuditLog(this.#core, filter);
  }

  /** Writes what is queued (waiting at most CLOSE_TIMEOUT_MS); later `record()` calls are dropped. */
  async close(): Promise<void> {
    this.#closed = true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), CLOSE_TIMEOUT_MS);
    });
    const late = await Promise.race([this.flush().then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) this.#core.log.warn({ pending: this.#pending }, 'audit log: rows still unwritten at close are dropped');
    if (this.#dropped > 0) this.#core.log.warn({ dropped: this.#dropped }, 'audit log: rows dropped since start');
  }

  async #insert(rows: Row[]): Promise<void> {
    await this.#core.pool.query(INSERT, [
      rows.map((r) => r.at),
      rows.map((r) => r.principal),
      rows.map((r) => r.principalKind),
      rows.map((r) => r.role),
      rows.map((r) => r.namespace),
      rows.map((r) => r.method),
      rows.map((r) => r.route),
      rows.map((r) => JSON.stringify(r.ids)),
      rows.map((r) => r.status),
      rows.map((r) => r.clientAddress),
      rows.map((r) => r.requestId),
    ]);
  }

  #drop(err: unknown): void {
    this.#dropped++;
    const now = Date.now();
    if (now - this.#warnedAt < WARN_EVERY_MS) return;
    this.#warnedAt = now;
    const reason = err instanceof QueueOverflowError ? 'buffer full' : 'not written';
    this.#core.log.warn(
      { err: err instanceof QueueOverflowError ? undefined : err, dropped: this.#dropped, buffer: AUDIT_BUFFER_ROWS },
      `audit log: a row was dropped (${reason}); ${this.#dropped} dropped since start`,
    );
  }
}
