/**
 * The little of the tar format that moving artifacts through the Docker archive API needs, streamed
 * both ways with a bounded buffer (one chunk of the source at a time; nothing holds a whole file):
 *
 * - `packTar`: directories and files of known size (ustar headers; a PAX header carries a name
 *   over 100 bytes or a size of 8 GiB or more). A file body that is shorter or longer than its
 *   declared size fails the stream: a truncated object never reaches a container as if whole.
 * - `readTar`: the entries of an archive the daemon produced (Go's archive/tar: ustar, PAX and GNU
 *   long names, base-256 sizes), each with its body as a stream. Regular-file bytes count against a
 *   budget; past it the body (and the iteration) fail with the caller's error, so reading stops a
 *   chunk after the limit whatever the archive holds.
 */
import { Readable } from 'node:stream';

const BLOCK = 512;
const ZERO = Buffer.alloc(BLOCK);
/** The largest size the 11 octal digits of a ustar header hold. */
const USTAR_MAX_SIZE = 0o77777777777;
/** A PAX or GNU long-name header larger than this is refused (names are at most PATH_MAX). */
const MAX_META_BYTES = 1024 * 1024;

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

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** `<length> <key>=<value>\n`, where the length counts the whole record, its own digits included. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const n = Buffer.byteLength(body);
  let digits = 1;
  while (String(n + digits).length !== digits) digits++;
  return `${n + digits}${body}`;
}

function header(name: string, type: string, size: number, e: Pick<PackEntry, 'mode' | 'uid' | 'gid'>): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(e.mode & 0o7777, 8), 100, 'ascii');
  h.write(octal(e.uid, 8), 108, 'ascii');
  h.write(octal(e.gid, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(Math.floor(Date.now() / 1000), 12), 136, 'ascii');
  h.write(type, 156, 'ascii');
  h.write('ustar\u000000', 257, 'binary');
  h.fill(' ', 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

const padding = (size: number): Buffer => ZERO.subarray(0, (BLOCK - (size % BLOCK)) % BLOCK);

/** The headers of one entry: a PAX header first when the name or the size does not fit ustar. */
function headers(e: PackEntry): Buffer[] {
  const size = e.type === 'file' ? (e.size ?? 0) : 0;
  const name = e.type === 'dir' ? `${e.path}/` : e.path;
  let pax = '';
  if (Buffer.byteLength(name) > 100) pax += paxRecord('path', name);
  if (size > USTAR_MAX_SIZE) pax += paxRecord('size', String(size));
  const main = header(
    Buffer.from(name).subarray(0, 100).toString('utf8'),
    e.type === 'dir' ? '5' : '0',
    size > USTAR_MAX_SIZE ? 0 : size,
    e,
  );
  if (!pax) return [main];
  const body = Buffer.from(pax);
  return [header('PaxHeader', 'x', body.length, e), body, padding(body.length), main];
}

async function* packEntries(entries: PackEntry[]): AsyncGenerator<Buffer> {
  for (const e of entries) {
    yield* headers(e);
    if (e.type !== 'file') continue;
    const size = e.size ?? 0;
    let sent = 0;
    const body = await (e.open ?? (() => Promise.resolve(Readable.from([]))))();
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        sent += chunk.length;
        if (sent > size) throw new Error(`${e.path}: the source gave more than the ${size} bytes expected`);
        yield chunk;
      }
    } finally {
      body.destroy();
    }
    if (sent !== size) throw new Error(`${e.path}: the source ended after ${sent} of ${size} bytes`);
    yield padding(size);
  }
  yield ZERO;
  yield ZERO;
}

/** A tar stream of `entries`, read lazily (each file is opened when the archive reaches it). */
export function packTar(entries: PackEntry[]): Readable {
  return Readable.from(packEntries(entries), { objectMode: false });
}

export interface TarEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
  /** The entry's bytes. Read it to its end, or leave it: the next iteration skips what is left. */
  body: Readable;
}

/** Reads exact amounts from a byte stream without holding more than the current chunk. */
class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<Buffer>;

  constructor(source: AsyncIterable<Buffer>) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    while (this.buf.length === 0) {
      const r = await this.it.next();
      if (r.done) return false;
      this.buf = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    }
    return true;
  }

  /** Up to `max` bytes (at least one); throws at the end of the stream. */
  async some(max: number): Promise<Buffer> {
    if (!(await this.fill())) throw new Error('the archive ended in the middle of an entry');
    const take = this.buf.subarray(0, Math.min(max, this.buf.length));
    this.buf = this.buf.subarray(take.length);
    return take;
  }

  /** Exactly `n` bytes, or null at a clean end of the stream before the first. */
  async exact(n: number): Promise<Buffer | null> {
    if (!(await this.fill())) return null;
    const parts: Buffer[] = [];
    for (let got = 0; got < n;) {
      const b = await this.some(n - got);
      parts.push(b);
      got += b.length;
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }

  async skip(n: number, each?: (bytes: number) => void): Promise<void> {
    for (let left = n; left > 0;) {
      const b = await this.some(left);
      each?.(b.length);
      left -= b.length;
    }
  }

  async close(): Promise<void> {
    await this.it.return?.();
  }
}

