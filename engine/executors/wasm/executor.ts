/**
 * The `wasm` task kind: `wasm: { skill: name@range, memory? }` runs a skill from the registry.
 *
 * Per task: resolve the skill (injected: executors never touch the database), validate the input
 * against the skill's input schema, prepare the component (transpile with jco once per digest,
 * refuse imports other than `openclaw:skill/host` and `openclaw:skill/artifacts`, compile with
 * memory capped), then run one fresh instance in a new worker thread with a JS heap cap. The
 * thread is terminated at the timeout and when the task's signal aborts; output is capped and
 * validated against the output schema. The skill reads and writes the step's artifacts through
 * the `artifacts` import (artifact-bridge.ts).
 */
import { FAILURES } from '../../vocabulary/failures.js';
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { NonRetryableError, TaskError } from '../../errors.js';
import { describeBytes, parseByteSize } from '../../spec/size.js';
import type { Executor, TaskInvocation } from '../types.js';
import { SkillLoader, type PreparedSkill } from './loader.js';
import type { SandboxFailure, SandboxMessage, WorkerData } from './sandbox-protocol.js';
import { ArtifactBridge } from './artifact-bridge.js';
import { compileSkillSchema } from '../../skills/manifest.js';
import { parseSkillRef } from '../../skills/semver.js';
import type { ResolveSkill, ResolvedSkill } from './types.js';
import { workerEntry } from './worker-entry.js';

export interface WasmLimits {
  /** Linear memory cap per memory for a task that sets no `wasm.memory` (bytes). */
  defaultMemoryBytes: number;
  /** The most a task's `wasm.memory` may ask for (bytes). */
  maxMemoryBytes: number;
  /** JS heap (V8 old generation) of a sandbox thread, in MiB. */
  heapLimitMb: number;
  /** Largest output (the JSON text a skill returns), bytes. */
  maxOutputBytes: number;
  /** Timeout for a task whose step sets none (ms). */
  defaultTimeoutMs: number;
  /** Log bytes forwarded from a sandbox (the step log keeps its own cap). */
  maxLogBytes: number;
}

export const DEFAULT_WASM_LIMITS: WasmLimits = {
  defaultMemoryBytes: 256 * 1024 ** 2,
  maxMemoryBytes: 1024 ** 3,
  heapLimitMb: 128,
  maxOutputBytes: 1024 * 1024,
  defaultTimeoutMs: 60_000,
  maxLogBytes: 1024 * 1024,
};

export interface WasmExecutorOptions {
  resolveSkill: ResolveSkill;
  /** Where transpiled components are cached (per sha256). */
  cacheDir: string;
  limits?: Partial<WasmLimits>;
}

export interface WasmExecutor extends Executor {
  /** Sandbox threads alive right now. */
  readonly activeSandboxes: number;
  readonly loader: SkillLoader;
}

