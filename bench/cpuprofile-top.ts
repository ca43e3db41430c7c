/**
 * Profiling aid (not part of `npm run bench`): summarises a V8 `.cpuprofile` (from `node
 * --cpu-prof`, e.g. BENCH_P6_CPU_PROF=dir for the P6 processes) as text.
 *
 *   npx tsx bench/cpuprofile-top.ts FILE.cpuprofile [--from US --to US] [--top N] [--per N]
 *                                   [--drop writev,writeBuffer] [--match REGEX]
 *
 * --from/--to keep only the samples in that window (µs on the monotonic clock, e.g. P6's
 * `window_monotonic_us`); --per N divides every figure by N (e.g. runs) to print µs per unit;
 * --drop leaves out samples whose own frame has one of these names: a V8 profile samples wall
 * time, and on a busy box a thread preempted inside a socket write (the woken PostgreSQL backend
 * takes the core) is sampled as `writev` — compare the rest with the process's CPU from /proc;
 * --match lists only functions whose name or file matches in the inclusive table.
 * Prints: time by area (where the sampled frame's code lives: a package, an engine/api/cli
 * directory, node internals, GC, idle), the top functions by self time, and the top functions by
 * inclusive time (each counted once per sample).
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const file = process.argv[2];
if (!file || file.startsWith('--')) {
  process.stderr.write('usage: npx tsx bench/cpuprofile-top.ts FILE.cpuprofile [--from US --to US] [--top N] [--per N]\n');
  process.exit(2);
}
const from = Number(arg('--from') ?? -Infinity);
const to = Number(arg('--to') ?? Infinity);
const top = Number(arg('--top') ?? 30);
const per = Number(arg('--per') ?? 0);
const drop = new Set((arg('--drop') ?? '').split(',').filter(Boolean));
const match = arg('--match') ? new RegExp(arg('--match')!) : null;

const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map<number, ProfileNode>();
const parent = new Map<number, number>();
for (const n of prof.nodes) {
  byId.set(n.id, n);
  for (const c of n.children ?? []) parent.set(c, n.id);
}

/** Where a frame's code lives. */
function area(cf: CallFrame): string {
  const { url, functionName } = cf;
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return '(program: V8/native, not JS)';
    return `native ${functionName || '(anonymous)'}`;
  }
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return `pkg ${nm[1]}`;
  if (url.startsWith('node:')) return `node ${url.slice(5).split('/')[0]}`;
  const own = /\/(?:dist\/)?(engine|api|cli|bench)\/(.*)$/.exec(url);
  if (own) {
    const parts = own[2]!.split('/');
    return `${own[1]}/${parts.length > 1 ? parts[0] : parts[0]!.replace(/\.(js|ts)$/, '')}`;
  }
  return url;
}

const frameKey = (cf: CallFrame): string => {
  const where = cf.url ? `${cf.url.replace(/^.*\/(node_modules|dist|engine|api|cli)\//, '$1/')}:${cf.lineNumber + 1}` : '';
  return `${cf.functionName || '(anonymous)'} ${where}`.trim();
};

const selfBy = new Map<string, number>();
const areaBy = new Map<string, number>();
const inclBy = new Map<string, number>();
let t = prof.startTime;
let total = 0; // every sample in the window
let busy = 0; // not idle, not dropped
for (let i = 0; i < prof.samples.length; i++) {
  t += prof.timeDeltas[i] ?? 0;
  if (t < from || t > to) continue;
  const dt = prof.timeDeltas[i + 1] ?? 0; // a sample's time runs until the next sample
  const node = byId.get(prof.samples[i]!);
  if (!node) continue;
  total += dt;
  if (drop.has(node.callFrame.functionName)) continue;
  const a = area(node.callFrame);
  if (a !== 'idle') busy += dt;
  areaBy.set(a, (areaBy.get(a) ?? 0) + dt);
  const k = frameKey(node.callFrame);
  selfBy.set(k, (selfBy.get(k) ?? 0) + dt);
  const seen = new Set<string>();
  for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
    const key = frameKey(byId.get(id)!.callFrame);
    if (seen.has(key)) continue;
    seen.add(key);
    inclBy.set(key, (inclBy.get(key) ?? 0) + dt);
  }
}

const fmt = (us: number): string => {
  const pct = `${((100 * us) / Math.max(1, busy)).toFixed(1).padStart(5)} %`;
  return per > 0 ? `${pct}  ${(us / per).toFixed(1).padStart(8)} us/unit` : `${pct}  ${(us / 1000).toFixed(1).padStart(9)} ms`;
};
const print = (title: string, m: Map<string, number>, n: number, skip: (k: string) => boolean = () => false): void => {
  process.stdout.write(`\n${title}\n`);
  for (const [k, v] of [...m.entries()]
    .filter(([k]) => !skip(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)) {
    process.stdout.write(`  ${fmt(v)}  ${k}\n`);
  }
};
process.stdout.write(
  `${file}: ${(total / 1000).toFixed(0)} ms sampled, ${(busy / 1000).toFixed(0)} ms not idle${drop.size ? ' (dropped excluded)' : ''}` +
    `${per > 0 ? `, ${(busy / per).toFixed(1)} us/unit over ${per} units` : ''} (percentages of not idle)\n`,
);
print('by area (self time)', areaBy, 40, (k) => k === 'idle');
print(`top ${top} functions by self time`, selfBy, top, (k) => k.startsWith('(idle)'));
print(
  `top ${top} functions by inclusive time${match ? ` matching ${String(match)}` : ''}`,
  inclBy,
  top,
  (k) => k.startsWith('(idle)') || k.startsWith('(root)') || (match !== null && !match.test(k)),
);
