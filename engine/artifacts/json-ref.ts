/**
 * How a JSON column (a step's input or output, a run's input or output) holds its value
 * (docs/artifacts.md, "Large JSON"): the value itself, or, above OPENCLAW_INLINE_JSON_BYTES, a
 * reference to an object in the artifact store:
 *
 *     {"$openclaw": "ref", "key": "<object key>", "size": <bytes>, "sha256": "<hex>"}
 *
 * A user's own value can never be taken for a reference: a value that is an object with a
 * `$openclaw` key of its own is stored wrapped, `{"$openclaw": "value", "value": <it>}`, and both
 * shapes are recognised only with exactly these keys. Only the top level of a column is read this
 * way; anything nested is data. Readers also check that a reference names an object a `json`
 * artifact of the same namespace holds (large-json.ts), so even a forged one reads nothing else.
 *
 * Pure: no database, no store.
 */

export const JSON_MARKER = '$openclaw';

export interface JsonRef {
  $openclaw: 'ref';
  /** The object's key in the artifact store. */
  key: string;
  /** Bytes of the JSON text. */
  size: number;
  /** Lower-case hex SHA-256 of the JSON text. */
  sha256: string;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function hasExactly(o: Record<string, unknown>, keys: string[]): boolean {
  const own = Object.keys(o);
  return own.length === keys.length && keys.every((k) => Object.hasOwn(o, k));
}

/** Whether a column holds a reference (and not a value). */
export function isJsonRef(column: unknown): column is JsonRef {
  return (
    isPlainObject(column) &&
    column[JSON_MARKER] === 'ref' &&
    hasExactly(column, [JSON_MARKER, 'key', 'size', 'sha256']) &&
    typeof column.key === 'string' &&
    typeof column.size === 'number' &&
    typeof column.sha256 === 'string'
  );
}

function isWrapped(column: unknown): column is { $openclaw: 'value'; value: unknown } {
  return isPlainObject(column) && column[JSON_MARKER] === 'value' && hasExactly(column, [JSON_MARKER, 'value']);
}

/** A value as a column holds it inline: wrapped when it is an object with a `$openclaw` key. */
export function escapeJson(value: unknown): unknown {
  return isPlainObject(value) && Object.hasOwn(value, JSON_MARKER) ? { [JSON_MARKER]: 'value', value } : value;
}

/** An inline column's value (a reference is returned as it is: resolve it with large-json.ts). */
export function unescapeJson(column: unknown): unknown {
  return isWrapped(column) ? column.value : column;
}

export function jsonRef(object: { key: string; size: number; sha256: string }): JsonRef {
  return { [JSON_MARKER]: 'ref', key: object.key, size: object.size, sha256: object.sha256 };
}

/**
 * What a reference's value is, without its store key: for things that must not differ between two
 * copies of the same bytes (a cache key) and for views that do not resolve it (run lists).
 */
export function refIdentity(ref: JsonRef): { $openclaw: 'ref'; size: number; sha256: string } {
  return { [JSON_MARKER]: 'ref', size: ref.size, sha256: ref.sha256 };
}

/**
 * A column's content carried as it is stored, to be written to another column unchanged: a
 * reference stays a reference (nothing is read or uploaded again). A plain value handed to a
 * writer is a user's value and is encoded; this is how a writer tells the two apart.
 */
export class StoredJson {
  private constructor(
    readonly column: unknown,
    private text: string | null | undefined,
  ) {}

  static of(column: unknown): StoredJson {
    return new StoredJson(column ?? null, undefined);
  }

  /** A column whose text is already known (it was just serialised to be sized). */
  static withText(column: unknown, text: string | null): StoredJson {
    return new StoredJson(column ?? null, text);
  }

  get ref(): JsonRef | null {
    return isJsonRef(this.column) ? this.column : null;
  }

  /** The column's JSON text for SQL, null for SQL NULL. */
  json(): string | null {
    if (this.text === undefined) this.text = this.column === null ? null : JSON.stringify(this.column);
    return this.text;
  }
}

/**
 * Several columns joined into one value: a forEach step's items, a parallel state's branches, a
 * DAG's sinks. Materialised (references resolved) only by the writer that stores the join.
 */
export class JoinedJson {
  constructor(readonly columns: unknown[] | Record<string, unknown>) {}
}