export function createWasmExecutor(options: WasmExecutorOptions): WasmExecutor {
  const limits: WasmLimits = { ...DEFAULT_WASM_LIMITS, ...options.limits };
  const loader = new SkillLoader({ cacheDir: options.cacheDir });
  const validators = new Map<string, { input: ValidateFunction | null; output: ValidateFunction | null }>();
  const live = new Set<Worker>();

  // Compiled once per distinct pair of schemas.
  const schemasOf = (skill: ResolvedSkill) => {
    const key = createHash('sha256')
      .update(JSON.stringify([skill.manifest.inputSchema ?? null, skill.manifest.outputSchema ?? null]))
      .digest('hex');
    let v = validators.get(key);
    if (!v) {
      v = { input: compileSkillSchema(skill.manifest.inputSchema), output: compileSkillSchema(skill.manifest.outputSchema) };
      validators.set(key, v);
      if (validators.size > 256) validators.delete(validators.keys().next().value as string);
    }
    return v;
  };

  async function execute(inv: TaskInvocation): Promise<unknown> {
    const spec = inv.spec ?? {};
    const ref = typeof spec.skill === 'string' ? parseSkillRef(spec.skill) : null;
    if (!ref) {
      throw new NonRetryableError(
        'InvalidTask',
        `wasm.skill must be name@range (e.g. csv-to-json@1, json-transform@^1.2, pii-redact@1.0.0), got ${JSON.stringify(spec.skill)}`,
      );
    }
    const memoryLimitBytes = memoryLimitOf(spec.memory, limits);
    if (spec.fuel !== undefined) inv.stepLog.write('wasm.fuel is not metered by this runtime; the step timeout bounds CPU time', 'log');
    const skill = await options.resolveSkill(ref.name, ref.range.text, inv.namespace);
    if (!skill) throw new NonRetryableError('UnknownSkill', `no registered skill matches ${ref.text} (register it with POST /v1/skills)`);
    const label = `${skill.name}@${skill.version}`;
    const schemas = schemasOf(skill);
    if (schemas.input && !schemas.input(inv.input)) {
      throw new NonRetryableError('InvalidInput', `input for skill ${label} ${schemaErrorText(schemas.input.errors, '/input')}`);
    }
    const inputJson = JSON.stringify(inv.input ?? null);
    const prepared = await loader.prepare({ sha256: skill.sha256, loadComponent: skill.loadComponent, label }, memoryLimitBytes);
    const entryUrl = await workerEntry(options.cacheDir);
    const bridge = new ArtifactBridge(inv.artifacts, label);
    let outputJson: string;
    try {
      outputJson = await runSandbox(entryUrl, prepared, inputJson, label, inv, bridge);
    } catch (err) {
      // A failed artifact call is the cause when there is one (the skill may have failed because
      // of it). Taken before abort(), whose stopped streams fail the calls still in flight.
      const cause = bridge.failure ?? err;
      await bridge.abort(err instanceof Error ? err : new Error(String(err)));
      throw cause;
    }
    await bridge.close();
    let output: unknown;
    try {
      output = JSON.parse(outputJson);
    } catch (err) {
      throw new NonRetryableError('InvalidOutput', `skill ${label} returned text that is not JSON: ${(err as Error).message}`);
    }
    if (schemas.output && !schemas.output(output)) {
      throw new NonRetryableError('InvalidOutput', `output of skill ${label} ${schemaErrorText(schemas.output.errors, '/output')}`);
    }
    return output;
  }

  function runSandbox(
    entryUrl: URL,
    prepared: PreparedSkill,
    input: string,
    label: string,
    inv: TaskInvocation,
    bridge: ArtifactBridge,
  ): Promise<string> {
    const timeoutMs = inv.timeoutMs ?? limits.defaultTimeoutMs;
    const data: WorkerData = {
      mode: 'run',
      glueUrl: prepared.glueUrl,
      modules: prepared.modules,
      input,
      memoryLimitBytes: prepared.memoryLimitBytes,
      maxOutputBytes: limits.maxOutputBytes,
      maxLogBytes: limits.maxLogBytes,
      artifacts: bridge.sandboxData(),
    };
    return new Promise<string>((resolve, reject) => {
      if (inv.signal.aborted) {
        reject(
          inv.signal.reason instanceof Error ? inv.signal.reason : new TaskError('Cancelled', 'the task was aborted before it started'),
        );
        return;
      }
      const worker = new Worker(entryUrl, {
        workerData: data,
        resourceLimits: { maxOldGenerationSizeMb: limits.heapLimitMb, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
        env: {},
        execArgv: [],
        argv: [],
        stdout: true,
        stderr: true,
      });
      live.add(worker);
      // The thread's own stdout/stderr carry nothing of the guest's (it has no stdio); drain them.
      worker.stdout.resume();
      worker.stderr.resume();
      let settled = false;
      const finish = (err: Error | null, output?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        inv.signal.removeEventListener('abort', onAbort);
        void worker.terminate();
        if (err) reject(err);
        else resolve(output ?? 'null');
      };
      const timer = setTimeout(() => {
        finish(new TaskError(FAILURES.Timeout, `skill ${label} ran past its timeout of ${timeoutMs} ms and was stopped`));
      }, timeoutMs);
      const onAbort = () => {
        const reason: unknown = inv.signal.reason;
        finish(reason instanceof Error ? reason : new TaskError('Cancelled', `skill ${label} was stopped: ${String(reason)}`));
      };
      inv.signal.addEventListener('abort', onAbort, { once: true });
      worker.on('message', (m: SandboxMessage) => {
        // Nothing from a thread whose attempt is over (timed out, aborted) reaches the step.
        if (settled) return;
        if (m.t === 'log') {
          inv.stepLog.write(`[${m.level}] ${m.message}`, 'log');
          return;
        }
        if (m.t === 'artifact') {
          bridge.handle(m);
          return;
        }
        if (m.ok) finish(null, m.output);
        else finish(failureError(m.failure, label, prepared.memoryLimitBytes, limits));
      });
      worker.on('error', (err: Error & { code?: string }) => {
        if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
          finish(
            new NonRetryableError(
              'MemoryLimitExceeded',
              `skill ${label} exceeded the sandbox's JS heap limit of ${limits.heapLimitMb} MiB (OPENCLAW_WASM_HEAP_LIMIT_MB)`,
            ),
          );
        } else {
          finish(new NonRetryableError('WasmError', `skill ${label}: ${err.message}`));
        }
      });
      worker.on('exit', (code) => {
        live.delete(worker);
        finish(new NonRetryableError('WasmError', `skill ${label}: the sandbox thread exited (code ${code}) without a result`));
      });
    });
  }

  return {
    kinds: ['wasm'],
    execute,
    loader,
    get activeSandboxes() {
      return live.size;
    },
  };
}

