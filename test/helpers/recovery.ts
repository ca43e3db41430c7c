/**
 * Helpers for the recovery tests (test/recovery): workers as child processes that can be killed
 * (SIGKILL), frozen (SIGSTOP/SIGCONT) or drained, plus database probes on the attempt history.
 *
 * A child is `node --import tsx --import test/helpers/recovery.ts test/helpers/worker-process.ts`:
 * this module, preloaded with OPENCLAW_EXIT_WITH_PARENT=1, makes the child exit when the test
 * process dies, so a crashed test run never leaves orphan workers behind. The module must stay
 * free of vitest imports for that reason.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

// ------------------------------------------------------------------ preload side (in the child)

if (process.env.OPENCLAW_EXIT_WITH_PARENT === '1') {
  const parent = process.ppid;
  // When the parent dies the child is re-parented: stop at once (like a crash, no drain).
  setInterval(() => {
    if (process.ppid !== parent) process.exit(70);
  }, 500).unref();
}

// ------------------------------------------------------------------ test side

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HELPER = fileURLToPath(import.meta.url);
const WORKER_SCRIPT = path.join(ROOT, 'test/helpers/worker-process.ts');
/** A worker whose `http` tasks write artifacts (artifact-worker.ts): `spawnWorker({script: ARTIFACT_WORKER})`. */
export const ARTIFACT_WORKER = path.join(ROOT, 'test/helpers/artifact-worker.ts');

/** Fast timings for child processes (the same shape as fastConfig in engine.ts). */
export const childTimings: Record<string, string> = {
  OPENCLAW_LEASE_TTL_MS: '1500',
  OPENCLAW_HEARTBEAT_MS: '400',
  OPENCLAW_POLL_MS: '100',
  OPENCLAW_SCHEDULER_TICK_MS: '200',
  OPENCLAW_LIVENESS_MS: '1000',
  OPENCLAW_DRAIN_TIMEOUT_MS: '2000',
  OPENCLAW_POOL_SIZE: '5',
};

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface ChildWorker {
  /** The worker id (also its `lease_owner` and `step_attempt.worker`). */
  id: string;
  pid: number;
  proc: ChildProcess;
  /** Every stdout/stderr line so far, with the test-process time it arrived. */
  lines: Array<{ at: number; text: string }>;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly alive: boolean;
  signal(sig: NodeJS.Signals): void;
  /** Waits for an output line matching `re` (already seen lines count) and returns it. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<{ at: number; text: string }>;
}

export interface SpawnWorkerOptions {
  databaseUrl: string;
  id: string;
  slots?: number;
  /** Run the scheduler loop too (it acts only while it holds the leader lock). */
  scheduler?: boolean;
  /** pino level in the child (default warn; `info` shows leader changes). */
  logLevel?: string;
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  /** The worker program (default worker-process.ts); it prints `ready <id>` like it. */
  script?: string;
}

const children = new Set<ChildWorker>();

