/**
 * One keyset pagination helper for every list (runs, dead letters, workflows, schedules, a run's
 * history, a step's logs): a page is `{items, nextCursor}`, a request is `limit` + the `cursor` of
 * the previous page. Each list sorts by a unique key and reads the rows strictly after the cursor's
 * key (a row comparison such as `(created_at, id) < ($1, $2)`), so rows inserted while a client
 * pages never make a later page repeat or skip one, unlike OFFSET. One more row than the page is
 * read, to know whether another page exists without counting.
 */
import { EngineError } from '../errors.js';

export interface Page<T> {
  items: T[];
  /** Pass it back as the cursor to get the next page; null on the last page. */
  nextCursor: string | null;
}

/** What a caller asks for: a page size and the `nextCursor` of the previous page. */
export interface PageRequest {
  limit?: number | undefined;
  cursor?: string | undefined;
}

/** How a list's sort key is written into a cursor and read back from one. */
export interface CursorFormat<K> {
  encode(key: K): string;
  /** undefined when the text is not a cursor of this list. */
  decode(text: string): K | undefined;
}

/** The parts a tuple cursor may hold, each checked when a cursor is read back. */
const PART = {
  string: (v: unknown): v is string => typeof v === 'string',
  integer: (v: unknown): v is number => Number.isSafeInteger(v),
  /** `created_at` to the microsecond, as `to_char(... 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` writes it (a Date has milliseconds only). */
  timestamp: (v: unknown): v is string => typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(v),
  uuid: (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v),
} as const;

type PartKind = keyof typeof PART;
type PartType<P extends PartKind> = P extends 'integer' ? number : string;

/**
 * Opaque cursors: base64url of the JSON array of the sort key's values, e.g.
 * `tupleCursor('timestamp', 'uuid')` for `(created_at, id)`. A cursor that does not decode to
 * values of these kinds is refused before it reaches SQL.
 */
export function tupleCursor<const P extends readonly PartKind[]>(...parts: P): CursorFormat<{ -readonly [I in keyof P]: PartType<P[I]> }> {
  type K = { -readonly [I in keyof P]: PartType<P[I]> };
  return {
    encode: (key) => Buffer.from(JSON.stringify(key)).toString('base64url'),
    decode: (text) => {
      let value: unknown;
      try {
        value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
      } catch {
        return undefined;
      }
      if (!Array.isArray(value) || value.length !== parts.length) return undefined;
      return parts.every((p, i) => PART[p](value[i])) ? (value as K) : undefined;
    },
  };
}

/**
 * Cursors that are a bigserial id as it is, for lists read oldest first by id (a run's history, a
 * step's logs): the history's cursor is also what a client sends as `after` or `Last-Event-ID`.
 */
export const idCursor: CursorFormat<string> = {
  encode: (id) => id,
  decode: (text) => (/^\d{1,19}$/.test(text) ? text : undefined),
};

export interface KeysetOptions<R, K> {
  format: CursorFormat<K>;
  /** The sort key of a row: the next page starts after the last row's key. */
  keyOf: (row: R) => K;
  /** Page size when the request has none (default 50). */
  defaultLimit?: number;
  /** Largest page size (default 500); a larger limit is lowered to it, a limit under 1 raised to 1. */
  maxLimit?: number;
  /** The 400 for a cursor this list did not hand out (default: field `cursor`). */
  invalid?: { field: string; message: string };
}

const INVALID_CURSOR = { field: 'cursor', message: 'cursor is not valid; pass the nextCursor of a previous page' };

/**
 * Reads one page: `fetch` gets the key to start after (null for the first page) and how many rows
 * to read (the page size plus one), and returns them in the list's order.
 */
export async function keysetPage<R, K>(
  request: PageRequest,
  options: KeysetOptions<R, K>,
  fetch: (after: K | null, take: number) => Promise<R[]>,
): Promise<Page<R>> {
  const asked = request.limit !== undefined && Number.isFinite(request.limit) ? Math.trunc(request.limit) : (options.defaultLimit ?? 50);
  const limit = Math.min(Math.max(asked, 1), options.maxLimit ?? 500);
  let after: K | null = null;
  if (request.cursor) {
    const key = options.format.decode(request.cursor);
    if (key === undefined) {
      const { field, message } = options.invalid ?? INVALID_CURSOR;
      throw new EngineError('invalid_request', message, { details: { field } });
    }
    after = key;
  }
  const rows = await fetch(after, limit + 1);
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? options.format.encode(options.keyOf(last)) : null };
}
