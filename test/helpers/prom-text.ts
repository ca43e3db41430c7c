/**
 * A strict reader of the Prometheus text exposition format (0.0.4), for tests only (prom-client
 * writes it but has no parser): every line must be a comment (`# HELP`, `# TYPE`) or a sample
 * `name{label="value",...} value`, each sample must belong to a declared family, and label values
 * are unescaped. Also finds `promtool` (Debian's prometheus package; scripts/promtool.sh) for the
 * checks that can use it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`);
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const at = LABEL.lastIndex;
    const m = LABEL.exec(text);
    if (!m || LABEL.lastIndex === at) throw new Error(`bad labels in: ${line}`);
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

function parseValue(raw: string, line: string): number {
  // Go's ParseFloat, which Prometheus uses, reads these in any case (prom-client writes `Nan`).
  if (/^\+?inf$/i.test(raw)) return Infinity;
  if (/^-inf$/i.test(raw)) return -Infinity;
  if (/^nan$/i.test(raw)) return NaN;
  const v = Number(raw);
  if (raw === '' || Number.isNaN(v)) throw new Error(`bad value in: ${line}`);
  return v;
}

/** The family a sample belongs to: its own name, or a histogram's/summary's `_bucket`, `_sum`, `_count`. */
function familyOf(families: Map<string, Family>, sample: string): Family | undefined {
  const direct = families.get(sample);
  if (direct) return direct;
  const m = /^(.*)_(bucket|sum|count)$/.exec(sample);
  const f = m ? families.get(m[1]!) : undefined;
  return f && (f.type === 'histogram' || f.type === 'summary') ? f : undefined;
}

/** Parses exposition text; throws on any line that is not valid. */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      const f = families.get(name) ?? { name, type: 'untyped', help: '', samples: [] };
      if (kind === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`bad type in: ${line}`);
        f.type = rest;
      } else f.help = rest;
      families.set(name, f);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const family = familyOf(families, m[1]!);
    if (!family) throw new Error(`sample of an undeclared family: ${line}`);
    family.samples.push({ name: m[1]!, labels: parseLabels(m[2] ?? '', line), value: parseValue(m[3]!, line) });
  }
  return families;
}

/** Sum of the samples named `name` whose labels include `match`. */
export function sumOf(families: Map<string, Family>, name: string, match: Record<string, string> = {}): number {
  let total = 0;
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) total += s.value;
    }
  }
  return total;
}

/** Every name a query may use: family names, plus `_bucket`, `_sum`, `_count` of histograms. */
export function exposedNames(families: Map<string, Family>): Set<string> {
  const names = new Set<string>();
  for (const f of families.values()) {
    names.add(f.name);
    if (f.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(f.name + s);
  }
  return names;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where scripts/promtool.sh unpacks Debian's promtool when it is not on PATH. */
export const PROMTOOL_CACHE = path.join(ROOT, 'node_modules/.cache/openclaw-promtool/usr/bin/promtool');

/** The promtool binary (on PATH, or unpacked by scripts/promtool.sh), or null when there is none. */
export function findPromtool(): string | null {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return 'promtool';
  } catch {
    return existsSync(PROMTOOL_CACHE) ? PROMTOOL_CACHE : null;
  }
}
