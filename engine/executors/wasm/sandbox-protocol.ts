/** Messages between the wasm executor and its sandbox worker threads (types only). */

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
}

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
