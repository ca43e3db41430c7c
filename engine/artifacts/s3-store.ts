/**
 * The artifact store in an S3-compatible bucket (OPENCLAW_ARTIFACT_STORE=s3; docs/artifacts.md,
 * "Stores"): AWS S3, MinIO, Ceph, R2, ... through `@aws-sdk/client-s3`. Bucket, key prefix,
 * endpoint, path-style addressing and region come from the configuration; credentials from the
 * SDK's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity,
 * instance and container roles).
 *
 * The SDK is loaded on first use (a dynamic import), so an engine on the directory store never
 * loads it, and `openArtifactStore` stays synchronous.
 *
 * Uploads stream: `@aws-sdk/lib-storage`'s `Upload` sends an object of up to one part with one
 * PutObject and anything larger as a multipart upload, one part in flight at a time, so an upload
 * holds about two parts in memory (5 MiB parts, the S3 minimum, unless `maxBytes` needs larger
 * ones to stay within 10,000 parts). A failed or refused upload (ArtifactTooLarge) is aborted,
 * which discards its parts: nothing is left under the key.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { FAILURES } from '../vocabulary/failures.js';
import { Meter, storeError, type ArtifactStore, type GetOptions, type PutOptions, type StoredObject } from './store.js';

export interface S3StoreOptions {
  bucket: string;
  /** Prepended to every key, as a folder: `openclaw` stores `openclaw/<key>` ('' = none). */
  prefix: string;
  /** '' = AWS. For other S3-compatible stores: `http://127.0.0.1:9000`, `https://<account>.r2.cloudflarestorage.com`, ... */
  endpoint: string;
  /** `http://endpoint/bucket/key` instead of `http://bucket.endpoint/key` (most self-hosted stores need it). */
  forcePathStyle: boolean;
  /** '' = AWS_REGION (or AWS_DEFAULT_REGION), else us-east-1. */
  region: string;
  /** Multipart part size floor (default and minimum 5 MiB, S3's smallest part). */
  partSize?: number;
}

/** S3's smallest part (but for the last) and its most parts per upload. */
const MIN_PART = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;
/** DeleteObjects takes at most this many keys a request. */
const DELETE_BATCH = 1000;

type Sdk = typeof import('@aws-sdk/client-s3');
type Storage = typeof import('@aws-sdk/lib-storage');

interface Loaded {
  sdk: Sdk;
  storage: Storage;
  client: S3Client;
}

