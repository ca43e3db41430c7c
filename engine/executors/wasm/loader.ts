/**
 * Turns a skill's component into what a sandbox worker instantiates: jco's transpiled glue (one
 * ES module, `instantiation: 'async'`, so every import is supplied by us) and its core modules,
 * compiled here with their memories capped. The transpiled files are cached on disk per component
 * digest (`<cacheDir>/<sha256>/`), the compiled modules in memory per digest and memory cap
 * (compiled code is shared with worker threads, not recompiled per task).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { NonRetryableError } from '../../errors.js';
import { describeBytes } from '../../spec/size.js';
import { capMemories, MemoryMinimumTooLarge, WASM_PAGE_BYTES } from './binary.js';
import { Worker } from 'node:worker_threads';
import {
  componentHeaderProblem,
  forbiddenImportMessage,
  forbiddenImports,
  parseWorld,
  SKILL_EXPORT,
  type ComponentShape,
} from './inspect.js';
import { GLUE_IMPORTS, type TranspileMessage, type WasmApi, type WasmModule, type WorkerData } from './sandbox-protocol.js';
import { jcoUrl, workerEntry } from './worker-entry.js';

const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Bump when the cached layout or transpile options change: old entries are then ignored. */
const CACHE_FORMAT = 1;
const GLUE = 'skill.js';

export interface SkillComponentSource {
  sha256: string;
  /** Called only when the digest is not cached yet. */
  loadComponent(): Promise<Uint8Array>;
  /** For messages. */
  label: string;
}

export interface PreparedSkill {
  sha256: string;
  glueUrl: string;
  modules: Record<string, WasmModule>;
  memoryLimitBytes: number;
}

interface CacheMeta {
  format: number;
  sha256: string;
  shape: ComponentShape;
  coreModules: string[];
}

export interface SkillLoaderOptions {
  cacheDir: string;
  /** Compiled (digest, memory cap) pairs kept in memory. */
  maxCompiled?: number;
}

export class SkillLoader {
  private readonly cacheDir: string;
  private readonly maxCompiled: number;
  private cacheDirChecked: Promise<void> | undefined;
  private readonly transpiled = new Map<string, Promise<{ dir: string; meta: CacheMeta }>>();
  private readonly compiled = new Map<string, Promise<PreparedSkill>>();

  constructor(options: SkillLoaderOptions) {
    this.cacheDir = path.resolve(options.cacheDir);
    this.maxCompiled = options.maxCompiled ?? 8;
  }

  /** Transpiles (or reads from the cache), checks the imports, and compiles with the memory cap. */
  async prepare(source: SkillComponentSource, memoryLimitBytes: number): Promise<PreparedSkill> {
    const pages = Math.floor(memoryLimitBytes / WASM_PAGE_BYTES);
    const key = `${source.sha256}:${pages}`;
    let p = this.compiled.get(key);
    if (p) {
      // LRU: most recently used last.
      this.compiled.delete(key);
      this.compiled.set(key, p);
      return await p;
    }
    p = this.compile(source, pages);
    this.compiled.set(key, p);
    p.catch(() => this.compiled.delete(key));
    while (this.compiled.size > this.maxCompiled) {
      const oldest = this.compiled.keys().next().value;
      if (oldest === undefined) break;
      this.compiled.delete(oldest);
    }
    return await p;
  }

