/**
 * Builds the skills of a folder like wasm-skills/: every subfolder with a `skill.json` is bundled
 * (esbuild: its entry and what it imports, into one ES module) and turned into a component of the
 * skill world with componentize-js, every WASI feature disabled so the component imports only
 * `openclaw:skill/host`. Output: `<root>/dist/<name>@<version>.wasm`, rebuilt only when the
 * bundle, manifest, WIT or toolchain changed (a stamp file holds the source hash).
 *
 * esbuild and componentize-js are development dependencies: in an install without them building
 * fails with `SkillToolchainMissing`, and prebuilt components in dist/ can still be registered.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSkillComponent, validateManifest, type SkillManifest } from '../../engine/index.js';

/** Bump when the build recipe changes: every skill is rebuilt. */
const BUILDER_VERSION = 1;
/** componentize-js features turned off: the component then imports nothing from WASI. */
export const DISABLED_FEATURES = ['stdio', 'random', 'clocks', 'http', 'fetch-event'] as const;
export const SKILL_WORLD = 'skill-world';

export class SkillToolchainMissing extends Error {
  constructor(what: string, cause: unknown) {
    super(`building skills needs ${what} (a development dependency of openclaw; run npm install in a source checkout)`, { cause });
    this.name = 'SkillToolchainMissing';
  }
}

export interface SkillSource {
  dir: string;
  manifest: SkillManifest;
  /** `<name>@<version>`. */
  id: string;
  /** Where the built component goes (or already is). */
  wasmPath: string;
}

export interface BuiltSkill extends SkillSource {
  component: Buffer;
  sha256: string;
  /** true: dist/ was up to date, nothing was built. */
  cached: boolean;
}