const statusOf = (err: unknown): number | undefined => (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
const isMissing = (err: unknown): boolean =>
  statusOf(err) === 404 || ['NoSuchKey', 'NotFound'].includes((err as { name?: string }).name ?? '');

export class S3ArtifactStore implements ArtifactStore {
  readonly kind = 's3' as const;
  readonly location: string;
  private readonly prefix: string;
  private loaded: Promise<Loaded> | null = null;

  constructor(private readonly options: S3StoreOptions) {
    this.prefix = options.prefix.replace(/^\/+|\/+$/g, '');
    this.location = `s3://${options.bucket}${this.prefix ? `/${this.prefix}` : ''}${options.endpoint ? ` at ${options.endpoint}` : ''}`;
  }

  private objectKey(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  /** What an error message names: `s3://bucket/prefix/key`. */
  private where(key: string): string {
    return `s3://${this.options.bucket}/${this.objectKey(key)}`;
  }

  private load(): Promise<Loaded> {
    this.loaded ??= (async () => {
      const [sdk, storage] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]);
      const o = this.options;
      const client = new sdk.S3Client({
        region: o.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1',
        forcePathStyle: o.forcePathStyle,
        ...(o.endpoint
          ? {
              endpoint: o.endpoint,
              // Other S3-compatible stores do not all know the newer checksum headers; we hash the bytes ourselves.
              requestChecksumCalculation: 'WHEN_REQUIRED' as const,
              responseChecksumValidation: 'WHEN_REQUIRED' as const,
            }
          : {}),
      });
      return { sdk, storage, client };
    })();
    return this.loaded;
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<StoredObject> {
    const meter = new Meter(options.maxBytes, options);
    let upload: InstanceType<Storage['Upload']> | null = null;
    const onAbort = (): void => void upload?.abort().catch(() => undefined);
    try {
      const { storage, client } = await this.load();
      upload = new storage.Upload({
        client,
        params: { Bucket: this.options.bucket, Key: this.objectKey(key), Body: meter, ContentType: options.mediaType },
        partSize: Math.max(this.options.partSize ?? MIN_PART, MIN_PART, Math.ceil(options.maxBytes / MAX_PARTS)),
        queueSize: 1,
        leavePartsOnError: false,
      });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      // Both must settle: a body that fails or is too large fails the meter, which fails the upload
      // (its parts are discarded); an upload that fails stops reading, so it destroys the meter too.
      const sending = upload.done().catch((err: unknown) => {
        meter.destroy(err as Error);
        throw err;
      });
      const reading = pipeline(body, meter, options.signal ? { signal: options.signal } : {});
      const [read, sent] = await Promise.allSettled([reading, sending]);
      if (read.status === 'rejected') {
        if (sent.status === 'fulfilled') await this.deleteQuietly(key); // the whole body was sent before it failed
        throw read.reason;
      }
      if (sent.status === 'rejected') throw sent.reason;
      return meter.result();
    } catch (err) {
      body.destroy();
      if ((err as { name?: string }).name === FAILURES.ArtifactTooLarge || options.signal?.aborted) throw err;
      throw storeError(`could not write artifact object to ${this.where(key)}: ${messageOf(err)}`, err);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  private async deleteQuietly(key: string): Promise<void> {
    await this.delete([key]).catch(() => undefined);
  }

  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    try {
      const { sdk, client } = await this.load();
      const res = await client.send(
        new sdk.GetObjectCommand({
          Bucket: this.options.bucket,
          Key: this.objectKey(key),
          ...(options.range ? { Range: `bytes=${options.range.start}-${options.range.end}` } : {}),
        }),
        options.signal ? { abortSignal: options.signal } : {},
      );
      // In Node the body is the response stream itself (an IncomingMessage): nothing is buffered.
      return res.Body as Readable;
    } catch (err) {
      const missing = isMissing(err);
      throw storeError(`${missing ? 'missing' : 'unreadable'} artifact object ${this.where(key)}: ${messageOf(err)}`, err);
    }
  }

  async delete(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    const { sdk, client } = await this.load().catch((err: unknown) => {
      throw storeError(`could not load the S3 client: ${messageOf(err)}`, err);
    });
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      let res;
      try {
        res = await client.send(
          new sdk.DeleteObjectsCommand({
            Bucket: this.options.bucket,
            Delete: { Objects: batch.map((k) => ({ Key: this.objectKey(k) })), Quiet: true },
          }),
        );
      } catch (err) {
        throw storeError(`could not delete ${batch.length} artifact objects from ${this.location}: ${messageOf(err)}`, err);
      }
      // A key that does not exist is not an error (S3 reports none for it).
      const failed = (res.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length > 0) {
        const first = failed[0]!;
        throw storeError(
          `could not delete ${failed.length} artifact objects from ${this.location}, e.g. s3://${this.options.bucket}/${first.Key ?? '?'}: ${first.Code ?? ''} ${first.Message ?? ''}`.trim(),
        );
      }
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      const { sdk, client } = await this.load();
      await client.send(new sdk.HeadObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }));
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw storeError(`could not look up artifact object ${this.where(key)}: ${messageOf(err)}`, err);
    }
  }

  async close(): Promise<void> {
    const loaded = this.loaded;
    this.loaded = null;
    if (loaded) (await loaded.catch(() => null))?.client.destroy();
  }
}

/** The SDK's errors: `NoSuchBucket: The specified bucket does not exist`, `connect ECONNREFUSED ...`. */
function messageOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { Code?: string; code?: string }).Code ?? (err as { code?: string }).code;
  const name = err.name && err.name !== 'Error' ? err.name : code;
  return name && !err.message.startsWith(name) ? `${name}: ${err.message}` : err.message || String(name);
}