function failureError(f: SandboxFailure, label: string, memoryLimitBytes: number, limits: WasmLimits): TaskError {
  switch (f.kind) {
    case 'skill':
      return new TaskError(f.name, f.message, { retryable: f.retryable });
    case 'output-too-large':
      return new NonRetryableError(
        'OutputTooLarge',
        `skill ${label} returned ${describeBytes(f.bytes)} of output, over the limit of ${describeBytes(limits.maxOutputBytes)} (OPENCLAW_WASM_MAX_OUTPUT_BYTES)`,
      );
    case 'trap':
      if (f.memoryExhausted) {
        return new NonRetryableError(
          'MemoryLimitExceeded',
          `skill ${label} ran out of memory: it trapped (${f.message}) with ${describeBytes(f.memoryBytes)} of linear memory, ` +
            `its limit being ${describeBytes(memoryLimitBytes)}; ` +
            `raise the step's wasm.memory (at most ${describeBytes(limits.maxMemoryBytes)}, OPENCLAW_WASM_MAX_MEMORY_BYTES)`,
        );
      }
      return new NonRetryableError('WasmTrap', `skill ${label} trapped: ${f.message}`);
    case 'load':
      return new NonRetryableError('InvalidSkill', `skill ${label} cannot be instantiated: ${f.message}`);
  }
}

function memoryLimitOf(value: unknown, limits: WasmLimits): number {
  if (value === undefined || value === null) return limits.defaultMemoryBytes;
  let bytes: number;
  try {
    bytes = parseByteSize(value as string | number);
  } catch (err) {
    throw new NonRetryableError('InvalidTask', `wasm.memory: ${(err as Error).message}`);
  }
  if (bytes > limits.maxMemoryBytes) {
    throw new NonRetryableError(
      'InvalidTask',
      `wasm.memory ${describeBytes(bytes)} is over this worker's limit of ${describeBytes(limits.maxMemoryBytes)} (OPENCLAW_WASM_MAX_MEMORY_BYTES)`,
    );
  }
  if (bytes < 65_536) throw new NonRetryableError('InvalidTask', `wasm.memory must be at least 64Ki (one WebAssembly page)`);
  return bytes;
}

function schemaErrorText(errors: ErrorObject[] | null | undefined, root: string): string {
  const first = errors?.[0];
  if (!first) return 'does not match its schema';
  const where = `${root}${first.instancePath}`;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return `does not match the skill's schema: ${where} ${first.message ?? first.keyword}${more}`;
}
