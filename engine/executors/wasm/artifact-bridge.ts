/**
 * The host side of a skill's `artifacts` import (wasm-skills/wit/skill.wit; docs/artifacts.md,
 * "WASM skills"), one per attempt, in the executor's thread.
 *
 * The guest's calls are synchronous, but store I/O is not, and the sandbox runs in its own thread:
 * the sandbox thread posts a request and blocks in `Atomics.wait` on a SharedArrayBuffer
 * (sandbox-artifacts.ts); this side does the I/O on its event loop and answers through the same
 * memory. Memory stays bounded whatever the artifact's size:
 *
 * - read: at most ARTIFACT_CHUNK_BYTES (1 MiB) a call, copied straight from the store's stream into
 *   the shared buffer. Each input keeps one open stream and its position, so reading forward (the
 *   usual pattern) streams the artifact once; a read before the position opens it again and skips.
 * - write: appends one chunk (at most 1 MiB) to a PassThrough that `TaskArtifacts.write` streams
 *   into the store. The call is answered only once the stream has taken the chunk ('drain'), so at
 *   most about one chunk per output is in flight. The store's meter enforces
 *   OPENCLAW_ARTIFACT_MAX_BYTES (ArtifactTooLarge).
 *
 * A failed call (an input or output the step does not declare, a chunk over 1 MiB, an upload that
 * failed) answers the guest with `err(message)` so it can stop, and is kept: the attempt fails with
 * that error even if the skill carries on (executor.ts). When the skill returns, `close()` ends the
 * outputs and waits for their uploads.
 */
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { NonRetryableError, TaskError } from '../../errors.js';
import { describeBytes } from '../../spec/size.js';
import type { TaskArtifacts } from '../types.js';
import { ARTIFACT_CHUNK_BYTES, BRIDGE, type ArtifactBridgeData, type ArtifactRequest } from './sandbox-protocol.js';

export class ArtifactBridge {
  private readonly control = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  private readonly data = new SharedArrayBuffer(ARTIFACT_CHUNK_BYTES);
  private readonly controlView = new Int32Array(this.control);
  private readonly dataView = new Uint8Array(this.data);
  private readonly readers = new Map<string, InputReader>();
  private readonly writers = new Map<string, OutputWriter>();
  private served: Promise<void> = Promise.resolve();
  private closed = false;
  /** The first failed call: the attempt fails with it. */
  failure: Error | null = null;

  constructor(
    private readonly artifacts: TaskArtifacts,
    /** `name@version`, for messages. */
    private readonly label: string,
  ) {}

  /** What the sandbox thread is started with. */
  sandboxData(): ArtifactBridgeData {
    return { control: this.control, data: this.data, inputs: this.artifacts.inputs.map((i) => ({ name: i.name, size: i.size })) };
  }

  /** Serves one request of the sandbox thread, which waits, blocked, for the answer. */
  handle(request: ArtifactRequest): void {
    // The thread sends one request at a time; chaining keeps that order whatever happens.
    this.served = this.served.then(async () => this.answer(await this.serve(request)));
  }

  private async serve(request: ArtifactRequest): Promise<number> {
    try {
      if (this.failure) throw this.failure;
      if (this.closed) throw new TaskError('Cancelled', 'the attempt is over');
      return request.op === 'read'
        ? await this.read(request.name, request.offset, request.len)
        : await this.write(request.name, request.len);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.failure ??= error;
      const bytes = Buffer.from(error.message.slice(0, 4096));
      this.dataView.set(bytes.subarray(0, this.dataView.length));
      return -Math.min(bytes.length, this.dataView.length) - 1;
    }
  }

  private answer(value: number): void {
    Atomics.store(this.controlView, BRIDGE.ANSWER, value);
    Atomics.store(this.controlView, BRIDGE.STATE, BRIDGE.ANSWERED);
    Atomics.notify(this.controlView, BRIDGE.STATE);
  }

  private async read(name: string, offsetBig: bigint, len: number): Promise<number> {
    const input = this.artifacts.inputs.find((i) => i.name === name);
    if (!input) throw this.undeclared('in', name);
    const offset = Number(offsetBig);
    if (offset >= input.size || len <= 0) return 0;
    let reader = this.readers.get(name);
    if (!reader || reader.position > offset) {
      reader?.destroy();
      reader = new InputReader(await this.artifacts.open(name));
      this.readers.set(name, reader);
    }
    await reader.skipTo(offset);
    return await reader.readInto(this.dataView, Math.min(len, ARTIFACT_CHUNK_BYTES));
  }

