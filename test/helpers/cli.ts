/**
 * The built `openclaw` CLI (dist/cli/main.js, made by `npm run build`, which `npm test` runs first)
 * as child processes: one-shot commands, and `openclaw dev` as a long-running server that is
 * stopped by a signal. Every `dev` started here is tracked, and `stopAllDev()` stops what is left,
 * including an embedded PostgreSQL orphaned by a killed `dev`, so a failing test leaves nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'dist/cli/main.js');
/** Makes a child stop itself (SIGINT) if the test process dies first. */
const EXIT_WITH_PARENT = path.join(ROOT, 'test/helpers/exit-with-parent.js');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The test's environment without DATABASE_URL and OPENCLAW_* (the CLI must need neither), no colours. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('OPENCLAW_') || k === 'DATABASE_URL' || k === 'NODE_OPTIONS') delete env[k];
  return { ...env, NO_COLOR: '1', ...extra };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `openclaw <args>` to completion. */
export function runCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      env: cliEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `openclaw ${args.join(' ')} did not finish within ${options.timeoutMs ?? 60_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface DevProcess {
  proc: ChildProcess;
  dataDir: string;
  /** e.g. http://127.0.0.1:41234 (from the `OpenClaw ready at` line). */
  url: string;
  /** stdout and stderr so far. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const devs = new Set<DevProcess>();

/** Starts `openclaw dev --port 0 --data-dir <dataDir>` and waits for its ready line. */
export async function startDev(options: {
  dataDir: string;
  cwd: string;
  args?: string[];
  /** OPENCLAW_* settings for this dev (the test's own are never passed on). */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}): Promise<DevProcess> {
  const proc = spawn(
    process.execPath,
    ['--import', pathToFileURL(EXIT_WITH_PARENT).href, CLI, 'dev', '--port', '0', '--data-dir', options.dataDir, ...(options.args ?? [])],
    {
      cwd: options.cwd,
      env: cliEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, like a command started from a shell: `ctrlC` signals the whole group
      // (the embedded PostgreSQL included), as a terminal's Ctrl-C does.
      detached: true,
    },
  );
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const dev: DevProcess = { proc, dataDir: options.dataDir, url: '', output: () => out, exited };
  devs.add(dev);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`openclaw dev not ready within ${options.readyTimeoutMs ?? 90_000} ms:\n${out}`)),
      options.readyTimeoutMs ?? 90_000,
    );
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /^OpenClaw ready at (http:\/\/\S+)$/m.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`openclaw dev exited (code ${code}, signal ${signal}) before it was ready:\n${out}`));
    });
  });
  dev.url = url;
  return dev;
}

/** What a terminal's Ctrl-C does: SIGINT to the dev process's whole process group (its PostgreSQL too). */
export function ctrlC(dev: DevProcess): void {
  process.kill(-(dev.proc.pid as number), 'SIGINT');
}

/** Resolves with the exit status, or with null when the process is still running after `ms`. */
export async function exitWithin(dev: DevProcess, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | null> {
  return await Promise.race([dev.exited, sleep(ms).then(() => null)]);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Stops a dev process (SIGINT, then SIGKILL after 30 s) and any PostgreSQL it left running. */
export async function stopDev(dev: DevProcess): Promise<void> {
  if (dev.proc.exitCode === null && dev.proc.signalCode === null) {
    dev.proc.kill('SIGINT');
    if ((await exitWithin(dev, 30_000)) === null) {
      dev.proc.kill('SIGKILL');
      await dev.exited;
    }
  }
  devs.delete(dev);
  // A killed dev leaves its embedded PostgreSQL running: stop that one (its pid is in postmaster.pid).
  const pidFile = path.join(dev.dataDir, 'pg', 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  process.kill(pid, 'SIGINT'); // fast shutdown
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

export async function stopAllDev(): Promise<void> {
  for (const dev of [...devs]) await stopDev(dev);
}
