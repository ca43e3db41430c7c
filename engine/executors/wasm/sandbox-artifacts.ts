/**
 * The `artifacts` import as the guest sees it, inside the sandbox thread: synchronous functions
 * over the shared bridge (sandbox-protocol.ts, BRIDGE). Each read or write posts one request and
 * blocks in `Atomics.wait` until the executor's thread answers; `size` is answered from the list
 * of inputs the thread was started with. This file imports only sandbox-protocol.ts: the executor
 * may run it from a transpiled copy (worker-entry.ts).
 */
import { ARTIFACT_CHUNK_BYTES, BRIDGE, type ArtifactBridgeData, type ArtifactRequest } from './sandbox-protocol.js';

/** A `result` as jco's glue takes it from an import. */
type Result<T> = { tag: 'ok'; val: T } | { tag: 'err'; val: string };

export interface ArtifactImports {
  size(name: string): bigint | undefined;
  read(name: string, offset: bigint, len: number): Result<Uint8Array>;
  write(name: string, chunk: Uint8Array): Result<undefined>;
}

export function artifactImports(bridge: ArtifactBridgeData, post: (request: ArtifactRequest) => void): ArtifactImports {
  const control = new Int32Array(bridge.control);
  const data = new Uint8Array(bridge.data);
  const sizes = new Map(bridge.inputs.map((i) => [i.name, i.size]));
  const decoder = new TextDecoder();

  /** Posts `request` and waits for its answer: n >= 0 bytes in `data`, or an error message. */
  function call(request: ArtifactRequest): { ok: true; bytes: number } | { ok: false; message: string } {
    Atomics.store(control, BRIDGE.STATE, BRIDGE.PENDING);
    post(request);
    // No timeout: the executor terminates this thread at the step's timeout, which ends the wait.
    while (Atomics.load(control, BRIDGE.STATE) === BRIDGE.PENDING) Atomics.wait(control, BRIDGE.STATE, BRIDGE.PENDING);
    const answer = Atomics.load(control, BRIDGE.ANSWER);
    if (answer >= 0) return { ok: true, bytes: answer };
    return { ok: false, message: decoder.decode(data.slice(0, -answer - 1)) };
  }

  return {
    size(name) {
      const size = sizes.get(String(name));
      return size === undefined ? undefined : BigInt(size);
    },
    read(name, offset, len) {
      const answer = call({ t: 'artifact', op: 'read', name: String(name), offset, len: Math.min(len, ARTIFACT_CHUNK_BYTES) });
      // A view of the shared buffer: jco's glue copies it into the guest's memory before the next call.
      return answer.ok ? { tag: 'ok', val: data.subarray(0, answer.bytes) } : { tag: 'err', val: answer.message };
    },
    write(name, chunk) {
      if (chunk.length <= ARTIFACT_CHUNK_BYTES) data.set(chunk);
      const answer = call({ t: 'artifact', op: 'write', name: String(name), len: chunk.length });
      return answer.ok ? { tag: 'ok', val: undefined } : { tag: 'err', val: answer.message };
    },
  };
}
