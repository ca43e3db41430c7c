/**
 * Messages between the wasm executor and its sandbox worker threads, and the layout of the
 * artifact bridge they share (artifact-bridge.ts). Only types and constants: the sandbox thread
 * imports this module too.
 */

/** What a worker thread is started with: run a skill, or transpile a component (off the main thread). */
export type WorkerData = ({ mode: 'run' } & SandboxData) | ({ mode: 'transpile' } & TranspileData);

export interface TranspileData {
  /** file: URL of @bytecodealliance/jco's API module. */
  jcoUrl: string;
  component: Uint8Array;
}

export type TranspileMessage =
  | { t: 'transpiled'; wit: string; imports: string[]; files: Record<string, Uint8Array> }
  | { t: 'transpile-failed'; stage: 'inspect' | 'transpile'; message: string };

export interface SandboxData {
  /** file: URL of jco's transpiled glue module (instantiation mode). */
  glueUrl: string;
  /** The component's core modules, compiled with their memories capped. */
  modules: Record<string, WasmModule>;
  /** The step's input as JSON text. */
  input: string;
  memoryLimitBytes: number;
  maxOutputBytes: number;
  /** Log lines past this many bytes are not forwarded (the step log keeps its own cap). */
  maxLogBytes: number;
  /** The memory shared with the host side of the `artifacts` import. */
  artifacts: ArtifactBridgeData;
}

/** The imports a skill may have, as jco's glue names them (without versions; inspect.ts checks the versions). */
export const GLUE_IMPORTS = { host: 'openclaw:skill/host', artifacts: 'openclaw:skill/artifacts' } as const;

/** The most bytes one `artifacts.read` returns or one `artifacts.write` takes (wasm-skills/wit/skill.wit). */
export const ARTIFACT_CHUNK_BYTES = 1024 * 1024;

/**
 * The synchronous bridge behind the `artifacts` import (docs/artifacts.md, "WASM skills"). The
 * sandbox thread sets `control[STATE]` to PENDING, posts an `ArtifactRequest` and blocks in
 * `Atomics.wait`; the executor's thread does the (async) store I/O, puts the answer in
 * `control[ANSWER]` (and bytes in `data`), sets ANSWERED and notifies. An answer n >= 0 is success
 * with n bytes in `data` (read); n < 0 is an error whose UTF-8 message is the first -n - 1 bytes.
 */
export const BRIDGE = { STATE: 0, ANSWER: 1, PENDING: 0, ANSWERED: 1 } as const;

export interface ArtifactBridgeData {
  /** Two Int32 slots: BRIDGE.STATE and BRIDGE.ANSWER. */
  control: SharedArrayBuffer;
  /** ARTIFACT_CHUNK_BYTES: a read's bytes, a write's chunk, an error's message. */
  data: SharedArrayBuffer;
  /** The step's input artifacts (for `size`, answered without a round trip). */
  inputs: Array<{ name: string; size: number }>;
}

/** A call of the `artifacts` import, posted by the sandbox thread (which then waits for the answer). */
export type ArtifactRequest =
  | { t: 'artifact'; op: 'read'; name: string; offset: bigint; len: number }
  /** The chunk is in `data` (unless `len` is over ARTIFACT_CHUNK_BYTES: then it is refused). */
  | { t: 'artifact'; op: 'write'; name: string; len: number };

export type SandboxFailure =
  /** The skill returned its typed error. */
  | { kind: 'skill'; name: string; message: string; retryable: boolean }
  /** The guest trapped (unreachable, out-of-bounds, failed allocation...) or the glue threw. */
  | { kind: 'trap'; message: string; memoryExhausted: boolean; /** The largest linear memory's size. */ memoryBytes: number }
  | { kind: 'output-too-large'; bytes: number }
  /** The component could not be instantiated. */
  | { kind: 'load'; message: string };

export type SandboxMessage =
  | { t: 'log'; level: string; message: string }
  | ArtifactRequest
  | { t: 'done'; ok: true; output: string }
  | { t: 'done'; ok: false; failure: SandboxFailure };

/**
 * The part of the WebAssembly JS API the executor uses. Node has it at runtime; TypeScript's
 * ES2023 lib (without "dom") does not declare it, so it is typed here instead of globally.
 */
export interface WasmModule {
  readonly __wasmModule?: never;
}
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
export interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: Record<string, unknown>): Promise<WasmInstance>;
  Memory: abstract new (...args: never[]) => WasmMemory;
}