  private async write(name: string, len: number): Promise<number> {
    if (!this.artifacts.outputs.some((o) => o.name === name)) {
      throw this.undeclared('out', name);
    }
    if (len > ARTIFACT_CHUNK_BYTES) {
      throw new NonRetryableError(
        'InvalidTask',
        `skill ${this.label} wrote ${describeBytes(len)} to artifact ${name} in one call, over the chunk limit of ` +
          `${describeBytes(ARTIFACT_CHUNK_BYTES)}: write in chunks (writeArtifact in wasm-skills/lib/skill.js does)`,
      );
    }
    let writer = this.writers.get(name);
    if (!writer) {
      writer = new OutputWriter(this.artifacts, name);
      this.writers.set(name, writer);
    }
    // A copy: the shared buffer is reused by the next call.
    await writer.write(Buffer.from(this.dataView.subarray(0, len)));
    return 0;
  }

  /** A name the step does not declare under `artifacts.<key>`, with the ones it does. */
  private undeclared(key: 'in' | 'out', name: string): Error {
    const [did, verb, list] =
      key === 'in' ? ['read input', 'have', this.artifacts.inputs] : ['wrote output', 'declare', this.artifacts.outputs];
    return new NonRetryableError(
      'InvalidTask',
      `skill ${this.label} ${did} artifact ${JSON.stringify(name)}, which this step does not ${verb} ` +
        `(its ${key === 'in' ? 'inputs' : 'outputs'}: ${list.map((d) => d.name).join(', ') || 'none'}); ` +
        `declare it under the step's artifacts.${key}`,
    );
  }

  /**
   * The skill returned: ends every output and waits for its upload. Throws the first failure (of
   * a call, or of an upload).
   */
  async close(): Promise<void> {
    await this.served;
    this.closed = true;
    for (const r of this.readers.values()) r.destroy();
    const ends = await Promise.allSettled([...this.writers.values()].map((w) => w.end()));
    if (this.failure) throw this.failure;
    for (const e of ends) if (e.status === 'rejected') throw e.reason;
  }

  /** The attempt ended otherwise (failed, timed out, aborted): stops every stream and upload. */
  async abort(reason: Error): Promise<void> {
    this.closed = true;
    for (const r of this.readers.values()) r.destroy();
    await Promise.all([...this.writers.values()].map((w) => w.abort(reason)));
  }
}

/** One input artifact, read forward. */
class InputReader {
  position = 0;
  private leftover: Buffer | null = null;
  private readonly chunks: AsyncIterator<Buffer>;

  constructor(private readonly stream: Readable) {
    this.chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  private async next(): Promise<Buffer | null> {
    if (this.leftover) {
      const b = this.leftover;
      this.leftover = null;
      return b;
    }
    const r = await this.chunks.next();
    return r.done ? null : r.value;
  }

  /** Discards bytes up to `offset` (the caller opens a new reader to go back). */
  async skipTo(offset: number): Promise<void> {
    while (this.position < offset) {
      const b = await this.next();
      if (!b) return;
      const need = offset - this.position;
      if (b.length > need) this.leftover = b.subarray(need);
      this.position += Math.min(b.length, need);
    }
  }

  /** Copies up to `len` bytes into `target` (fewer at the end). */
  async readInto(target: Uint8Array, len: number): Promise<number> {
    let n = 0;
    while (n < len) {
      const b = await this.next();
      if (!b) break;
      const take = Math.min(b.length, len - n);
      target.set(b.subarray(0, take), n);
      if (take < b.length) this.leftover = b.subarray(take);
      n += take;
    }
    this.position += n;
    return n;
  }

  destroy(): void {
    this.stream.destroy();
  }
}

/** One output artifact: the chunks the skill appends, streamed into the store. */
class OutputWriter {
  private readonly stream = new PassThrough();
  private readonly upload: Promise<void>;
  private error: Error | null = null;

  constructor(artifacts: TaskArtifacts, name: string) {
    // Errors reach us through the upload's promise; this keeps a stream destroyed before the store
    // took it (an attempt aborted during the upload's first query) from being an uncaught error.
    this.stream.on('error', () => undefined);
    this.upload = artifacts.write(name, this.stream).then(
      () => undefined,
      (err: unknown) => {
        this.error = err instanceof Error ? err : new Error(String(err));
        this.stream.destroy();
        throw this.error;
      },
    );
    // Settled in end() or abort(); a failure also reaches the next write.
    this.upload.catch(() => undefined);
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.error) throw this.error;
    if (!this.stream.write(chunk)) {
      const stop = new AbortController();
      try {
        await Promise.race([once(this.stream, 'drain', { signal: stop.signal }), this.upload]);
      } catch (err) {
        throw this.error ?? err;
      } finally {
        stop.abort();
      }
    }
    if (this.error) throw this.error;
  }

  async end(): Promise<void> {
    this.stream.end();
    await this.upload;
  }

  async abort(reason: Error): Promise<void> {
    this.stream.destroy(reason);
    await this.upload.catch(() => undefined);
  }
}
