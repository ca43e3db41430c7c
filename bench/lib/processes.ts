/**
 * Child processes for the end-to-end scenario (P6): the built CLI (`dist/cli/main.js server` /
 * `worker` / `migrate`) and helper scripts, each its own OS process so its CPU can be read from
 * /proc. Their output is kept (the last 64 KiB) and shown when something goes wrong.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(REPO_ROOT, 'dist', 'cli', 'main.js');

/**
 * Fails with a clear message when the CLI has not been built (`npm run build`), and warns (stderr)
 * when sources in engine/, api/ or cli/ are newer than their build output: the processes run dist/.
 */
export function requireBuiltCli(warn: (line: string) => void): string {
  if (!existsSync(CLI)) {
    throw new Error(`bench P6 runs the built CLI, and ${path.relative(REPO_ROOT, CLI)} is missing: run \`npm run build\` first`);
  }
  const stale: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const out = path.join(REPO_ROOT, 'dist', rel.replace(/\.ts$/, '.js'));
        if (!existsSync(out) || statSync(out).mtimeMs < statSync(path.join(REPO_ROOT, rel)).mtimeMs) stale.push(rel);
      }
    }
  };
  for (const dir of ['engine', 'api', 'cli']) if (existsSync(path.join(REPO_ROOT, dir))) walk(dir);
  if (stale.length > 0) {
    warn(
      `dist/ is older than ${stale.length} source file(s) (e.g. ${stale.slice(0, 3).join(', ')}): the processes run dist/; \`npm run build\` to measure the sources`,
    );
  }
  return CLI;
}

const KEEP = 64 * 1024;

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  /** Stdout and stderr so far (the last 64 KiB). */
  output(): string;
  /** Resolves with the first capture group of the first output line matching `re`. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<number | string>;
}

export interface SpawnOptions {
  env: NodeJS.ProcessEnv;
  /** Node flags before the script (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Open an IPC channel (child.send / process.send). */
  ipc?: boolean;
}

/** Starts `node [nodeArgs] script ...args` as its own process (no shell, so `pid` is the node process). */
export function spawnNode(name: string, script: string, args: string[], options: SpawnOptions): Child {
  const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), script, ...args], {
    cwd: REPO_ROOT,
    env: options.env,
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  if (proc.pid === undefined) throw new Error(`bench: could not start ${name}`);
  let buf = '';
  let partial = '';
  const waiters: Array<{ re: RegExp; resolve: (v: string) => void }> = [];
  const onData = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    buf = (buf + text).slice(-KEEP);
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      for (let i = waiters.length - 1; i >= 0; i--) {
        const m = waiters[i]!.re.exec(line);
        if (m) {
          waiters[i]!.resolve(m[1] ?? m[0]);
          waiters.splice(i, 1);
        }
      }
    }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const child: Child = {
    name,
    proc,
    pid: proc.pid,
    output: () => buf,
    exited,
    waitForLine(re, timeoutMs = 30_000) {
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`bench: ${name} did not print ${re} within ${timeoutMs} ms; output:\n${buf}`)),
          timeoutMs,
        );
        const done = (v: string): void => {
          clearTimeout(timer);
          resolve(v);
        };
        waiters.push({ re, resolve: done });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`bench: ${name} exited (${code}) before printing ${re}; output:\n${buf}`));
        });
      });
    },
    async stop(graceMs = 15_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return await exited;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  return child;
}

/** Runs a command to completion; throws with its output when it exits non-zero. */
export async function runToEnd(name: string, script: string, args: string[], options: SpawnOptions): Promise<string> {
  const child = spawnNode(name, script, args, options);
  const code = await child.exited;
  if (code !== 0) throw new Error(`bench: ${name} exited with ${code}; output:\n${child.output()}`);
  return child.output();
}
