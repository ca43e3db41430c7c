/**
 * The JSON columns of a run's rows inside transition transactions (docs/artifacts.md, "Large
 * JSON"): reading a column as its value (a reference resolved once per transaction), and writing a
 * value to one: inline, or kept in the artifact store (uploaded, or another `json` artifact's object
 * referenced again) and attached as a `json` artifact of the step or of the run in this transaction,
 * so that a rolled-back transition leaves only an unreferenced object, which the sweep removes.
 *
 * What a writer is given tells it what to do: a plain value is the user's (encoded), a `StoredJson`
 * is another column passed on as it is, a `JoinedJson` is several columns to join (artifacts/json-ref.ts).
 */
import { isJsonRef, JoinedJson, unescapeJson } from '../artifacts/json-ref.js';
import { overJsonLimit, type EncodedJson } from '../artifacts/large-json.js';
import type { UploadedObject } from '../artifacts/service.js';
import type { RunCtx } from '../core/transition-tx.js';
import type { Queryable } from '../db/pool.js';
import { TaskError } from '../errors.js';
import { FAILURES } from '../vocabulary/failures.js';

/** A column's value: inline, or read through its reference (once per transaction and object). */
export async function readJson(rc: RunCtx, column: unknown): Promise<unknown> {
  if (!isJsonRef(column)) return unescapeJson(column ?? null);
  return await rc.tx.memo(`json:${column.key}`, () => rc.tx.core.json.read(rc.run.namespace, column, rc.tx.client));
}

/** The bytes a column stands for: a reference's size, else its own text's. */
function columnBytes(column: unknown): number {
  if (column === null || column === undefined) return 4;
  return isJsonRef(column) ? column.size : Buffer.byteLength(JSON.stringify(column), 'utf8');
}

type SizeFailure = typeof FAILURES.InputTooLarge | typeof FAILURES.OutputTooLarge;

/** A join's value. Its size is summed from the columns first: over the hard limit, nothing is read. */
async function materialize(rc: RunCtx, joined: JoinedJson, failure: SizeFailure, what: string): Promise<unknown> {
  const columns = joined.columns;
  const entries: Array<[string, unknown]> = Array.isArray(columns) ? columns.map((c, i) => [String(i), c]) : Object.entries(columns);
  const max = rc.tx.core.config.maxJsonBytes;
  const total = entries.reduce((n, [k, c]) => n + columnBytes(c) + Buffer.byteLength(k, 'utf8') + 4, 2);
  if (total > max) throw new TaskError(failure, overJsonLimit(what, total, max), { retryable: false });
  const values: unknown[] = [];
  for (const [, c] of entries) values.push(await readJson(rc, c));
  return Array.isArray(columns) ? values : Object.fromEntries(entries.map(([k], i) => [k, values[i]]));
}

export interface ColumnTarget {
  /** The step whose column is written (the uploader of a new object); null for the run's own. */
  stepId: string | null;
  /** For messages: `output of step build`. */
  what: string;
  /** The failure over OPENCLAW_MAX_JSON_BYTES (thrown as a non-retryable TaskError). */
  failure: SizeFailure;
  /** Other runs whose `json` artifacts may already hold the bytes (a child run's, for its parent's step). */
  reuseFrom?: string[];
}

/**
 * A value (plain, `StoredJson` or `JoinedJson`) encoded for a column of this run. A large one is in
 * the store when this returns: attach `object` (attachStepJson / attachRunJson) once the row is written.
 */
export async function encodeJson(rc: RunCtx, value: unknown, target: ColumnTarget): Promise<EncodedJson> {
  const plain = value instanceof JoinedJson ? await materialize(rc, value, target.failure, target.what) : value;
  return await rc.tx.core.json.encode(rc.tx.client, plain, {
    origin: { namespace: rc.run.namespace, runId: rc.run.id, stepId: target.stepId, leaseToken: null },
    what: target.what,
    tooLarge: (message) => new TaskError(target.failure, message, { retryable: false }),
    reuseFrom: [rc.run.id, ...(target.reuseFrom ?? [])],
  });
}

export type JsonColumnName = 'input' | 'output';

/**
 * Attaches objects as the `json` artifact `name` of steps of a run (in the caller's transaction),
 * replacing what an earlier write of the same column attached (a step reset by `retry` evaluates
 * its input again).
 */
export async function attachStepJson(
  db: Queryable,
  run: { id: string; namespace: string },
  name: JsonColumnName,
  items: Array<{ stepId: string; object: UploadedObject }>,
): Promise<void> {
  if (items.length === 0) return;
  await db.query(
    `INSERT INTO openclaw.artifact (namespace, run_id, step_id, step_key, attempt, name, kind, object_key, size, sha256, media_type)
     SELECT $1, $2, s.id, s.key, s.attempt, $3, 'json', v.key, v.size, v.sha256, v.media_type
       FROM unnest($4::bigint[], $5::text[], $6::bigint[], $7::text[], $8::text[]) AS v(step_id, key, size, sha256, media_type)
       JOIN openclaw.step s ON s.id = v.step_id
     ON CONFLICT (step_id, kind, name) WHERE step_id IS NOT NULL
     DO UPDATE SET object_key = EXCLUDED.object_key, size = EXCLUDED.size, sha256 = EXCLUDED.sha256, attempt = EXCLUDED.attempt,
                   created_at = now()`,
    [
      run.namespace,
      run.id,
      name,
      items.map((i) => i.stepId),
      items.map((i) => i.object.key),
      items.map((i) => i.object.size),
      items.map((i) => i.object.sha256),
      items.map((i) => i.object.mediaType),
    ],
  );
}

/** Attaches an object as the run's own `json` artifact `name` (its input, or its output), replacing an earlier one (a retried run ends again). */
export async function attachRunJson(
  db: Queryable,
  run: { id: string; namespace: string },
  name: JsonColumnName,
  object: UploadedObject,
): Promise<void> {
  await db.query(
    `WITH d AS (DELETE FROM openclaw.artifact WHERE run_id = $2 AND step_id IS NULL AND kind = 'json' AND name = $3)
     INSERT INTO openclaw.artifact (namespace, run_id, step_id, name, kind, object_key, size, sha256, media_type)
     VALUES ($1, $2, NULL, $3, 'json', $4, $5, $6, $7)`,
    [run.namespace, run.id, name, object.key, object.size, object.sha256, object.mediaType],
  );
}
