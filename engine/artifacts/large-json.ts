/**
 * Large JSON values (docs/artifacts.md, "Large JSON"): a step's input or output, or a run's input or
 * output, whose JSON text is over OPENCLAW_INLINE_JSON_BYTES is kept in the artifact store, and its
 * row holds a reference (json-ref.ts). Up to OPENCLAW_MAX_JSON_BYTES; over that the value is refused
 * before anything is uploaded, by the caller's error (OutputTooLarge, InputTooLarge, 413).
 *
 * Writing: `measure` serialises and sizes a value once (escaped, see json-ref.ts); `store` keeps it
 * inline or uploads it (the object row first, as every upload: service.ts), unless a `json` artifact
 * of one of the given runs already holds the same bytes (a step whose input is another's output, a
 * run whose output is a step's): then that object is referenced again, nothing uploaded. Attaching
 * the object (an `artifact` row of kind `json`) is the caller's, in the transaction that writes the
 * column: the fenced completion for a task's output (runs/complete.ts), runs/json-columns.ts else.
 *
 * Reading: `read` turns a column into its value. A reference is honoured only when a `json`
 * artifact of the reader's namespace holds its object; its text comes from a per-engine cache (by
 * sha256: content never changes, so the worker that just produced a value, and the transition that
 * reads it next, do not fetch it back) or from the store, checked against its digest.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { EngineConfig } from '../config.js';
import type { Queryable } from '../db/pool.js';
import { TaskError } from '../errors.js';
import { FAILURES } from '../vocabulary/failures.js';
import { escapeJson, isJsonRef, jsonRef, StoredJson, unescapeJson, type JsonRef } from './json-ref.js';
import type { ArtifactService, ObjectOrigin, UploadedObject } from './service.js';
import { storeError } from './store.js';

export const JSON_MEDIA_TYPE = 'application/json';
/** The setting every message about the hard limit names. */
export const MAX_JSON_SETTING = 'OPENCLAW_MAX_JSON_BYTES';

/** A value serialised once, to be sized and then stored. */
export interface MeasuredJson {
  /** What the column holds when inline (the value, escaped). */
  column: unknown;
  /** Its JSON text; null for SQL NULL (no value). */
  text: string | null;
  /** UTF-8 bytes of `text`. */
  size: number;
}

export interface JsonTarget {
  /** Whose object it would be (the attempt, or the run). */
  origin: ObjectOrigin;
  /** For messages: `output of step build`, `run input`. */
  what: string;
  /** Runs whose `json` artifacts may hold the same bytes already (referenced again instead of uploaded). */
  reuseFrom?: string[];
  signal?: AbortSignal;
}

export interface EncodedJson {
  /** What to write to the column. */
  stored: StoredJson;
  /** The object a reference names, new or reused: attach it as a `json` artifact. Null when inline. */
  object: UploadedObject | null;
}

/** An over-limit message naming the hard limit and how to raise it. */
export function overJsonLimit(what: string, size: number, max: number): string {
  return `${what} is ${size} bytes, over the limit maxJsonBytes=${max} (${MAX_JSON_SETTING}; raise it to allow larger values, or pass the data as an artifact)`;
}

/** Text by sha256, least recently used first out, within a byte budget. */
class TextCache {
  private readonly entries = new Map<string, { text: string; size: number }>();
  private bytes = 0;

  constructor(private readonly budget: number) {}

  get(sha256: string): string | undefined {
    const entry = this.entries.get(sha256);
    if (!entry) return undefined;
    this.entries.delete(sha256);
    this.entries.set(sha256, entry);
    return entry.text;
  }

  put(sha256: string, text: string, size: number): void {
    if (size > this.budget || this.entries.has(sha256)) return;
    this.entries.set(sha256, { text, size });
    this.bytes += size;
    for (const [key, old] of this.entries) {
      if (this.bytes <= this.budget) break;
      this.entries.delete(key);
      this.bytes -= old.size;
    }
  }
}

export class LargeJson {
  private readonly texts: TextCache;

  constructor(
    private readonly artifacts: ArtifactService,
    private readonly pool: Queryable,
    private readonly config: Pick<EngineConfig, 'inlineJsonBytes' | 'maxJsonBytes'>,
  ) {
    // One value at the hard limit fits: the value a worker just produced is the one read next.
    this.texts = new TextCache(config.maxJsonBytes);
  }

  /** Serialises a value for a column and checks the hard limit (`tooLarge` builds the error: nothing is stored). */
  measure(value: unknown, tooLarge: (message: string) => Error, what: string): MeasuredJson {
    if (value === undefined || value === null) return { column: null, text: null, size: 0 };
    const column = escapeJson(value);
    const text = JSON.stringify(column) as string | undefined;
    if (text === undefined) return { column: null, text: null, size: 0 };
    const size = Buffer.byteLength(text, 'utf8');
    if (size > this.config.maxJsonBytes) throw tooLarge(overJsonLimit(what, size, this.config.maxJsonBytes));
    return { column, text, size };
  }