function text(block: Buffer, start: number, len: number): string {
  const field = block.subarray(start, start + len);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? len : end).toString('utf8');
}

function number(block: Buffer, start: number, len: number): number {
  const first = block[start] ?? 0;
  if (first & 0x80) {
    // GNU base-256: big-endian, the first byte's high bit is the marker.
    let n = first & 0x7f;
    for (let i = 1; i < len; i++) n = n * 256 + (block[start + i] ?? 0);
    return n;
  }
  const s = text(block, start, len).trim();
  return s ? parseInt(s, 8) : 0;
}

function checksumOk(block: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (block[i] ?? 0);
  return sum === number(block, 148, 8);
}

/** The records of a PAX header (lengths are in bytes, so the buffer is parsed, not a string). */
function paxFields(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  for (let at = 0; at < data.length;) {
    const space = data.indexOf(0x20, at);
    const len = space < 0 ? NaN : parseInt(data.toString('ascii', at, space), 10);
    if (!(len > 0) || at + len > data.length) break;
    const record = data.toString('utf8', space + 1, at + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    at += len;
  }
  return out;
}

export interface ReadOptions {
  /** Regular-file bytes allowed in the whole archive. */
  maxFileBytes: number;
  /** The error to fail with once more than `maxFileBytes` passed (given how many did). */
  tooLarge: (bytes: number) => Error;
}

/** The entries of the tar stream `source`, one at a time (see the module comment). */
export async function* readTar(source: Readable, options: ReadOptions): AsyncGenerator<TarEntry> {
  const reader = new ByteReader(source);
  let fileBytes = 0;
  const count = (n: number): void => {
    fileBytes += n;
    if (fileBytes > options.maxFileBytes) throw options.tooLarge(fileBytes);
  };
  let longName: string | null = null;
  let pax = new Map<string, string>();
  try {
    for (;;) {
      const block = await reader.exact(BLOCK);
      if (block === null || block.equals(ZERO)) return;
      if (!checksumOk(block)) throw new Error('not a tar archive (bad header checksum)');
      const type = String.fromCharCode(block[156] ?? 0);
      let size = number(block, 124, 12);
      if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
        if (size > MAX_META_BYTES) throw new Error(`a tar metadata header of ${size} bytes`);
        const data = await reader.exact(size + padding(size).length);
        if (data === null) throw new Error('the archive ended after a metadata header');
        if (type === 'x') pax = paxFields(data.subarray(0, size));
        if (type === 'L') longName = text(data, 0, size);
        continue;
      }
      const prefix = block.subarray(257, 262).toString('binary') === 'ustar' ? text(block, 345, 155) : '';
      let path = pax.get('path') ?? longName ?? (prefix ? `${prefix}/${text(block, 0, 100)}` : text(block, 0, 100));
      if (pax.has('size')) size = Number(pax.get('size'));
      pax = new Map();
      longName = null;
      path = path.replace(/^\.\//, '').replace(/\/+$/, '');
      const kind: TarEntry['type'] =
        type === '0' || type === '\0' || type === '7' ? 'file' : type === '5' ? 'dir' : type === '2' ? 'symlink' : 'other';
      // Links, devices, directories and FIFOs have no data whatever their size field says.
      const dataBytes = '123456'.includes(type) ? 0 : size;
      const state = { left: dataBytes, pending: null as Promise<void> | null };
      const body = new Readable({
        highWaterMark: 64 * 1024,
        read() {
          if (state.left === 0) return void this.push(null);
          state.pending = reader
            .some(Math.min(state.left, 64 * 1024))
            .then((b) => {
              state.left -= b.length;
              count(b.length);
              if (!this.destroyed) this.push(b);
              if (state.left === 0 && !this.destroyed) this.push(null);
            })
            .catch((err: unknown) => void this.destroy(err as Error))
            .finally(() => (state.pending = null));
        },
      });
      yield { path, type: kind, size, body };
      // Whatever the consumer left: wait for a read in flight, then skip the rest (still counted).
      while (state.pending) await state.pending;
      body.destroy();
      await reader.skip(state.left, count);
      await reader.skip(padding(dataBytes).length);
    }
  } finally {
    await reader.close();
    source.destroy();
  }
}
