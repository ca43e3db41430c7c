/**
 * The one way a generator script (db-types.ts, client-types.ts) writes its checked-in file:
 * `--check` only compares (exit 1 naming the command that regenerates it), otherwise the file is
 * written when it changed. And how such a script runs when executed directly.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface GeneratedFile {
  file: string;
  text: string;
  /** What the file is generated from, for the --check message ("the migrations"). */
  source: string;
  /** The command that regenerates it. */
  command: string;
}

export async function writeOrCheck(generated: GeneratedFile, check: boolean): Promise<number> {
  const relative = path.relative(process.cwd(), generated.file);
  const current = await readFile(generated.file, 'utf8').catch(() => null);
  if (check) {
    if (current === generated.text) return 0;
    process.stderr.write(`${relative} is not what ${generated.source} produce; run \`${generated.command}\`\n`);
    return 1;
  }
  if (current === generated.text) {
    process.stdout.write(`${relative} is up to date\n`);
    return 0;
  }
  await writeFile(generated.file, generated.text);
  process.stdout.write(`wrote ${relative}\n`);
  return 0;
}

/** Runs `main` when the module at `moduleUrl` is the script node was started with. */
export function runIfMain(moduleUrl: string, main: (argv: string[]) => Promise<number>): void {
  if (!process.argv[1] || path.resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
