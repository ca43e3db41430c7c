/**
 * The artifact store in a local directory (the default; `.openclaw/artifacts` in `openclaw dev`,
 * OPENCLAW_ARTIFACT_DIR elsewhere). An object is written to a temporary file beside its final
 * name, fsynced, then renamed into place, so a reader never sees half an object and a crash leaves
 * at most a `.part` file (swept with its object row). Several processes may share the directory
 * (one machine, or a shared volume).
 */
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Meter, storeError, type ArtifactStore, type GetOptions, type PutOptions, type StoredObject } from './store.js';

/** Object keys are relative paths of safe segments (service.ts builds them); anything else is refused. */
const SAFE_KEY = /^[A-Za-z0-9._=-]+(\/[A-Za-z0-9._=-]+)*$/;
/** An upload in progress (or left by a crash): `<name>.<12 hex>.part` beside the object's name. */
const PART = /^(.+)\.[0-9a-f]{12}\.part$/;

export class FsArtifactStore implements ArtifactStore {
  readonly kind = 'fs' as const;
  readonly location: string;

  constructor(private readonly root: string) {
    this.location = path.resolve(root);
  }

  private pathOf(key: string): string {
    if (!SAFE_KEY.test(key) || key.split('/').some((s) => s === '.' || s === '..'))
      throw storeError(`invalid artifact object key ${JSON.stringify(key)}`);
    return path.join(this.location, key);
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<StoredObject> {
    const file = this.pathOf(key);
    const part = `${file}.${randomBytes(6).toString('hex')}.part`;
    const meter = new Meter(options.maxBytes, options);
    try {
      await fs.mkdir(path.dirname(file), { recursive: true });
      const out = createWriteStream(part, { flags: 'wx' });
      await pipeline(body, meter, out, options.signal ? { signal: options.signal } : {});
      const handle = await fs.open(part, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(part, file);
      return meter.result();
    } catch (err) {
      await fs.rm(part, { force: true }).catch(() => undefined);
      if ((err as { name?: string }).name === 'ArtifactTooLarge' || options.signal?.aborted) throw err;
      throw storeError(`could not write artifact object ${key} to ${this.location}: ${(err as Error).message}`, err);
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    const file = this.pathOf(key);
    try {
      const handle = await fs.open(file, 'r');
      return handle.createReadStream({
        autoClose: true,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.range ? { start: options.range.start, end: options.range.end } : {}),
      });
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      throw storeError(`${missing ? 'missing' : 'unreadable'} artifact object ${key} in ${this.location}: ${(err as Error).message}`, err);
    }
  }

  /** Deletes the objects, and what a crashed upload left beside each (`<name>.<random>.part`). */
  async delete(keys: string[]): Promise<void> {
    const byDir = new Map<string, Set<string>>();
    for (const key of keys) {
      const file = this.pathOf(key);
      const names = byDir.get(path.dirname(file)) ?? new Set<string>();
      names.add(path.basename(file));
      byDir.set(path.dirname(file), names);
    }
    for (const [dir, names] of byDir) {
      const entries = await fs.readdir(dir).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [];
        throw storeError(`could not list ${dir} to delete artifact objects: ${err.message}`, err);
      });
      for (const entry of entries) {
        const part = PART.exec(entry);
        if (names.has(entry) || (part && names.has(part[1]!))) await fs.rm(path.join(dir, entry), { force: true });
      }
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await fs.access(this.pathOf(key));
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {}
}
