/**
 * One contract, two stores: the directory store and the S3 store against a real S3-compatible
 * server (s3rver, started here; test/helpers/s3-server.ts). put/get/exists/delete, a ranged get,
 * a missing object, a stream larger than one multipart part, the size cap (ArtifactTooLarge, nothing
 * left under the key), and a failing body.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsArtifactStore } from '../../engine/artifacts/fs-store.js';
import { S3ArtifactStore } from '../../engine/artifacts/s3-store.js';
import type { ArtifactStore, PutOptions } from '../../engine/artifacts/store.js';
import { startS3Server, type S3Server } from '../helpers/s3-server.js';

const MiB = 1024 * 1024;
const opts = (maxBytes = 100 * MiB): PutOptions => ({
  mediaType: 'application/octet-stream',
  maxBytes,
  what: 'artifact blob of step test',
  limitName: 'OPENCLAW_ARTIFACT_MAX_BYTES',
});
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** `n` bytes in 64 KiB chunks, each chunk's bytes its index (a stream, never one buffer). */
function chunks(n: number): Readable {
  return Readable.from(
    (function* () {
      for (let off = 0, i = 0; off < n; off += 65536, i++) yield Buffer.alloc(Math.min(65536, n - off), i % 251);
    })(),
  );
}
const expected = async (n: number): Promise<Buffer> => await buffer(chunks(n));

interface StoreCase {
  name: string;
  store: () => ArtifactStore;
  /** What the backend holds, whatever its kind (files; objects), for "nothing left behind". */
  leftovers: () => Promise<string[]>;
  /** The requests a multipart upload made (s3 only). */
  multipart?: () => { started: number; parts: number; aborted: number };
}

let dir: string;
let s3: S3Server;
let fsStore: FsArtifactStore;
let s3Store: S3ArtifactStore;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'openclaw-store-'));
  fsStore = new FsArtifactStore(dir);
  s3 = await startS3Server({ prefix: 'tenant-a/' });
  s3Store = new S3ArtifactStore({
    bucket: s3.bucket,
    prefix: 'tenant-a/',
    endpoint: s3.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
  });
});

afterAll(async () => {
  await fsStore?.close();
  await s3Store?.close();
  await s3?.close();
  rmSync(dir, { recursive: true, force: true });
});

const walk = (d: string): string[] =>
  readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));

