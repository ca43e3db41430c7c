/**
 * The worker threads' entry module (sandbox-worker.ts). Built code has sandbox-worker.js next to
 * this file; when running from TypeScript sources (tests, tsx) it and the two siblings it imports
 * are transpiled once into a folder of the cache directory (they import nothing else but node:
 * builtins, so they run from anywhere).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The modules a sandbox thread loads: the entry first. */
const SANDBOX_MODULES = ['sandbox-worker', 'sandbox-artifacts', 'sandbox-protocol'] as const;

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
  const built = new URL(`./${SANDBOX_MODULES[0]}.js`, import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  const ts = await import('typescript');
  const files: Record<string, string> = { 'package.json': '{"type":"module"}\n' };
  for (const name of SANDBOX_MODULES) {
    const text = await readFile(new URL(`./${name}.ts`, import.meta.url), 'utf8');
    const options = { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 };
    files[`${name}.js`] = ts.transpileModule(text, { compilerOptions: options }).outputText;
  }
  const digest = createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 16);
  const dir = path.join(cacheDir, `sandbox-worker-${digest}`);
  if (!existsSync(dir)) {
    await mkdir(cacheDir, { recursive: true, mode: 0o700 });
    const tmp = `${dir}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await mkdir(tmp, { mode: 0o700 });
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(tmp, name), text, { mode: 0o600 });
    try {
      await rename(tmp, dir);
    } catch (err) {
      // Another process made the same folder first: use theirs.
      await rm(tmp, { recursive: true, force: true });
      if (!existsSync(dir)) throw err;
    }
  }
  return pathToFileURL(path.join(dir, `${SANDBOX_MODULES[0]}.js`));
}

/** file: URL of jco's API module (the transpile worker imports it by URL). */
export function jcoUrl(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('@bytecodealliance/jco')).href;
}
