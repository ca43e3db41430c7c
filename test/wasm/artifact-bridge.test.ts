/**
 * The host side of the `artifacts` import (engine/executors/wasm/artifact-bridge.ts) driven as the
 * sandbox thread drives it: a request, then the answer in the shared memory. What a sandbox does
 * end to end is in artifacts.test.ts; this covers what a skill rarely does (reading backwards, a
 * read past the end, asking for more than a chunk) and a store that stops taking bytes.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArtifactBridge } from '../../engine/executors/wasm/artifact-bridge.js';
import { createWasmExecutor } from '../../engine/executors/wasm/index.js';
import { waitFor } from '../helpers/engine.js';
import { copyComponent, resolved } from './components.js';
import { wasmInvocation } from './invocation.js';
import { ARTIFACT_CHUNK_BYTES, BRIDGE, type ArtifactRequest } from '../../engine/executors/wasm/sandbox-protocol.js';
import type { TaskArtifacts } from '../../engine/executors/types.js';

const MiB = 1024 * 1024;
const bytes = Buffer.alloc(3 * MiB);
for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 12)) & 0xff;

/** An input `in` (3 MiB, streamed in 64 KiB pieces) counting how often it is opened; outputs kept in memory. */
function memoryArtifacts() {
  const opened: number[] = [];
  const written = new Map<string, Buffer>();
  const artifacts: TaskArtifacts = {
    inputs: [{ id: 'a', name: 'in', size: bytes.length, sha256: '', mediaType: 'application/octet-stream' }],
    outputs: [{ name: 'out', mediaType: 'application/octet-stream', optional: false }],
    open: (name) => {
      opened.push(opened.length + 1);
      if (name !== 'in') return Promise.reject(new Error('no such input'));
      const pieces = [];
      for (let at = 0; at < bytes.length; at += 64 * 1024) pieces.push(bytes.subarray(at, at + 64 * 1024));
      return Promise.resolve(Readable.from(pieces));
    },
    write: async (name, body) => {
      const parts: Buffer[] = [];
      for await (const c of body) parts.push(c as Buffer);
      written.set(name, Buffer.concat(parts));
      return { size: 0, sha256: '' };
    },
  };
  return { artifacts, opened, written };
}

/** Sends a request as the sandbox thread would and waits for the answer. */
async function call(bridge: ArtifactBridge, request: ArtifactRequest): Promise<{ bytes: string } | { error: string }> {
  const { control, data } = bridge.sandboxData();
  const state = new Int32Array(control);
  Atomics.store(state, BRIDGE.STATE, BRIDGE.PENDING);
  bridge.handle(request);
  await waitFor(() => Promise.resolve(Atomics.load(state, BRIDGE.STATE) === BRIDGE.ANSWERED), 5_000, 1);
  const answer = Atomics.load(state, BRIDGE.ANSWER);
  const view = Buffer.from(new Uint8Array(data));
  return answer >= 0 ? { bytes: digest(view.subarray(0, answer)) } : { error: view.subarray(0, -answer - 1).toString() };
}

/** Compared by size and digest (a deep comparison of MiBs is slow). */
const digest = (b: Buffer) => `${b.length}:${createHash('sha256').update(b).digest('hex')}`;

const read = (offset: number, len: number, name = 'in'): ArtifactRequest => ({
  t: 'artifact',
  op: 'read',
  name,
  offset: BigInt(offset),
  len,
});

describe('the artifacts bridge (host side)', () => {
  it('reads forward from one open stream, reopens to go back, gives at most 1 MiB a call and nothing past the end', async () => {
    const { artifacts, opened } = memoryArtifacts();
    const bridge = new ArtifactBridge(artifacts, 'test@1.0.0');
    expect(await call(bridge, read(0, 100))).toEqual({ bytes: digest(bytes.subarray(0, 100)) });
    expect(await call(bridge, read(100, 5 * MiB))).toEqual({ bytes: digest(bytes.subarray(100, 100 + ARTIFACT_CHUNK_BYTES)) });
    // Skipping forward keeps the stream.
    expect(await call(bridge, read(2 * MiB + 7, 10))).toEqual({ bytes: digest(bytes.subarray(2 * MiB + 7, 2 * MiB + 17)) });
    expect(opened).toEqual([1]);
    // Going back opens the artifact again.
    expect(await call(bridge, read(50, 10))).toEqual({ bytes: digest(bytes.subarray(50, 60)) });
    expect(opened).toEqual([1, 2]);
    expect(await call(bridge, read(3 * MiB - 4, 100))).toEqual({ bytes: digest(bytes.subarray(3 * MiB - 4)) });
    expect(await call(bridge, read(3 * MiB, 100))).toEqual({ bytes: digest(Buffer.alloc(0)) });
    await bridge.close();
  });

  it('appends written chunks to the output in order; a failed call answers with its message and is kept', async () => {
    const { artifacts, written } = memoryArtifacts();
    const bridge = new ArtifactBridge(artifacts, 'test@1.0.0');
    const { data } = bridge.sandboxData();
    for (const text of ['one,', 'two,', 'three']) {
      new Uint8Array(data).set(Buffer.from(text));
      expect(await call(bridge, { t: 'artifact', op: 'write', name: 'out', len: text.length })).toEqual({ bytes: digest(Buffer.alloc(0)) });
    }
    expect(await call(bridge, { t: 'artifact', op: 'write', name: 'out', len: ARTIFACT_CHUNK_BYTES + 1 })).toEqual({
      error: expect.stringContaining('over the chunk limit of 1048576 bytes (1 MiB): write in chunks') as unknown,
    });
    // Once a call failed, every later call answers with that failure.
    expect(await call(bridge, read(0, 10))).toEqual({ error: expect.stringContaining('over the chunk limit') as unknown });
    await expect(bridge.close()).rejects.toMatchObject({ name: 'InvalidTask', retryable: false });
    expect(written.get('out')?.toString()).toBe('one,two,three');
  });
});

describe('a skill waiting for the store', () => {
  it('is stopped at the step timeout while blocked in a write; its upload is abandoned', async () => {
    const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'oc-wasm-bridge-'));
    try {
      const skill = resolved(await copyComponent(), { name: 'copy', version: '1.0.0' });
      const exec = createWasmExecutor({ cacheDir, resolveSkill: () => Promise.resolve(skill) });
      const { artifacts } = memoryArtifacts();
      // A store that never reads: the first 1 MiB chunk waits for room forever.
      let upload: { body: Readable; settled: boolean } | undefined;
      artifacts.write = (_name, body) =>
        new Promise((_resolve, reject) => {
          const u = { body, settled: false };
          upload = u;
          body.once('close', () => {
            u.settled = true;
            reject(new Error('the body was destroyed'));
          });
        });
      const started = exec.execute(wasmInvocation({ skill: 'copy@1' }, null, { timeoutMs: 3_000, artifacts }));
      await expect(started).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(upload?.settled).toBe(true);
      await waitFor(async () => exec.activeSandboxes === 0, 5_000);
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});