  private async compile(source: SkillComponentSource, pages: number): Promise<PreparedSkill> {
    const { dir, meta } = await this.transpile(source);
    const modules: Record<string, WasmModule> = {};
    for (const name of meta.coreModules) {
      const bytes = await readFile(path.join(dir, name));
      let patched: Uint8Array;
      try {
        patched = capMemories(bytes, pages).bytes;
      } catch (err) {
        if (err instanceof MemoryMinimumTooLarge) {
          throw new NonRetryableError(
            'MemoryLimitExceeded',
            `skill ${source.label} needs ${describeBytes(err.minBytes)} of memory at start, over its limit of ` +
              `${describeBytes(pages * WASM_PAGE_BYTES)} (raise the step's wasm.memory, up to OPENCLAW_WASM_MAX_MEMORY_BYTES)`,
          );
        }
        throw new NonRetryableError('InvalidSkill', `skill ${source.label}: ${(err as Error).message}`);
      }
      modules[name] = await WA.compile(patched);
    }
    return {
      sha256: source.sha256,
      glueUrl: pathToFileURL(path.join(dir, GLUE)).href,
      modules,
      memoryLimitBytes: pages * WASM_PAGE_BYTES,
    };
  }

  private transpile(source: SkillComponentSource): Promise<{ dir: string; meta: CacheMeta }> {
    let p = this.transpiled.get(source.sha256);
    if (!p) {
      p = this.transpileUncached(source);
      this.transpiled.set(source.sha256, p);
      p.catch(() => this.transpiled.delete(source.sha256));
    }
    return p;
  }

