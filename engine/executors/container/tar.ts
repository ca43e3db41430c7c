/**
 * The tar streams that move artifacts through the Docker archive API, on `tar-stream` (the format
 * is its business), streamed both ways: nothing holds a whole file.
 *
 * - `packTar`: directories and files of known size, each file opened when the archive reaches it.
 *   A file whose source gives fewer or more bytes than its declared size fails the stream: a
 *   truncated object never reaches a container as if whole.
 * - `readTar`: the entries of an archive the daemon produced, one at a time, each with its body
 *   as a stream. Regular-file bytes count against a budget; past it the body (and the iteration)
 *   fail with the caller's error, so reading stops a chunk after the limit whatever the archive
 *   holds. A body the caller leaves unread is skipped (still counted) before the next entry.
 */
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

export interface PackEntry {
  /** Relative path inside the archive (`in/data`); directories without the trailing slash. */
  path: string;
  type: 'dir' | 'file';
  mode: number;
  uid: number;
  gid: number;
  /** Files: the exact number of bytes `open` gives. */
  size?: number;
  open?: () => Promise<Readable>;
}

/** A tar stream of `entries`, read lazily (each file is opened when the archive reaches it). */
export function packTar(entries: PackEntry[]): Readable {
  const pack = tar.pack();
  const write = async (): Promise<void> => {
    for (const e of entries) {
      const owner = { mode: e.mode, uid: e.uid, gid: e.gid };
      if (e.type === 'dir') {
        pack.entry({ name: `${e.path}/`, type: 'directory', ...owner });
        continue;
      }
      const size = e.size ?? 0;
      const source = e.open ? await e.open() : Readable.from([]);
      // tar-stream fails the entry ("Size mismatch") when the source's length is not `size`.
      await pipeline(source, pack.entry({ name: e.path, type: 'file', size, ...owner }));
    }
    pack.finalize();
  };
  write().catch((err: unknown) => pack.destroy(err as Error));
  return Readable.from(pack, { objectMode: false });
}

export interface TarEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
  /** The entry's bytes. Read it to its end, or leave it: the next iteration skips what is left. */
  body: Readable;
}

export interface ReadOptions {
  /** Regular-file bytes allowed in the whole archive. */
  maxFileBytes: number;
  /** The error to fail with once more than `maxFileBytes` passed (given how many did). */
  tooLarge: (bytes: number) => Error;
}

const KINDS: Record<string, TarEntry['type']> = { file: 'file', 'contiguous-file': 'file', directory: 'dir', symlink: 'symlink' };

/** The entries of the tar stream `source`, one at a time (see the module comment). */
export async function* readTar(source: Readable, options: ReadOptions): AsyncGenerator<TarEntry> {
  const extract = tar.extract();
  source.on('error', (err) => extract.destroy(err));
  source.pipe(extract);
  let fileBytes = 0;
  try {
    for await (const entry of extract) {
      const { name, type, size = 0 } = entry.header;
      const kind = KINDS[type ?? 'file'] ?? 'other';
      const body = new Transform({
        transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
          if (kind === 'file') fileBytes += chunk.length;
          done(fileBytes > options.maxFileBytes ? options.tooLarge(fileBytes) : null, chunk);
        },
      });
      entry.on('error', (err: Error) => body.destroy(err));
      entry.pipe(body);
      yield { path: name.replace(/^\.\//, '').replace(/\/+$/, ''), type: kind, size, body };
      // Whatever the caller left is read (and counted) before the next entry.
      if (!body.readableEnded) {
        if (body.destroyed && !body.errored) throw new Error(`tar entry ${name} was abandoned before its end`);
        body.resume();
      }
      await finished(body);
    }
  } finally {
    extract.destroy();
    source.destroy();
  }
}
