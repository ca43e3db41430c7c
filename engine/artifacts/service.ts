/**
 * Artifact objects and their rows (docs/artifacts.md). `upload` is the only way bytes get into the
 * store: it writes the object's row first (autocommit), then streams the bytes, then records their
 * size and digest, so the store never holds an object PostgreSQL does not know of (but for an upload
 * in progress) and the sweep (sweep.ts) can delete anything nothing references. Attaching an object
 * to a run (an `artifact` row) is the fenced completion's job (runs/complete.ts), in its
 * transaction: an upload whose attempt lost its lease is never attached, and the sweep removes it.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type pg from 'pg';
import type { EngineConfig } from '../config.js';
import type { Logger } from '../telemetry/logger.js';
import { FsArtifactStore } from './fs-store.js';
import { S3ArtifactStore } from './s3-store.js';
import { storeError, type ArtifactStore, type GetOptions, type PutOptions, type StoredObject } from './store.js';

/** Who uploads an object: the attempt (step and lease token), or nobody in particular (a run's input). */
export interface ObjectOrigin {
  namespace: string;
  runId: string;
  stepId: string | null;
  leaseToken: string | null;
}

/** An object in the store, not attached to anything yet. */
export interface UploadedObject extends StoredObject {
  key: string;
  mediaType: string;
}

/** What a completion attaches: an uploaded object under a name (`kind` json: a large output kept by reference). */
export interface ProducedArtifact extends UploadedObject {
  name: string;
  kind: 'file' | 'json';
}

export type UploadOptions = Omit<PutOptions, 'maxBytes' | 'limitName'> & Partial<Pick<PutOptions, 'maxBytes' | 'limitName'>>;

/** The store this configuration names (the S3 store loads the AWS SDK on first use, not here). */
export function openArtifactStore(config: EngineConfig): ArtifactStore {
  if (config.artifactStore === 's3') {
    return new S3ArtifactStore({
      bucket: config.artifactS3Bucket,
      prefix: config.artifactS3Prefix,
      endpoint: config.artifactS3Endpoint,
      forcePathStyle: config.artifactS3ForcePathStyle,
      region: config.artifactS3Region,
    });
  }
  return new FsArtifactStore(config.artifactDir);
}

export class ArtifactService {
  constructor(
    private readonly pool: pg.Pool,
    readonly store: ArtifactStore,
    private readonly config: EngineConfig,
    private readonly log: Logger,
  ) {}

  /** Streams `body` into a new object of the store (capped at OPENCLAW_ARTIFACT_MAX_BYTES unless told otherwise). */
  async upload(origin: ObjectOrigin, body: Readable, options: UploadOptions): Promise<UploadedObject> {
    const key = `${origin.namespace}/${origin.runId}/${origin.stepId ?? 'run'}/${randomUUID()}`;
    await this.pool.query(
      `INSERT INTO openclaw.artifact_object (key, namespace, run_id, step_id, lease_token) VALUES ($1, $2, $3, $4, $5)`,
      [key, origin.namespace, origin.runId, origin.stepId, origin.leaseToken],
    );
    const stored = await this.store.put(key, body, {
      maxBytes: this.config.artifactMaxBytes,
      limitName: 'OPENCLAW_ARTIFACT_MAX_BYTES',
      ...options,
    });
    const { rowCount } = await this.pool.query(
      `UPDATE openclaw.artifact_object SET size = $2, sha256 = $3, stored_at = now() WHERE key = $1`,
      [key, stored.size, stored.sha256],
    );
    if (rowCount === 0) {
      // The sweep took the row (an upload that outlived OPENCLAW_ARTIFACT_SWEEP_GRACE_MS unattached,
      // e.g. a zombie's): the object would be known to nobody, so it goes too.
      await this.store.delete([key]);
      throw storeError(`artifact object ${key} was swept while it was uploaded (it outlived OPENCLAW_ARTIFACT_SWEEP_GRACE_MS)`);
    }
    this.log.debug({ key, size: stored.size, runId: origin.runId }, 'artifact object stored');
    return { key, mediaType: options.mediaType, ...stored };
  }

  /** The bytes of an object (or of a range of it). */
  open(key: string, signal?: AbortSignal, range?: GetOptions['range']): Promise<Readable> {
    return this.store.get(key, { ...(signal ? { signal } : {}), ...(range ? { range } : {}) });
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
