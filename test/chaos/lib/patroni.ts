/**
 * A PostgreSQL high-availability cluster for the failover scenario (R19), built from Debian
 * packages as in ../shared/design/machine.md: one etcd, two PostgreSQL 15 nodes under Patroni with
 * synchronous replication (`synchronous_mode: true`), and HAProxy routing to the leader through
 * Patroni's REST health check (`OPTIONS /primary`). Everything on 127.0.0.1 on ports from the OS,
 * all state in one temp dir. OpenClaw connects through HAProxy.
 *
 * Needs `apt-get install -y patroni etcd-server etcd-client haproxy python3-psycopg2` and Debian's
 * PostgreSQL 15 binaries (`/usr/lib/postgresql/15/bin`); `PatroniCluster.available()` says whether
 * they are there (scripts/patroni-setup.sh installs them).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../../../engine/testing.js';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function which(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Patroni's DCS timings: failover in about ttl seconds (machine.md: ~5 s with these; smaller did not work). */
export const PATRONI_DCS = { ttl: 5, loop_wait: 1, retry_timeout: 2 };

interface Node {
  name: string;
  pgPort: number;
  restPort: number;
  dataDir: string;
  config: string;
  proc: ChildProcess | null;
}

export class PatroniCluster {
  private etcd: ChildProcess | null = null;
  private haproxy: ChildProcess | null = null;
  readonly nodes: Node[] = [];
  haproxyPort = 0;
  private ids = { uid: 0, gid: 0 };

  private constructor(
    readonly dir: string,
    private readonly logDir: string,
  ) {}

  /** What is missing to run the cluster here (empty: everything is installed). */
  static missing(): string[] {
    const need = ['patroni', 'etcd', 'haproxy'].filter((c) => !which(c));
    if (!existsSync(path.join(PG_BIN, 'postgres'))) need.push(`${PG_BIN}/postgres`);
    if (process.getuid?.() !== 0) need.push('root (Patroni runs as the postgres user)');
    return need;
  }