/** Spawns a worker process and waits until it prints `ready <id>` (it is claiming by then). */
export async function spawnWorker(opts: SpawnWorkerOptions): Promise<ChildWorker> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('OPENCLAW_') || k === 'NODE_OPTIONS') delete env[k];
  Object.assign(env, childTimings, {
    DATABASE_URL: opts.databaseUrl,
    WORKER_ID: opts.id,
    SLOTS: String(opts.slots ?? 4),
    WITH_SCHEDULER: opts.scheduler ? '1' : '0',
    OPENCLAW_LOG_LEVEL: opts.logLevel ?? 'warn',
    OPENCLAW_EXIT_WITH_PARENT: '1',
    ...opts.env,
  });
  const proc = spawn(process.execPath, ['--import', 'tsx', '--import', HELPER, opts.script ?? WORKER_SCRIPT], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: ChildWorker['lines'] = [];
  const waiters = new Set<() => void>();
  let exitedFlag = false;
  const onData = (stream: NodeJS.ReadableStream): void => {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push({ at: Date.now(), text: buf.slice(0, i) });
        buf = buf.slice(i + 1);
      }
      if (lines.length > 20_000) lines.splice(0, lines.length - 10_000);
      for (const w of [...waiters]) w();
    });
  };
  // Always drain both pipes: a child blocked on a full stdout pipe would look like a hung worker.
  onData(proc.stdout);
  onData(proc.stderr);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('exit', (code, signal) => {
      exitedFlag = true;
      for (const w of [...waiters]) w();
      resolve({ code, signal });
    });
  });
  const child: ChildWorker = {
    id: opts.id,
    pid: proc.pid ?? -1,
    proc,
    lines,
    exited,
    get alive() {
      return !exitedFlag;
    },
    signal(sig) {
      if (!exitedFlag) proc.kill(sig);
    },
    waitForLine(re, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const hit = lines.find((l) => re.test(l.text));
          if (hit) {
            done();
            resolve(hit);
            return true;
          }
          if (exitedFlag) {
            done();
            reject(new Error(`worker ${opts.id} exited before printing ${String(re)}; output:\n${tail(lines)}`));
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`worker ${opts.id}: no line matching ${String(re)} within ${timeoutMs} ms; output:\n${tail(lines)}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(check as () => void);
        };
        if (!check()) waiters.add(check as () => void);
      });
    },
  };
  children.add(child);
  void exited.then(() => children.delete(child));
  try {
    await child.waitForLine(new RegExp(`^ready ${escapeRe(opts.id)}$`), opts.readyTimeoutMs ?? 30_000);
  } catch (err) {
    await killChild(child);
    throw err;
  }
  return child;
}

function tail(lines: ChildWorker['lines'], n = 30): string {
  return lines
    .slice(-n)
    .map((l) => l.text)
    .join('\n');
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Kills a child with SIGKILL (works on a SIGSTOPped one too) and waits until it has exited. */
export async function killChild(child: ChildWorker, sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!child.alive) return;
  child.signal(sig);
  await child.exited;
}

/** Kills every child this test file spawned (for afterAll). */
export async function killAllChildren(): Promise<void> {
  await Promise.all([...children].map((c) => killChild(c)));
}

/**
 * A set of child workers where any member can be crashed (SIGKILL) and is replaced in the
 * background, so a slow process start never holds up the test loop that decides the next kill.
 */
export class Fleet {
  readonly live: ChildWorker[] = [];
  readonly spawnErrors: unknown[] = [];
  private seq = 0;
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly opts: Omit<SpawnWorkerOptions, 'id'> & { prefix: string }) {}

  private async spawn(): Promise<ChildWorker> {
    const { prefix, ...rest } = this.opts;
    return await spawnWorker({ ...rest, id: `${prefix}-${++this.seq}` });
  }

  async start(n: number): Promise<void> {
    this.live.push(...(await Promise.all(Array.from({ length: n }, () => this.spawn()))));
  }

  byId(id: string | null | undefined): ChildWorker | undefined {
    return this.live.find((c) => c.id === id);
  }

  /** SIGKILLs a live member (waits until it is gone) and starts its replacement in the background. */
  async crash(child: ChildWorker): Promise<void> {
    const i = this.live.indexOf(child);
    if (i >= 0) this.live.splice(i, 1);
    await killChild(child);
    const p: Promise<void> = this.spawn().then(
      (c) => void this.live.push(c),
      (err: unknown) => void this.spawnErrors.push(err),
    );
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Waits for replacements still starting. */
  async settle(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async killAll(): Promise<void> {
    await this.settle();
    await Promise.all(this.live.splice(0).map((c) => killChild(c)));
  }
}

/** The database clock (all lease and retry times are taken from it). */
export async function dbNow(pool: pg.Pool): Promise<Date> {
  const { rows } = await pool.query<{ t: Date }>('SELECT clock_timestamp() AS t');
  return rows[0]!.t;
}

export interface AttemptRow {
  step_id: string;
  run_id: string;
  key: string;
  attempt: number;
  lease_token: string;
  worker: string | null;
  status: string;
  error: { name: string; message: string; attempt?: number } | null;
  started_at: Date | null;
  finished_at: Date;
}

/** Every step_attempt row of the given runs, oldest first. */
export async function attemptsOf(pool: pg.Pool, runIds: string[]): Promise<AttemptRow[]> {
  const { rows } = await pool.query<AttemptRow>(
    `SELECT a.step_id::text, a.run_id::text, s.key, a.attempt, a.lease_token::text, a.worker, a.status, a.error, a.started_at, a.finished_at
       FROM openclaw.step_attempt a JOIN openclaw.step s ON s.id = a.step_id
      WHERE a.run_id = ANY($1::uuid[]) ORDER BY a.id`,
    [runIds],
  );
  return rows;
}

/**
 * Per task step of the given runs: how many attempts ended in each status and how many times the
 * step was started (`step.started` events, written by the claim statement itself).
 */
export async function stepLedger(
  pool: pg.Pool,
  runIds: string[],
): Promise<
  Array<{
    step_id: string;
    run_id: string;
    key: string;
    status: string;
    attempt: number;
    succeeded: number;
    lease_expired: number;
    failed: number;
    rejected: number;
    released: number;
    started: number;
  }>
> {
  const { rows } = await pool.query(
    `SELECT s.id::text AS step_id, s.run_id::text, s.key, s.status, s.attempt,
            (SELECT count(*)::int FROM openclaw.step_attempt a WHERE a.step_id = s.id AND a.status = 'succeeded') AS succeeded,
            (SELECT count(*)::int FROM openclaw.step_attempt a WHERE a.step_id = s.id AND a.status = 'lease_expired') AS lease_expired,
            (SELECT count(*)::int FROM openclaw.step_attempt a WHERE a.step_id = s.id AND a.status = 'failed') AS failed,
            (SELECT count(*)::int FROM openclaw.step_attempt a WHERE a.step_id = s.id AND a.status = 'rejected') AS rejected,
            (SELECT count(*)::int FROM openclaw.step_attempt a WHERE a.step_id = s.id AND a.status = 'released') AS released,
            (SELECT count(*)::int FROM openclaw.run_event e WHERE e.run_id = s.run_id AND e.step_key = s.key AND e.type = 'step.started') AS started
       FROM openclaw.step s
      WHERE s.run_id = ANY($1::uuid[]) AND s.kind IN ('task', 'item')
      ORDER BY s.id`,
    [runIds],
  );
  return rows as never;
}

/** Run statuses of the given runs, counted. */
export async function runStatusCounts(pool: pg.Pool, runIds: string[]): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM openclaw.run WHERE id = ANY($1::uuid[]) GROUP BY status',
    [runIds],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** True once every given run is terminal. */
export async function allTerminal(pool: pg.Pool, runIds: string[]): Promise<boolean> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM openclaw.run WHERE id = ANY($1::uuid[]) AND status IN ('succeeded', 'failed', 'cancelled')`,
    [runIds],
  );
  return rows[0]?.n === runIds.length;
}

/**
 * Backend pids currently holding the advisory lock `key` (a bigint, e.g. the scheduler's
 * LEADER_LOCK_KEY) in this database. pg_locks shows a bigint key as classid (high 32 bits) and
 * objid (low 32 bits) with objsubid 1.
 */
export async function advisoryLockHolders(pool: pg.Pool, key: string): Promise<Array<{ pid: number; application_name: string }>> {
  const { rows } = await pool.query<{ pid: number; application_name: string }>(
    `SELECT l.pid, a.application_name FROM pg_locks l
       JOIN pg_database d ON d.oid = l.database
       LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database() AND l.objsubid = 1
        AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint`,
    [key],
  );
  return rows;
}

/** Milliseconds between two database timestamps. */
export const msBetween = (from: Date, to: Date): number => to.getTime() - from.getTime();

/** Summary figures for a list of durations (for printing). */
export function summarize(ms: number[]): { n: number; min: number; p50: number; max: number; mean: number } {
  const s = [...ms].sort((a, b) => a - b);
  const pick = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return {
    n: s.length,
    min: s[0] ?? NaN,
    p50: pick(0.5),
    max: s[s.length - 1] ?? NaN,
    mean: s.length ? Math.round(s.reduce((a, b) => a + b, 0) / s.length) : NaN,
  };
}