  /** Keeps a measured value inline, or in the store (see the top of this file). */
  async store(db: Queryable, measured: MeasuredJson, target: JsonTarget): Promise<EncodedJson> {
    if (measured.text === null || measured.size <= this.config.inlineJsonBytes)
      return { stored: StoredJson.withText(measured.column, measured.text), object: null };
    const bytes = Buffer.from(measured.text, 'utf8');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const object = (await this.reusable(db, sha256, target.reuseFrom ?? [])) ?? (await this.upload(bytes, target));
    this.texts.put(object.sha256, measured.text, object.size);
    const ref = jsonRef(object);
    return { stored: StoredJson.withText(ref, JSON.stringify(ref)), object };
  }

  /** `measure` then `store`; a `StoredJson` is passed on as it is (its reference, if any, to attach again). */
  async encode(db: Queryable, value: unknown, target: JsonTarget & { tooLarge: (message: string) => Error }): Promise<EncodedJson> {
    if (value instanceof StoredJson) {
      const ref = value.ref;
      return { stored: value, object: ref ? { key: ref.key, size: ref.size, sha256: ref.sha256, mediaType: JSON_MEDIA_TYPE } : null };
    }
    return await this.store(db, this.measure(value, target.tooLarge, target.what), target);
  }

  private async reusable(db: Queryable, sha256: string, runIds: string[]): Promise<UploadedObject | null> {
    if (runIds.length === 0) return null;
    const { rows } = await db.query<{ key: string; size: string }>(
      `SELECT object_key AS key, size FROM openclaw.artifact WHERE run_id = ANY($1::uuid[]) AND kind = 'json' AND sha256 = $2 LIMIT 1`,
      [runIds, sha256],
    );
    const row = rows[0];
    return row ? { key: row.key, size: Number(row.size), sha256, mediaType: JSON_MEDIA_TYPE } : null;
  }

  private async upload(bytes: Buffer, target: JsonTarget): Promise<UploadedObject> {
    return await this.artifacts.upload(target.origin, Readable.from([bytes], { objectMode: false }), {
      mediaType: JSON_MEDIA_TYPE,
      what: target.what,
      maxBytes: this.config.maxJsonBytes,
      limitName: MAX_JSON_SETTING,
      ...(target.signal ? { signal: target.signal } : {}),
    });
  }

  /**
   * A column's value: inline (unwrapped), or read through its reference. Throws ArtifactMissing when
   * no `json` artifact of `namespace` holds the object, ArtifactStoreError when the store fails or
   * returns other bytes.
   */
  async read(namespace: string, column: unknown, db: Queryable = this.pool): Promise<unknown> {
    if (!isJsonRef(column)) return unescapeJson(column);
    return unescapeJson(JSON.parse(await this.text(db, namespace, column)) as unknown);
  }

  private async text(db: Queryable, namespace: string, ref: JsonRef): Promise<string> {
    const { rows } = await db.query<{ size: string; sha256: string }>(
      `SELECT size, sha256 FROM openclaw.artifact WHERE object_key = $1 AND namespace = $2 AND kind = 'json' LIMIT 1`,
      [ref.key, namespace],
    );
    const held = rows[0];
    if (!held) {
      throw new TaskError(FAILURES.ArtifactMissing, `large JSON value ${ref.key} is not held by any artifact of namespace ${namespace}`, {
        retryable: false,
      });
    }
    const cached = this.texts.get(held.sha256);
    if (cached !== undefined) return cached;
    const text = await this.fetch(ref.key, Number(held.size), held.sha256);
    this.texts.put(held.sha256, text, Number(held.size));
    return text;
  }

  /** Reads an object whole (at most OPENCLAW_MAX_JSON_BYTES) and checks its size and digest. */
  private async fetch(key: string, size: number, sha256: string): Promise<string> {
    const max = Math.max(size, 0);
    const chunks: Buffer[] = [];
    let got = 0;
    const hash = createHash('sha256');
    for await (const chunk of await this.artifacts.open(key)) {
      const buf = chunk as Buffer;
      got += buf.length;
      if (got > max || got > this.config.maxJsonBytes) throw storeError(`large JSON value ${key} has more than its ${size} bytes`);
      hash.update(buf);
      chunks.push(buf);
    }
    if (got !== size || hash.digest('hex') !== sha256)
      throw storeError(`large JSON value ${key} is damaged: ${got} bytes read, ${size} expected, or its sha256 differs`);
    return Buffer.concat(chunks, got).toString('utf8');
  }
}