/** Object keys in the bucket, through the store's own client class (a real ListObjectsV2). */
async function bucketKeys(): Promise<string[]> {
  const { S3Client, ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1' });
  try {
    const res = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
    return (res.Contents ?? []).map((c) => c.Key ?? '');
  } finally {
    client.destroy();
  }
}

const count = (re: RegExp): number => s3.requests.filter((r) => re.test(r)).length;

const cases: StoreCase[] = [
  { name: 'directory store', store: () => fsStore, leftovers: async () => walk(dir).map((f) => path.relative(dir, f)) },
  {
    name: 'S3 store (s3rver)',
    store: () => s3Store,
    leftovers: bucketKeys,
    multipart: () => ({
      started: count(/^POST \?uploads(&x-id)?$/),
      parts: count(/^PUT \?partNumber&uploadId(&x-id)?$/),
      aborted: count(/^DELETE \?uploadId(&x-id)?$/),
    }),
  },
];

describe.each(cases)('$name', (c) => {
  const key = (): string => `ns/${randomUUID()}/step/${randomUUID()}`;

  it('put streams in and reports size and SHA-256; get, a range, exists and delete', async () => {
    const store = c.store();
    const k = key();
    const body = Buffer.from('hello, artifacts');
    expect(await store.put(k, Readable.from([body]), opts())).toEqual({ size: 16, sha256: sha(body) });
    expect(await store.exists(k)).toBe(true);
    expect((await buffer(await store.get(k))).toString()).toBe('hello, artifacts');
    expect((await buffer(await store.get(k, { range: { start: 7, end: 15 } }))).toString()).toBe('artifacts');
    await store.delete([k, key()]); // a key that does not exist is no error
    expect(await store.exists(k)).toBe(false);
    await store.delete([k]);
  });

  it('an empty object is an object', async () => {
    const store = c.store();
    const k = key();
    expect(await store.put(k, Readable.from([]), opts())).toEqual({ size: 0, sha256: sha(Buffer.alloc(0)) });
    expect((await buffer(await store.get(k))).length).toBe(0);
    await store.delete([k]);
  });

  it('a missing object is a clear, retryable ArtifactStoreError naming the object', async () => {
    const k = key();
    const err = await c
      .store()
      .get(k)
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toMatchObject({ name: 'ArtifactStoreError', retryable: true });
    expect((err as Error).message).toMatch(/^missing artifact object /);
    expect((err as Error).message).toContain(k);
  });

  it('a stream larger than one part goes up in parts and comes back whole', async () => {
    const store = c.store();
    const k = key();
    const before = c.multipart?.();
    const size = 12 * MiB + 123;
    const want = await expected(size);
    expect(await store.put(k, chunks(size), opts())).toEqual({ size, sha256: sha(want) });
    if (c.multipart && before) {
      const after = c.multipart();
      // 5 MiB parts: 5 + 5 + 2 MiB, one multipart upload, nothing aborted.
      expect({
        started: after.started - before.started,
        parts: after.parts - before.parts,
        aborted: after.aborted - before.aborted,
      }).toEqual({
        started: 1,
        parts: 3,
        aborted: 0,
      });
    }
    const got = await buffer(await store.get(k));
    expect([got.length, sha(got)]).toEqual([size, sha(want)]);
    await store.delete([k]);
  });

  it('refuses an object over the cap (ArtifactTooLarge naming the limit) and leaves nothing under its key', async () => {
    const store = c.store();
    const before = c.multipart?.();
    const leftBefore = await c.leftovers();
    for (const [size, cap] of [
      [64 * 1024, 1000],
      [12 * MiB, 7 * MiB],
    ] as const) {
      const k = key();
      const err = await store.put(k, chunks(size), opts(cap)).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ name: 'ArtifactTooLarge', retryable: false });
      expect((err as Error).message).toMatch(
        new RegExp(`^artifact blob of step test is over the limit of ${cap} bytes \\(OPENCLAW_ARTIFACT_MAX_BYTES; raise it`),
      );
      expect(await store.exists(k)).toBe(false);
    }
    expect(await c.leftovers()).toEqual(leftBefore);
    if (c.multipart && before) {
      // The large one had started a multipart upload (one 5 MiB part sent): it was aborted, so S3 drops the part.
      const after = c.multipart();
      expect([after.started - before.started, after.aborted - before.aborted]).toEqual([1, 1]);
    }
  });

  it('a body that fails midway fails the put and leaves nothing', async () => {
    const store = c.store();
    const k = key();
    const leftBefore = await c.leftovers();
    const failing = Readable.from(
      (function* () {
        yield Buffer.alloc(6 * MiB, 1);
        throw new Error('the producer died');
      })(),
    );
    const err = await store.put(k, failing, opts()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ name: 'ArtifactStoreError', retryable: true });
    expect((err as Error).message).toContain('the producer died');
    expect(await store.exists(k)).toBe(false);
    expect(await c.leftovers()).toEqual(leftBefore);
  });
});

describe('directory store', () => {
  it('deleting an object also deletes what a crashed upload of it left (`<key>.<random>.part`), and nothing else', async () => {
    const k = `ns/${randomUUID()}/step/${randomUUID()}`;
    await fsStore.put(k, Readable.from([Buffer.from('x')]), opts());
    const other = `ns/${randomUUID()}/step/x.json`;
    await fsStore.put(other, Readable.from([Buffer.from('y')]), opts());
    writeFileSync(path.join(dir, `${k}.0123456789ab.part`), 'half');
    writeFileSync(path.join(dir, `${other}.0123456789ab.part`), 'half');
    await fsStore.delete([k]);
    expect(walk(path.join(dir, path.dirname(k)))).toEqual([]);
    await fsStore.delete([other]);
    expect(walk(path.join(dir, path.dirname(other)))).toEqual([]);
  });
});

describe('S3 store configuration', () => {
  it('names the bucket and key in its errors (an unknown bucket)', async () => {
    const store = new S3ArtifactStore({ bucket: 'no-such-bucket', prefix: '', endpoint: s3.endpoint, forcePathStyle: true, region: '' });
    try {
      const err = await store.put('a/b', Readable.from([Buffer.from('x')]), opts()).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ name: 'ArtifactStoreError', retryable: true });
      expect((err as Error).message).toMatch(/^could not write artifact object to s3:\/\/no-such-bucket\/a\/b: NoSuchBucket/);
      expect(store.location).toBe(`s3://no-such-bucket at ${s3.endpoint}`);
    } finally {
      await store.close();
    }
  });

  it('keeps objects under the prefix', async () => {
    const k = `ns/${randomUUID()}`;
    await s3Store.put(k, Readable.from([Buffer.from('p')]), opts());
    expect(await bucketKeys()).toContain(`tenant-a/${k}`);
    expect(s3Store.location).toBe(`s3://${s3.bucket}/tenant-a at ${s3.endpoint}`);
    await s3Store.delete([k]);
    expect(await bucketKeys()).not.toContain(`tenant-a/${k}`);
  });
});
