/**
 * The skills `openclaw dev` builds and registers at start: `--skills DIR`, else `./wasm-skills`,
 * else the ones shipped with the package. Building is cached by source hash (a start with nothing
 * changed builds nothing); without the build toolchain (a production install) prebuilt components
 * in `<dir>/dist` are registered, or a one-line notice is printed.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { EngineError, type Engine } from '../../engine/index.js';
import { CliError } from '../errors.js';
import type { Printer } from '../output.js';
import { buildSkills, findSkills, packagedSkillsDir, SkillToolchainMissing, type SkillSource } from './skill-build.js';

/** The folder to use: the flag (must exist), `./wasm-skills` if present, or the packaged skills. */
export function resolveSkillsDir(flag: string | undefined, cwd = process.cwd()): string | undefined {
  if (flag !== undefined) {
    const dir = path.resolve(cwd, flag);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError(`--skills: ${dir} is not a directory`);
    return dir;
  }
  const local = path.resolve(cwd, 'wasm-skills');
  if (existsSync(path.join(local, 'wit'))) return local;
  return packagedSkillsDir();
}

export interface SkillDirSummary {
  created: number;
  unchanged: number;
  /** Rebuilt under a version that was registered with other bytes (replaced: dev only). */
  replaced: number;
  failed: number;
}

/** Builds (when needed) and registers every skill of `dir`, one line each. Never throws for a bad skill. */
export async function registerSkillDir(engine: Engine, dir: string, print: Printer): Promise<SkillDirSummary> {
  const summary: SkillDirSummary = { created: 0, unchanged: 0, replaced: 0, failed: 0 };
  const c = print.color;
  let items: Array<{ source: SkillSource; component: Buffer }>;
  try {
    const built = await buildSkills(dir, {
      onBuild: (s) => print.out(c.dim(`    building  ${s.id} (componentize-js, ~10 s; cached afterwards)`)),
    });
    items = built.map((b) => ({ source: b, component: b.component }));
  } catch (err) {
    if (!(err instanceof SkillToolchainMissing)) {
      print.err(`    ${c.red('skills not built')}: ${(err as Error).message}`);
      return { ...summary, failed: 1 };
    }
    items = prebuilt(dir);
    print.out(
      `    note: skills are not built here (${err.message}); ${items.length > 0 ? `registering the ${items.length} prebuilt in ${path.join(dir, 'dist')}` : 'none registered'}`,
    );
  }
  for (const { source, component } of items) {
    try {
      // A development loop: a skill edited without a version bump replaces its registered build.
      const r = await engine.registerSkill({ manifest: source.manifest, component, replace: true });
      summary[r.created ? 'created' : r.replaced ? 'replaced' : 'unchanged']++;
      print.out(`    skill ${source.id} ${r.created ? c.green('created') : r.replaced ? c.yellow('replaced') : 'unchanged'}`);
    } catch (err) {
      summary.failed++;
      if (err instanceof EngineError) {
        print.err(`    skill ${source.id} ${c.red('invalid')}: ${err.message}`);
      } else {
        throw err;
      }
    }
  }
  return summary;
}

function prebuilt(dir: string): Array<{ source: SkillSource; component: Buffer }> {
  return findSkills(dir)
    .filter((s) => existsSync(s.wasmPath))
    .map((s) => ({ source: s, component: readFileSync(s.wasmPath) }));
}
