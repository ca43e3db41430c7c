/**
 * The artifact store: where artifact bytes live (docs/artifacts.md). Two implementations, one
 * interface: a local directory (fs-store.ts; the default, under `.openclaw/` in dev) and any
 * S3-compatible bucket (s3-store.ts). The store knows nothing about runs: keys in, bytes out.
 * Metadata (who produced what, sizes, digests, which run holds it) lives in PostgreSQL
 * (migrations/0018_artifacts.sql, service.ts).
 *
 * Every write streams: `put` reads its body once, counting bytes and hashing as they pass, and
 * refuses the object (deleting what it wrote) once it passes `maxBytes`. Nothing holds a whole
 * object in memory.
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { TaskError } from '../errors.js';
import { FAILURES } from '../vocabulary/failures.js';

export interface PutOptions {
  mediaType: string;
  /** Refuse the object past this many bytes (ArtifactTooLarge, named with `what` and `limitName`). */
  maxBytes: number;
  /** What the object is, for the error message ("artifact model of step train"). */
  what: string;
  /** The setting that raises `maxBytes`, for the error message ("OPENCLAW_ARTIFACT_MAX_BYTES"). */
  limitName: string;
  signal?: AbortSignal;
}

export interface GetOptions {
  signal?: AbortSignal;
  /** Only these bytes (inclusive offsets, within the object): a download's `Range`. */
  range?: { start: number; end: number };
}

export interface StoredObject {
  size: number;
  /** Lower-case hex SHA-256 of the bytes. */
  sha256: string;
}

export interface ArtifactStore {
  /** `fs` or `s3`, for logs and `GET /v1/stats`-style diagnostics. */
  readonly kind: 'fs' | 's3';
  /** Where it is, for messages (`/data/.openclaw/artifacts`, `s3://bucket/prefix`). */
  readonly location: string;
  /** Streams `body` into `key`. Resolves once the object is durable; on any failure nothing is left under `key`. */
  put(key: string, body: Readable, options: PutOptions): Promise<StoredObject>;
  /** A stream of the object's bytes. Throws ArtifactStoreError (`missing: true` in the message) if there is none. */
  get(key: string, options?: GetOptions): Promise<Readable>;
  /** Deletes objects; keys that do not exist are not an error. */
  delete(keys: string[]): Promise<void>;
  /** Whether an object exists under `key` (tests, sweeps). */
  exists(key: string): Promise<boolean>;
  /** Releases clients and sockets. */
  close(): Promise<void>;
}

export function tooLarge(what: string, size: number, maxBytes: number, limitName: string): TaskError {
  return new TaskError(
    FAILURES.ArtifactTooLarge,
    `${what} is over the limit of ${maxBytes} bytes (${limitName}; raise it to allow larger) after ${size} bytes`,
    { retryable: false },
  );
}

export function storeError(message: string, cause?: unknown): TaskError {
  return new TaskError(FAILURES.ArtifactStoreError, message, { retryable: true, cause });
}

/**
 * A pass-through stream that counts and hashes what flows through it and fails with
 * ArtifactTooLarge once more than `maxBytes` passed. `result()` is valid once it has ended.
 */
export class Meter extends Transform {
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private digest: string | null = null;

  constructor(
    private readonly maxBytes: number,
    private readonly describe: { what: string; limitName: string },
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      done(tooLarge(this.describe.what, this.bytes, this.maxBytes, this.describe.limitName));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.digest = this.hash.digest('hex');
    done();
  }

  result(): StoredObject {
    if (this.digest === null) throw new Error('Meter.result() before the stream ended');
    return { size: this.bytes, sha256: this.digest };
  }
}
