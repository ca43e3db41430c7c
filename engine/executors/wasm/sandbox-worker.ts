/**
 * The body of one worker thread. Mode `run` (a sandbox): instantiates one fresh instance of a
 * skill, calls `run(input)` once, posts the outcome and ends. Mode `transpile`: reads a
 * component's world and transpiles it with jco, which takes seconds of CPU that must not block
 * the worker process's event loop (heartbeats).
 * The executor terminates the thread on timeout,
 * cancel or lease loss; `resourceLimits` bound its JS heap, the memory caps compiled into the
 * modules bound WebAssembly memory.
 *
 * The component gets exactly two imports: `openclaw:skill/host` (`log`) and
 * `openclaw:skill/artifacts` (the step's artifacts, through the bridge of sandbox-artifacts.ts).
 * jco's glue is loaded in instantiation mode, so nothing else (no WASI shim, no file or network
 * access) is reachable from the guest. This file imports only node: builtins and its siblings
 * sandbox-artifacts.ts and sandbox-protocol.ts (jco by URL): the executor may run it from a
 * transpiled copy (worker-entry.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { artifactImports } from './sandbox-artifacts.js';
import { GLUE_IMPORTS } from './sandbox-protocol.js';
import type {
  SandboxData,
  SandboxFailure,
  SandboxMessage,
  TranspileData,
  TranspileMessage,
  WasmApi,
  WasmInstance,
  WasmMemory,
  WasmModule,
  WorkerData,
} from './sandbox-protocol.js';

const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const SKILL_EXPORT = 'openclaw:skill/skill@1.0.0';
const PAGE = 65_536;

const input = workerData as WorkerData;
const data = input as SandboxData;
const port = parentPort;
const memories: WasmMemory[] = [];
let logBytes = 0;

function post(m: SandboxMessage | TranspileMessage): void {
  port?.postMessage(m);
}

function log(level: unknown, message: unknown): void {
  if (logBytes > data.maxLogBytes) return;
  const text = String(message);
  // The line that crosses the limit is still sent, so the step log records that lines were dropped.
  logBytes += Buffer.byteLength(text) + 1;
  post({ t: 'log', level: typeof level === 'string' ? level : 'info', message: text });
}

/**
 * Whether a trap is (most likely) a failed allocation: some memory is within an eighth of its cap
 * (at least 1 MiB). The guest learns of the cap only as a failing `memory.grow`, after which
 * allocators abort (`unreachable`), and a single grow may ask for more than what is left.
 */
function memoryExhausted(): boolean {
  const slack = Math.max(16 * PAGE, data.memoryLimitBytes / 8);
  return memories.some((m) => m.buffer.byteLength + slack > data.memoryLimitBytes);
}

function memoryInUse(): number {
  return memories.reduce((n, m) => Math.max(n, m.buffer.byteLength), 0);
}

function failureOf(err: unknown): SandboxFailure {
  const payload = (err as { payload?: unknown } | null)?.payload;
  if (payload !== null && typeof payload === 'object' && 'name' in payload && 'message' in payload) {
    const p = payload as { name: unknown; message: unknown; retryable?: unknown };
    return { kind: 'skill', name: String(p.name) || 'SkillError', message: String(p.message), retryable: p.retryable === true };
  }
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { kind: 'trap', message, memoryExhausted: memoryExhausted(), memoryBytes: memoryInUse() };
}

interface SkillInstance {
  run(input: string): string | Promise<string>;
}

async function runSkill(): Promise<void> {
  let skill: SkillInstance | undefined;
  try {
    const glue = (await import(data.glueUrl)) as {
      instantiate(
        getCoreModule: (name: string) => WasmModule,
        imports: Record<string, unknown>,
        instantiateCore: (module: WasmModule, imports: Record<string, unknown>) => Promise<WasmInstance>,
      ): Promise<Record<string, SkillInstance | undefined>>;
    };
    const exports = await glue.instantiate(
      (name) => {
        const m = data.modules[name];
        if (!m) throw new Error(`the component asked for an unknown core module ${name}`);
        return m;
      },
      { [GLUE_IMPORTS.host]: { log }, [GLUE_IMPORTS.artifacts]: artifactImports(data.artifacts, post) },
      async (module, imports) => {
        const instance = await WA.instantiate(module, imports);
        for (const v of Object.values(instance.exports)) if (v instanceof WA.Memory) memories.push(v);
        return instance;
      },
    );
    skill = exports[SKILL_EXPORT];
    if (typeof skill?.run !== 'function') throw new Error(`the component does not export ${SKILL_EXPORT}#run`);
  } catch (err) {
    const failure = failureOf(err);
    post({
      t: 'done',
      ok: false,
      failure: failure.kind === 'trap' && !failure.memoryExhausted ? { kind: 'load', message: failure.message } : failure,
    });
    return;
  }
  let output: string;
  try {
    output = await skill.run(data.input);
  } catch (err) {
    post({ t: 'done', ok: false, failure: failureOf(err) });
    return;
  }
  const bytes = Buffer.byteLength(output);
  if (bytes > data.maxOutputBytes) {
    post({ t: 'done', ok: false, failure: { kind: 'output-too-large', bytes } });
    return;
  }
  post({ t: 'done', ok: true, output });
}

interface Jco {
  componentWit(bytes: Uint8Array): Promise<string>;
  transpile(
    bytes: Uint8Array,
    options: Record<string, unknown>,
  ): Promise<{ files: Record<string, Uint8Array>; imports: string[]; exports: Array<[string, string]> }>;
}

async function transpileComponent(t: TranspileData): Promise<void> {
  const jco = (await import(t.jcoUrl)) as Jco;
  let wit: string;
  try {
    wit = await jco.componentWit(t.component);
  } catch (err) {
    post({ t: 'transpile-failed', stage: 'inspect', message: err instanceof Error ? err.message : String(err) });
    return;
  }
  try {
    const out = await jco.transpile(t.component, { name: 'skill', instantiation: 'async', noTypescript: true, quiet: true });
    const files = Object.fromEntries(Object.entries(out.files).filter(([name]) => !name.endsWith('.d.ts')));
    post({ t: 'transpiled', wit, imports: out.imports, files });
  } catch (err) {
    post({ t: 'transpile-failed', stage: 'transpile', message: err instanceof Error ? err.message : String(err) });
  }
}

if (input.mode === 'transpile') await transpileComponent(input);
else await runSkill();
