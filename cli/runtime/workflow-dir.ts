/** The workflows `openclaw dev` registers at start: `--workflows DIR`, else `./workflows`, else the examples shipped in the package. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpecError, type Engine } from '../../engine/index.js';
import { formatProblem } from '../client.js';
import { CliError } from '../errors.js';
import type { Printer } from '../output.js';

const SPEC_FILE = /\.(ya?ml|json)$/i;

/** `workflows/` at the package root: cli/runtime/ in the source tree, dist/cli/runtime/ when built. */
export function packagedWorkflowsDir(): string | undefined {
  for (const rel of ['../../workflows/', '../../../workflows/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(dir) && statSync(dir).isDirectory()) return path.resolve(dir);
  }
  return undefined;
}

/** The directory to register: the flag (must exist), `./workflows` if present, or the packaged examples. */
export function resolveWorkflowsDir(flag: string | undefined, cwd = process.cwd()): string | undefined {
  if (flag !== undefined) {
    const dir = path.resolve(cwd, flag);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError(`--workflows: ${dir} is not a directory`);
    return dir;
  }
  const local = path.resolve(cwd, 'workflows');
  if (existsSync(local) && statSync(local).isDirectory()) return local;
  return packagedWorkflowsDir();
}

export interface RegisterSummary {
  created: number;
  unchanged: number;
  invalid: number;
}

/**
 * Registers every spec file of `dir` (sorted by name), printing one line per file. An invalid spec
 * is reported with its file, path, line and column, and the others are still registered.
 */
export async function registerWorkflowDir(engine: Engine, dir: string, print: Printer): Promise<RegisterSummary> {
  const summary: RegisterSummary = { created: 0, unchanged: 0, invalid: 0 };
  const files = readdirSync(dir)
    .filter((f) => SPEC_FILE.test(f))
    .sort();
  const c = print.color;
  for (const f of files) {
    const file = path.join(dir, f);
    try {
      const r = await engine.registerWorkflow(readFileSync(file, 'utf8'));
      summary[r.created ? 'created' : 'unchanged']++;
      print.out(`    ${r.created ? c.green('created  ') : 'unchanged'} ${r.name} v${r.version}  ${c.dim(f)}`);
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      summary.invalid++;
      if (err.problems.length === 1 && err.problems[0]) print.err(`    ${c.red('invalid  ')} ${file}: ${formatProblem(err.problems[0])}`);
      else {
        print.err(`    ${c.red('invalid  ')} ${file}: ${err.message}`);
        for (const p of err.problems) print.err(`      - ${formatProblem(p)}`);
      }
    }
  }
  return summary;
}
