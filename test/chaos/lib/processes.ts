/**
 * OpenClaw as real processes of the built CLI (`node dist/cli/main.js server|worker|migrate`), as
 * an operator runs it. Each child is preloaded with test/helpers/exit-with-parent.js (it stops when
 * the chaos runner dies) and, for clock skew, test/chaos/lib/skew-clock.js. Every line a child
 * prints goes to its log file in the run's log directory; the last lines are kept in memory for
 * error messages and for waiting on a line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, statSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const EXIT_WITH_PARENT = path.join(ROOT, 'test', 'helpers', 'exit-with-parent.js');
export const SKEW_CLOCK = path.join(ROOT, 'test', 'chaos', 'lib', 'skew-clock.js');

/** Fails when the CLI is not built; returns the source files newer than their build output. */
export function checkBuiltCli(): string[] {
  if (!existsSync(CLI))
    throw new Error(`the chaos suite runs the built CLI and ${path.relative(ROOT, CLI)} is missing: run \`npm run build\``);
  const stale: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const out = path.join(ROOT, 'dist', rel.replace(/\.ts$/, '.js'));
        if (!existsSync(out) || statSync(out).mtimeMs < statSync(path.join(ROOT, rel)).mtimeMs) stale.push(rel);
      }
    }
  };
  for (const dir of ['engine', 'api', 'cli']) walk(dir);
  return stale;
}

export interface Line {
  /** This process's clock when the line arrived. */
  at: number;
  text: string;
}

export interface SpawnOptions {
  env: NodeJS.ProcessEnv;
  logDir: string;
  /** Shift this child's wall clock (Date) by this many ms. */
  clockSkewMs?: number;
}

/** One child process of the CLI. */
export class OcProcess {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly lines: Line[] = [];
  private readonly waiters = new Set<() => void>();
  private done = false;
  private stopped = false;
  private readonly log: WriteStream;

  constructor(
    readonly name: string,
    args: string[],
    opts: SpawnOptions,
  ) {
    const nodeArgs = ['--import', EXIT_WITH_PARENT];
    if (opts.clockSkewMs) nodeArgs.push('--import', SKEW_CLOCK);
    const env = { ...opts.env, ...(opts.clockSkewMs ? { CHAOS_CLOCK_SKEW_MS: String(opts.clockSkewMs) } : {}) };
    this.proc = spawn(process.execPath, [...nodeArgs, CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (this.proc.pid === undefined) throw new Error(`could not start ${name}`);
    this.pid = this.proc.pid;
    this.log = createWriteStream(path.join(opts.logDir, `${name}.log`), { flags: 'a' });
    this.log.write(`# ${new Date().toISOString()} pid ${this.pid}: ${args.join(' ')}\n`);
    const onData = (stream: NodeJS.ReadableStream): void => {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        this.log.write(chunk);
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          this.lines.push({ at: Date.now(), text: buf.slice(0, i) });
          buf = buf.slice(i + 1);
        }
        if (this.lines.length > 4000) this.lines.splice(0, this.lines.length - 2000);
        for (const w of [...this.waiters]) w();
      });
    };
    // Both pipes are always drained: a child blocked on a full pipe would look like a hung process.
    onData(this.proc.stdout!);
    onData(this.proc.stderr!);
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.done = true;
        this.log.write(`# ${new Date().toISOString()} exited: ${code ?? signal}\n`);
        this.log.end();
        for (const w of [...this.waiters]) w();
        resolve({ code, signal });
      });
    });
  }

  get alive(): boolean {
    return !this.done;
  }

  /** The last `n` lines (for error messages). */
  tail(n = 40): string {
    return this.lines
      .slice(-n)
      .map((l) => l.text)
      .join('\n');
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.done) this.proc.kill(sig);
  }

  /** Freezes the process (SIGSTOP). */
  freeze(): void {
    this.stopped = true;
    this.signal('SIGSTOP');
  }

  thaw(): void {
    this.stopped = false;
    this.signal('SIGCONT');
  }

  get frozen(): boolean {
    return this.stopped;
  }

  /** SIGKILL (a frozen process too) and wait until it is gone. */
  async kill(): Promise<void> {
    if (this.done) return;
    this.signal('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (graceful: drain), then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.done) return;
    if (this.stopped) this.thaw();
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Waits for an output line matching `re` (lines already seen count); returns its match. */
  waitForLine(re: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        for (const l of this.lines) {
          const m = re.exec(l.text);
          if (m) {
            finish();
            resolve(m);
            return true;
          }
        }
        if (this.done) {
          finish();
          reject(new Error(`${this.name} exited before printing ${String(re)}; output:\n${this.tail()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${this.name}: no line matching ${String(re)} within ${timeoutMs} ms; output:\n${this.tail()}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      if (!check()) this.waiters.add(check);
    });
  }
}

/** Runs a CLI command to the end; throws with its output when it fails. */
export async function runCli(name: string, args: string[], opts: SpawnOptions): Promise<void> {
  const p = new OcProcess(name, args, opts);
  const { code, signal } = await p.exited;
  if (code !== 0) throw new Error(`${name} exited with ${code ?? signal}; output:\n${p.tail()}`);
}
