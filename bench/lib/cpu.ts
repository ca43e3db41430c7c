/**
 * CPU accounting, so figures can be read even on a busy shared machine: CPU milliseconds spent
 * by this Node process (process.cpuUsage) and by the PostgreSQL server (the postmaster and its
 * children, from /proc; exited backends are counted in the postmaster's cutime/cstime). CPU per
 * step barely moves with other load on the box, unlike wall-clock throughput.
 */
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import type pg from 'pg';

const TICK_MS = 10; // USER_HZ is 100 on Linux

interface ProcStat {
  ppid: number;
  ticks: number;
  childTicks: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // rest[0] = state (field 3); ppid = field 4; utime 14, stime 15, cutime 16, cstime 17.
    return { ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]), childTicks: Number(rest[13]) + Number(rest[14]) };
  } catch {
    return null;
  }
}

/** CPU ms (user + sys, all threads) spent so far by one process itself (not its children); null once it is gone. */
export function processCpuMs(pid: number): number | null {
  const st = readStat(pid);
  return st ? st.ticks * TICK_MS : null;
}

/** Finds the postmaster of the server `pool` talks to (null when it is not on this host). */
export async function postmasterPid(pool: pg.Pool): Promise<number | null> {
  if (os.platform() !== 'linux') return null;
  const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const backend = rows[0]?.pid;
  if (!backend) return null;
  const st = readStat(backend);
  return st ? st.ppid : null;
}

/** Total CPU ms of the postmaster and all its children so far. */
export function serverCpuMs(postmaster: number | null): number | null {
  if (postmaster === null) return null;
  const root = readStat(postmaster);
  if (!root) return null;
  let ticks = root.ticks + root.childTicks;
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === postmaster) continue;
    const st = readStat(pid);
    if (st && st.ppid === postmaster) ticks += st.ticks;
  }
  return ticks * TICK_MS;
}

export interface Usage {
  /** CPU ms of this Node process. */
  node: number;
  /** CPU ms of the PostgreSQL server (null when it is not on this host). */
  pg: number | null;
  /** WAL bytes written by the server (the whole cluster; only the benchmark uses it). */
  wal: number | null;
}

export interface UsageMeter {
  stop(): Promise<Usage>;
}

async function walLsn(pool: pg.Pool): Promise<string | null> {
  try {
    const { rows } = await pool.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    return rows[0]?.lsn ?? null;
  } catch {
    return null;
  }
}

/** Starts measuring CPU ms of this process and of the server, and WAL bytes; `stop()` returns the deltas. */
export async function usageMeter(postmaster: number | null, pool: pg.Pool): Promise<UsageMeter> {
  const lsn0 = await walLsn(pool);
  const n0 = process.cpuUsage();
  const p0 = serverCpuMs(postmaster);
  return {
    async stop(): Promise<Usage> {
      const n = process.cpuUsage(n0);
      const p1 = serverCpuMs(postmaster);
      let wal: number | null = null;
      const lsn1 = await walLsn(pool);
      if (lsn0 && lsn1) {
        const { rows } = await pool.query<{ d: string }>('SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::text AS d', [lsn1, lsn0]);
        wal = Number(rows[0]?.d ?? NaN);
      }
      return { node: (n.user + n.system) / 1000, pg: p0 === null || p1 === null ? null : p1 - p0, wal };
    },
  };
}

interface MachineTicks {
  total: number;
  idle: number;
  steal: number;
}

/** Whole-machine CPU ticks from /proc/stat (null when unavailable). */
export function machineTicks(): MachineTicks | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    // cpu user nice system idle iowait irq softirq steal guest guest_nice
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { total, idle: (f[3] ?? 0) + (f[4] ?? 0), steal: f[7] ?? 0 };
  } catch {
    return null;
  }
}

/** Busy and steal percentages of the whole machine (all cores) between two readings. */
export function machineLoad(from: MachineTicks | null, to: MachineTicks | null): { busy_pct: number; steal_pct: number } | null {
  if (!from || !to || to.total <= from.total) return null;
  const d = to.total - from.total;
  return {
    busy_pct: Math.round((100 * (d - (to.idle - from.idle))) / d),
    steal_pct: Math.round((1000 * (to.steal - from.steal)) / d) / 10,
  };
}