/** `wasm-skills/` at the package root: cli/runtime/ in the source tree, dist/cli/runtime/ when built. */
export function packagedSkillsDir(): string | undefined {
  for (const rel of ['../../wasm-skills/', '../../../wasm-skills/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path.join(dir, 'wit'))) return path.resolve(dir);
  }
  return undefined;
}

/** Skill folders (with a skill.json) directly under `root`, sorted. */
export function findSkills(root: string): SkillSource[] {
  const out: SkillSource[] = [];
  for (const entry of readdirSync(root).sort()) {
    const dir = path.join(root, entry);
    if (entry === 'dist' || entry.startsWith('.') || !statSync(dir).isDirectory()) continue;
    if (!existsSync(path.join(dir, 'skill.json'))) continue;
    out.push(readSkill(dir, path.join(root, 'dist')));
  }
  return out;
}

/** Reads and checks a skill folder's manifest. */
export function readSkill(dir: string, outDir: string): SkillSource {
  const file = path.join(dir, 'skill.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  let manifest: SkillManifest;
  try {
    manifest = validateManifest(raw);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  const id = `${manifest.name}@${manifest.version}`;
  return { dir, manifest, id, wasmPath: path.join(outDir, `${id}.wasm`) };
}

interface Stamp {
  sourceHash: string;
  sha256: string;
}

export interface BuildOptions {
  /** The WIT folder (default `<skill>/../wit`). */
  witDir?: string;
  /** Rebuild even when up to date. */
  force?: boolean;
  /** Called before a skill is actually built (not when it is up to date). */
  onBuild?: (source: SkillSource) => void;
}

/** Builds one skill (or finds it up to date in dist/). */
export async function buildSkill(source: SkillSource, options: BuildOptions = {}): Promise<BuiltSkill> {
  const witDir = options.witDir ?? path.resolve(source.dir, '..', 'wit');
  const { componentize, version } = await loadComponentize();
  const bundle = await bundleSkill(source);
  const sourceHash = createHash('sha256')
    .update(
      JSON.stringify({
        builder: BUILDER_VERSION,
        componentize: version,
        features: DISABLED_FEATURES,
        wit: readWit(witDir),
        manifest: source.manifest,
        bundle,
      }),
    )
    .digest('hex');
  const stampPath = source.wasmPath.replace(/\.wasm$/, '.stamp.json');
  if (!options.force) {
    const cached = await readCached(source.wasmPath, stampPath, sourceHash);
    if (cached) return { ...source, ...cached, cached: true };
  }
  options.onBuild?.(source);
  const outDir = path.dirname(source.wasmPath);
  const work = path.join(outDir, '.build');
  await mkdir(work, { recursive: true });
  const bundlePath = path.join(work, `${source.id}.${randomBytes(4).toString('hex')}.js`);
  await writeFile(bundlePath, bundle);
  let component: Uint8Array;
  try {
    ({ component } = await componentize({
      sourcePath: bundlePath,
      witPath: witDir,
      worldName: SKILL_WORLD,
      disableFeatures: [...DISABLED_FEATURES],
    }));
  } catch (err) {
    throw new Error(`${source.id}: componentize-js failed: ${(err as Error).message}`, { cause: err });
  } finally {
    await rm(bundlePath, { force: true });
  }
  const problem = await checkSkillComponent(component);
  if (problem) throw new Error(`${source.id}: ${problem}`);
  const bytes = Buffer.from(component);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  await writeAtomic(source.wasmPath, bytes);
  await writeAtomic(stampPath, JSON.stringify({ sourceHash, sha256 } satisfies Stamp));
  return { ...source, component: bytes, sha256, cached: false };
}

/**
 * Builds every skill under `root` (one at a time: componentize-js takes ~7-20 s and a core each).
 * A folder lock keeps two processes (test files, `openclaw dev`) from building the same outputs.
 */
export async function buildSkills(
  root: string,
  options: BuildOptions & { onBuilt?: (b: BuiltSkill) => void; only?: string[] } = {},
): Promise<BuiltSkill[]> {
  const sources = findSkills(root).filter((s) => !options.only || options.only.includes(s.manifest.name));
  const outDir = path.join(root, 'dist');
  await mkdir(outDir, { recursive: true });
  const release = await lock(path.join(outDir, '.lock'));
  try {
    const built: BuiltSkill[] = [];
    for (const s of sources) {
      const b = await buildSkill(s, { witDir: path.join(root, 'wit'), ...options });
      options.onBuilt?.(b);
      built.push(b);
    }
    return built;
  } finally {
    await release();
  }
}

async function readCached(wasmPath: string, stampPath: string, sourceHash: string): Promise<{ component: Buffer; sha256: string } | null> {
  try {
    const stamp = JSON.parse(await readFile(stampPath, 'utf8')) as Stamp;
    if (stamp.sourceHash !== sourceHash) return null;
    const component = await readFile(wasmPath);
    const sha256 = createHash('sha256').update(component).digest('hex');
    return sha256 === stamp.sha256 ? { component, sha256 } : null;
  } catch {
    return null;
  }
}

function readWit(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) if (f.endsWith('.wit')) out[f] = readFileSync(path.join(dir, f), 'utf8');
  if (Object.keys(out).length === 0) throw new Error(`no .wit files in ${dir}`);
  return out;
}

async function loadComponentize(): Promise<{
  componentize: typeof import('@bytecodealliance/componentize-js').componentize;
  version: string;
}> {
  try {
    const mod = await import('@bytecodealliance/componentize-js');
    return { componentize: mod.componentize, version: mod.version };
  } catch (err) {
    throw new SkillToolchainMissing('@bytecodealliance/componentize-js', err);
  }
}

/**
 * One ES module with the skill and everything it imports (except the host interface). Regular
 * expressions with `\p{ASCII}` are rewritten: StarlingMonkey is built without Unicode property
 * escapes (ajv's URI library uses that one).
 */
async function bundleSkill(source: SkillSource): Promise<string> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (err) {
    throw new SkillToolchainMissing('esbuild', err);
  }
  const entry = path.resolve(source.dir, source.manifest.entry ?? 'index.js');
  if (!existsSync(entry)) throw new Error(`${source.id}: entry ${entry} does not exist (skill.json "entry")`);
  const result = await esbuild.build({
    entryPoints: [entry],
    // Paths in the bundle's comments are relative to this: the same wherever the build runs from.
    absWorkingDir: path.dirname(path.resolve(source.dir)),
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2022',
    external: ['openclaw:skill/*'],
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
    legalComments: 'none',
    plugins: [
      {
        name: 'starlingmonkey-regexp',
        setup(build) {
          build.onLoad({ filter: /\.[cm]?js$/ }, async (args) => {
            const text = await readFile(args.path, 'utf8');
            if (!/\\[pP]\{ASCII\}/.test(text)) return undefined;
            return { contents: text.replaceAll('\\P{ASCII}', '[^\\x00-\\x7F]').replaceAll('\\p{ASCII}', '[\\x00-\\x7F]'), loader: 'js' };
          });
        },
      },
    ],
  });
  const out = result.outputFiles[0];
  if (!out) throw new Error(`${source.id}: esbuild produced no output`);
  return out.text;
}

async function writeAtomic(file: string, content: string | Buffer): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}

/**
 * A directory lock: waits while another live process holds it; takes over one whose holder is
 * gone (or that is older than 30 minutes).
 */
async function lock(dir: string): Promise<() => Promise<void>> {
  for (;;) {
    try {
      await mkdir(dir);
      await writeFile(path.join(dir, 'pid'), String(process.pid));
      return () => rm(dir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const st = await stat(dir).catch(() => null);
      const pid = Number(await readFile(path.join(dir, 'pid'), 'utf8').catch(() => ''));
      const stale = st !== null && Date.now() - st.mtimeMs > 30 * 60_000;
      const holderGone = pid > 0 && !processAlive(pid);
      // A lock without a pid file yet is being taken right now: wait (unless it is old).
      if (stale || holderGone || (st !== null && !pid && Date.now() - st.mtimeMs > 10_000)) {
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