  private async transpileUncached(source: SkillComponentSource): Promise<{ dir: string; meta: CacheMeta }> {
    if (!/^[0-9a-f]{64}$/.test(source.sha256)) throw new Error(`invalid component digest ${JSON.stringify(source.sha256)}`);
    await this.ensureCacheDir();
    const dir = path.join(this.cacheDir, `${source.sha256}-v${CACHE_FORMAT}`);
    const cached = await readMeta(dir, source.sha256);
    if (cached) {
      refuseForbidden(source.label, cached.shape);
      return { dir, meta: cached };
    }
    const bytes = await source.loadComponent();
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (digest !== source.sha256) {
      throw new Error(`skill ${source.label}: the stored component's sha256 is ${digest}, expected ${source.sha256}`);
    }
    const problem = componentHeaderProblem(bytes);
    if (problem) throw new NonRetryableError('InvalidSkill', `skill ${source.label}: ${problem}`);
    // jco reads and transpiles in a worker thread: seconds of CPU that must not block this
    // process's event loop. No code of the component runs there.
    const out = await transpileInWorker(await workerEntry(this.cacheDir), bytes, source.label);
    let shape: ComponentShape;
    try {
      shape = parseWorld(out.wit);
    } catch (err) {
      throw new NonRetryableError('InvalidSkill', `skill ${source.label}: the component cannot be read: ${errorText(err)}`);
    }
    refuseForbidden(source.label, shape);
    // jco names imports without versions: cross-check with the world read above.
    const granted: string[] = Object.values(GLUE_IMPORTS);
    const unexpected = out.imports.filter((i) => !granted.includes(i));
    if (unexpected.length > 0)
      throw new NonRetryableError('ForbiddenImport', `skill ${source.label}: ${forbiddenImportMessage(unexpected)}`);
    const tmp = `${dir}.tmp-${randomBytes(6).toString('hex')}`;
    await mkdir(tmp, { recursive: true, mode: 0o700 });
    try {
      const coreModules: string[] = [];
      for (const [name, content] of Object.entries(out.files)) {
        if (name.endsWith('.d.ts')) continue;
        if (name.includes('/') || name.includes('\\')) continue;
        if (name.endsWith('.wasm')) coreModules.push(name);
        await writeFile(path.join(tmp, name), content, { mode: 0o600 });
      }
      if (!Object.hasOwn(out.files, GLUE)) throw new Error(`jco produced no ${GLUE}`);
      await writeFile(path.join(tmp, 'package.json'), '{"type":"module"}\n', { mode: 0o600 });
      const meta: CacheMeta = { format: CACHE_FORMAT, sha256: source.sha256, shape, coreModules: coreModules.sort() };
      // meta.json last: its presence marks a complete entry.
      await writeFile(path.join(tmp, 'meta.json'), JSON.stringify(meta), { mode: 0o600 });
      try {
        await rename(tmp, dir);
      } catch (err) {
        // Another process won the race: use its (identical) entry.
        const theirs = await readMeta(dir, source.sha256);
        if (!theirs) throw err;
        await rm(tmp, { recursive: true, force: true });
        return { dir, meta: theirs };
      }
      return { dir, meta };
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  /**
   * The cache holds code this process imports, so it must be ours alone: created 0700, and an
   * existing directory must belong to this user and not be writable by others.
   */
  private ensureCacheDir(): Promise<void> {
    this.cacheDirChecked ??= (async () => {
      await mkdir(this.cacheDir, { recursive: true, mode: 0o700 });
      const st = await stat(this.cacheDir);
      const uid = process.getuid?.();
      if (uid !== undefined && st.uid !== uid) {
        throw new Error(`the wasm cache directory ${this.cacheDir} belongs to another user (set OPENCLAW_WASM_CACHE_DIR)`);
      }
      if ((st.mode & 0o022) !== 0) {
        throw new Error(`the wasm cache directory ${this.cacheDir} is writable by others (chmod 700 it or set OPENCLAW_WASM_CACHE_DIR)`);
      }
    })();
    this.cacheDirChecked.catch(() => {
      this.cacheDirChecked = undefined;
    });
    return this.cacheDirChecked;
  }
}

/** Transpiling a ~12 MB component takes 1-3 s; this bounds a stuck one. */
const TRANSPILE_TIMEOUT_MS = 120_000;

function transpileInWorker(
  entry: URL,
  component: Uint8Array,
  label: string,
): Promise<{ wit: string; imports: string[]; files: Record<string, Uint8Array> }> {
  return new Promise((resolve, reject) => {
    const data: WorkerData = { mode: 'transpile', jcoUrl: jcoUrl(), component };
    const worker = new Worker(entry, { workerData: data, env: {}, execArgv: [], argv: [], stdout: true, stderr: true });
    worker.stdout.resume();
    worker.stderr.resume();
    let settled = false;
    const finish = (err: Error | null, value?: { wit: string; imports: string[]; files: Record<string, Uint8Array> }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      if (err) reject(err);
      else if (value) resolve(value);
    };
    const timer = setTimeout(
      () => finish(new Error(`skill ${label}: transpiling took longer than ${TRANSPILE_TIMEOUT_MS} ms`)),
      TRANSPILE_TIMEOUT_MS,
    );
    worker.on('message', (m: TranspileMessage) => {
      if (m.t === 'transpiled') finish(null, m);
      else
        finish(
          new NonRetryableError(
            'InvalidSkill',
            `skill ${label}: ${m.stage === 'inspect' ? 'the component cannot be read' : 'jco cannot transpile the component'}: ${m.message}`,
          ),
        );
    });
    worker.on('error', (err) => finish(new Error(`skill ${label}: the transpile thread failed: ${err.message}`)));
    worker.on('exit', (code) => finish(new Error(`skill ${label}: the transpile thread exited (code ${code}) without a result`)));
  });
}

function refuseForbidden(label: string, shape: ComponentShape): void {
  const forbidden = forbiddenImports(shape);
  if (forbidden.length > 0) throw new NonRetryableError('ForbiddenImport', `skill ${label}: ${forbiddenImportMessage(forbidden)}`);
  if (!shape.exports.includes(SKILL_EXPORT)) {
    throw new NonRetryableError(
      'InvalidSkill',
      `skill ${label} does not export ${SKILL_EXPORT} (it exports ${shape.exports.join(', ') || 'nothing'}); see wasm-skills/wit/skill.wit`,
    );
  }
}

async function readMeta(dir: string, sha256: string): Promise<CacheMeta | null> {
  try {
    const meta = JSON.parse(await readFile(path.join(dir, 'meta.json'), 'utf8')) as CacheMeta;
    if (meta.format !== CACHE_FORMAT || meta.sha256 !== sha256 || !Array.isArray(meta.coreModules)) return null;
    return meta;
  } catch {
    return null;
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}
