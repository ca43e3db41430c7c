/**
 * The worker threads' entry module (sandbox-worker.ts). Built code has sandbox-worker.js next to
 * this file; when running from TypeScript sources (tests, tsx) it is transpiled once into the
 * cache directory (it imports nothing but node: builtins, so it runs from anywhere).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const entries = new Map<string, Promise<URL>>();

export function workerEntry(cacheDir: string): Promise<URL> {
  const dir = path.resolve(cacheDir);
  let p = entries.get(dir);
  if (!p) {
    p = resolveEntry(dir);
    entries.set(dir, p);
    p.catch(() => entries.delete(dir));
  }
  return p;
}

async function resolveEntry(cacheDir: string): Promise<URL> {
  const built = new URL('./sandbox-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  const text = await readFile(new URL('./sandbox-worker.ts', import.meta.url), 'utf8');
  const ts = await import('typescript');
  const js = ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  const file = path.join(cacheDir, `sandbox-worker-${createHash('sha256').update(js).digest('hex').slice(0, 16)}.mjs`);
  if (!existsSync(file)) {
    await mkdir(cacheDir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, js, { mode: 0o600 });
    await rename(tmp, file);
  }
  return pathToFileURL(file);
}

/** file: URL of jco's API module (the transpile worker imports it by URL). */
export function jcoUrl(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('@bytecodealliance/jco')).href;
}