  static async create(logDir: string, nodes = 2): Promise<PatroniCluster> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'openclaw-chaos-patroni-'));
    const c = new PatroniCluster(dir, logDir);
    c.ids = {
      uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
      gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
    };
    chownSync(dir, c.ids.uid, c.ids.gid);
    live.add(c);
    installExitKill();
    try {
      await c.startEtcd();
      for (let i = 1; i <= nodes; i++) await c.addNode(`node${i}`);
      for (const n of c.nodes) c.startPatroni(n);
      await c.startHaproxy();
      await c.waitWritable(120_000);
      await c.waitSyncStandby(120_000);
    } catch (err) {
      await c.destroy();
      throw err;
    }
    return c;
  }

  private spawnLogged(name: string, cmd: string, args: string[], opts: { asPostgres?: boolean } = {}): ChildProcess {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(opts.asPostgres ? this.ids : {}), cwd: this.dir });
    const log = createWriteStream(path.join(this.logDir, `${name}.log`), { flags: 'a' });
    p.stdout!.pipe(log);
    p.stderr!.pipe(log);
    return p;
  }

  private etcdPort = 0;

  private async startEtcd(): Promise<void> {
    const client = await freePort();
    const peer = await freePort();
    this.etcdPort = client;
    this.etcd = this.spawnLogged('etcd', 'etcd', [
      '--name',
      'e1',
      '--data-dir',
      path.join(this.dir, 'etcd'),
      '--listen-client-urls',
      `http://127.0.0.1:${client}`,
      '--advertise-client-urls',
      `http://127.0.0.1:${client}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-cluster',
      `e1=http://127.0.0.1:${peer}`,
      '--initial-cluster-state',
      'new',
    ]);
    await this.poll('etcd healthy', async () => (await fetch(`http://127.0.0.1:${client}/health`)).ok, 30_000);
  }

  private async addNode(name: string): Promise<void> {
    const pgPort = await freePort();
    const restPort = await freePort();
    const dataDir = path.join(this.dir, name);
    const config = path.join(this.dir, `${name}.yml`);
    // YAML is a superset of JSON: the config is written as JSON.
    const yml = {
      scope: 'openclaw-chaos',
      name,
      restapi: { listen: `127.0.0.1:${restPort}`, connect_address: `127.0.0.1:${restPort}` },
      etcd3: { hosts: `127.0.0.1:${this.etcdPort}` },
      bootstrap: {
        dcs: {
          ...PATRONI_DCS,
          synchronous_mode: true,
          postgresql: {
            use_pg_rewind: true,
            parameters: {
              wal_level: 'replica',
              hot_standby: 'on',
              wal_log_hints: 'on',
              max_connections: 300,
              max_wal_senders: 10,
              max_replication_slots: 10,
            },
          },
        },
        initdb: [{ encoding: 'UTF8' }, 'data-checksums'],
        pg_hba: ['host all all 127.0.0.1/32 trust', 'host replication all 127.0.0.1/32 trust', 'local all all trust'],
      },
      postgresql: {
        listen: `127.0.0.1:${pgPort}`,
        connect_address: `127.0.0.1:${pgPort}`,
        data_dir: dataDir,
        bin_dir: PG_BIN,
        pgpass: path.join(this.dir, `${name}.pgpass`),
        authentication: {
          superuser: { username: 'postgres', password: 'postgres' },
          replication: { username: 'replicator', password: 'replicator' },
          rewind: { username: 'rewinder', password: 'rewinder' },
        },
        parameters: { unix_socket_directories: this.dir },
      },
    };
    writeFileSync(config, JSON.stringify(yml, null, 2));
    chownSync(config, this.ids.uid, this.ids.gid);
    mkdirSync(dataDir, { mode: 0o700, recursive: true });
    chownSync(dataDir, this.ids.uid, this.ids.gid);
    this.nodes.push({ name, pgPort, restPort, dataDir, config, proc: null });
  }

  /** Starts (or restarts) a node's Patroni, as the postgres user; it starts its PostgreSQL. */
  startPatroni(node: Node): void {
    node.proc = this.spawnLogged(`patroni-${node.name}`, 'patroni', [node.config], { asPostgres: true });
  }

  private async startHaproxy(): Promise<void> {
    this.haproxyPort = await freePort();
    const cfg = path.join(this.dir, 'haproxy.cfg');
    writeFileSync(
      cfg,
      [
        'global',
        '  maxconn 2000',
        'defaults',
        '  mode tcp',
        '  timeout connect 4s',
        '  timeout client 60m',
        '  timeout server 60m',
        '  timeout check 2s',
        'listen primary',
        `  bind 127.0.0.1:${this.haproxyPort}`,
        '  option httpchk OPTIONS /primary',
        '  http-check expect status 200',
        '  default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions',
        ...this.nodes.map((n) => `  server ${n.name} 127.0.0.1:${n.pgPort} maxconn 1000 check port ${n.restPort}`),
        '',
      ].join('\n'),
    );
    this.haproxy = this.spawnLogged('haproxy', 'haproxy', ['-db', '-f', cfg]);
  }

  /** URL of `database` through HAProxy (always the leader). */
  url(database = 'postgres'): string {
    return `postgres://postgres:postgres@127.0.0.1:${this.haproxyPort}/${database}`;
  }

  private async poll(what: string, fn: () => Promise<boolean>, timeoutMs: number, everyMs = 200): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      try {
        if (await fn()) return;
      } catch {
        // not yet
      }
      if (Date.now() > end) throw new Error(`patroni cluster: ${what} not reached within ${timeoutMs} ms`);
      await sleep(everyMs);
    }
  }

  /** One write through HAProxy, with a short connect timeout; true when it committed. */
  async probeWrite(): Promise<boolean> {
    const c = new pg.Client({
      connectionString: this.url(),
      connectionTimeoutMillis: 1_000,
      statement_timeout: 2_000,
      query_timeout: 2_000,
    });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query('CREATE TABLE IF NOT EXISTS chaos_probe (at timestamptz)');
      await c.query('INSERT INTO chaos_probe VALUES (now())');
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  async waitWritable(timeoutMs: number): Promise<void> {
    await this.poll('a writable leader through HAProxy', () => this.probeWrite(), timeoutMs, 250);
  }

  /** Waits until a replica is the synchronous standby (its GET /sync answers 200). */
  async waitSyncStandby(timeoutMs: number): Promise<string> {
    let name = '';
    await this.poll(
      'a synchronous standby',
      async () => {
        for (const n of this.nodes) {
          if (!n.proc || n.proc.exitCode !== null) continue;
          const res = await fetch(`http://127.0.0.1:${n.restPort}/sync`, { signal: AbortSignal.timeout(1_000) });
          if (res.status === 200) {
            name = n.name;
            return true;
          }
        }
        return false;
      },
      timeoutMs,
      250,
    );
    return name;
  }

  /** The node whose REST API says it is the primary. */
  async leader(): Promise<Node | null> {
    for (const n of this.nodes) {
      try {
        const res = await fetch(`http://127.0.0.1:${n.restPort}/primary`, { signal: AbortSignal.timeout(1_000) });
        if (res.status === 200) return n;
      } catch {
        // down
      }
    }
    return null;
  }

  /** SIGKILLs a node's Patroni and its postmaster (re-parented when Patroni dies: its pid from postmaster.pid). */
  async kill(node: Node): Promise<void> {
    const pid = Number((await readFile(path.join(node.dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
    node.proc?.kill('SIGKILL');
    if (Number.isFinite(pid) && pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const proc = node.proc;
    if (proc && proc.exitCode === null && proc.signalCode === null) await new Promise((r) => proc.once('exit', r));
    // The postmaster's backends exit once they see it gone.
    await this.poll('the killed postmaster to be gone', async () => !(await alive(pid)), 10_000, 100).catch(() => undefined);
  }

  async destroy(): Promise<void> {
    live.delete(this);
    for (const n of this.nodes) await this.kill(n).catch(() => undefined);
    this.haproxy?.kill('SIGKILL');
    this.etcd?.kill('SIGKILL');
    await sleep(200);
    await rm(this.dir, { recursive: true, force: true });
  }

  /** SIGKILLs everything at once (process exit without cleanup). */
  killNow(): void {
    for (const n of this.nodes) {
      n.proc?.kill('SIGKILL');
      try {
        process.kill(Number(readFileSync(path.join(n.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]), 'SIGKILL');
      } catch {
        // not running
      }
    }
    this.haproxy?.kill('SIGKILL');
    this.etcd?.kill('SIGKILL');
  }
}

const live = new Set<PatroniCluster>();
let hooked = false;

function installExitKill(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const c of live) c.killNow();
  });
}

async function alive(pid: number): Promise<boolean> {
  if (!Number.isFinite(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
