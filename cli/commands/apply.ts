/** `openclaw apply <file|dir>...`: register workflow specs through `POST /v1/workflows`. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ApiError, detailLines } from '../client.js';
import { clientOf, contextOf, withUrl } from '../context.js';
import { CliError, SilentExit, ExitCodes } from '../errors.js';

export const SPEC_EXTENSIONS = ['.yaml', '.yml', '.json'];

export interface ApplyResult {
  file: string;
  status: 'created' | 'unchanged' | 'invalid' | 'error';
  name?: string;
  version?: number;
  error?: { code: string; message: string; details?: unknown };
}

/** Expands directories (not recursively) to their spec files, sorted by name; files are kept as given. */
export function specFiles(paths: string[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new CliError(`${p}: no such file or directory`);
    }
    if (!st.isDirectory()) {
      files.push(p);
      continue;
    }
    const inDir = readdirSync(p)
      .filter((f) => SPEC_EXTENSIONS.includes(path.extname(f).toLowerCase()))
      .sort()
      .map((f) => path.join(p, f))
      .filter((f) => statSync(f).isFile());
    if (inDir.length === 0) throw new CliError(`${p}: no spec files (${SPEC_EXTENSIONS.join(', ')}) in this directory`);
    files.push(...inDir);
  }
  return files;
}

export function contentTypeFor(file: string): string {
  return path.extname(file).toLowerCase() === '.json' ? 'application/json' : 'application/yaml';
}

export function registerApply(program: Command): void {
  withUrl(
    program
      .command('apply')
      .description('register workflow specs (files, or every *.yaml|*.yml|*.json in a directory)')
      .argument('<paths...>', 'spec files or directories')
      .addHelpText(
        'after',
        `
Each spec becomes a new version when its content changed ("created NAME vN"), and is left as is
otherwise ("unchanged NAME vN"). An invalid spec prints every problem with its line and column;
the exit code is then 1.

Examples:
  openclaw apply workflows/
  openclaw apply my-flow.yaml --json`,
      ),
  ).action(async (paths: string[], _opts: unknown, cmd: Command) => {
    const { json, print } = contextOf(cmd);
    const client = clientOf(cmd);
    const results: ApplyResult[] = [];
    for (const file of specFiles(paths)) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new CliError(`${file}: cannot read: ${(err as Error).message}`);
      }
      const result = await applyOne(client, file, text);
      results.push(result);
      if (json) continue;
      const c = print.color;
      if (result.status === 'created') print.out(`${c.green('created')} ${result.name} v${result.version}  ${c.dim(file)}`);
      else if (result.status === 'unchanged') print.out(`unchanged ${result.name} v${result.version}  ${c.dim(file)}`);
      else {
        const head = result.status === 'invalid' ? 'invalid' : 'error';
        print.err(`${c.red(head)} ${file}: ${result.error?.message ?? ''}`);
        for (const line of detailLines(result.error?.details, result.error?.code, result.error?.message)) print.err(line);
      }
    }
    if (json) print.json(results);
    if (results.some((r) => r.status === 'invalid' || r.status === 'error')) throw new SilentExit(ExitCodes.failure);
  });
}

async function applyOne(client: ReturnType<typeof clientOf>, file: string, text: string): Promise<ApplyResult> {
  try {
    // The spec's own text (YAML or JSON), so that errors point at its lines.
    const res = await client.POST('/v1/workflows', {
      body: text,
      bodySerializer: (spec: unknown) => spec,
      headers: { 'content-type': contentTypeFor(file) },
    });
    return { file, status: res.status === 201 ? 'created' : 'unchanged', name: res.body.name, version: res.body.version };
  } catch (err) {
    if (!(err instanceof ApiError) || err.status >= 500 || err.status === 401 || err.status === 403) throw err;
    return {
      file,
      status: err.code === 'invalid_spec' ? 'invalid' : 'error',
      error: { code: err.code, message: err.apiMessage, ...(err.details === undefined ? {} : { details: err.details }) },
    };
  }
}
