/**
 * How the read views show JSON columns (docs/artifacts.md, "Large JSON"): one run's view (`GET
 * /v1/runs/{id}`, a started run) shows every value whole, large ones read from the artifact store;
 * lists of runs show a large value as its reference, `{"$openclaw": "ref", "size", "sha256"}`,
 * without reading it (a page of runs must not read a page of large objects).
 */
import { isJsonRef, refIdentity, unescapeJson } from '../artifacts/json-ref.js';
import type { LargeJson } from '../artifacts/large-json.js';
import type { Queryable } from '../db/pool.js';

interface WithJson {
  input: unknown;
  output: unknown;
}

/** What resolves columns: the engine's LargeJson. */
export type JsonReader = Pick<LargeJson, 'read'>;

function summary(column: unknown): unknown {
  return isJsonRef(column) ? refIdentity(column) : unescapeJson(column);
}

/** A listed view: inline values as they are, large ones as their reference (not read). */
export function summarizeJson<T extends WithJson>(view: T): T {
  return { ...view, input: summary(view.input), output: summary(view.output) };
}

/**
 * One run's view with every value whole (its own and its steps'), read through references where
 * needed; `db` is the connection to check them on (a transaction that has just written them).
 */
export async function resolveJson<T extends WithJson & { steps: WithJson[] }>(
  json: JsonReader,
  namespace: string,
  view: T,
  db?: Queryable,
): Promise<T> {
  const read = (column: unknown): Promise<unknown> => json.read(namespace, column, db);
  const steps = [];
  for (const s of view.steps) steps.push({ ...s, input: await read(s.input), output: await read(s.output) });
  return { ...view, input: await read(view.input), output: await read(view.output), steps };
}
