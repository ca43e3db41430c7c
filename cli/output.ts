/**
 * Output helpers: aligned tables, times, task errors, JSON, and a little colour (only on a
 * terminal, never with NO_COLOR or --no-color). Formatting functions are pure and return strings.
 */

export interface Printer {
  /** A line on stdout. */
  out(line?: string): void;
  /** A line on stderr. */
  err(line?: string): void;
  /** Pretty JSON on stdout (what `--json` prints). */
  json(value: unknown): void;
  color: Colors;
}

export interface Colors {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const ansi =
  (open: number, close: number) =>
  (s: string): string =>
    `\u001b[${open}m${s}\u001b[${close}m`;

const plain: Colors = { green: (s) => s, red: (s) => s, yellow: (s) => s, dim: (s) => s, bold: (s) => s };
const colored: Colors = { green: ansi(32, 39), red: ansi(31, 39), yellow: ansi(33, 39), dim: ansi(2, 22), bold: ansi(1, 22) };

/** Colour only on a terminal, and never with NO_COLOR set or `--no-color`. */
export function useColor(flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env, isTTY = process.stdout.isTTY): boolean {
  if (flag === false || (env.NO_COLOR !== undefined && env.NO_COLOR !== '')) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return Boolean(isTTY);
}

export function createPrinter(options: { color?: boolean } = {}): Printer {
  return {
    out: (line = '') => void process.stdout.write(`${line}\n`),
    err: (line = '') => void process.stderr.write(`${line}\n`),
    json: (value) => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    color: options.color ? colored : plain,
  };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const width = (s: string): number => [...s.replace(ANSI, '')].length;

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table(headers: string[], rows: string[][]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => width(r[i] ?? ''))));
  return all
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - width(cell))))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `2025-11-21 09:17:03Z` (UTC, seconds), or `-` when absent. */
export function formatTime(iso: unknown): string {
  if (typeof iso !== 'string' || iso === '') return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** `1.2s`, `850ms`, `3m 4s` between two ISO times; '' when either is missing. */
export function formatDuration(fromIso: unknown, toIso: unknown): string {
  if (typeof fromIso !== 'string' || typeof toIso !== 'string') return '';
  const ms = new Date(toIso).getTime() - new Date(fromIso).getTime();
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m ${Math.round((ms % 60_000) / 1000)}s`;
}

/** A task error `{name, message, attempt}` as `Name: message`; anything else as compact JSON. */
export function formatTaskError(err: unknown): string {
  if (err === null || err === undefined) return '';
  if (typeof err === 'string') return err;
  if (typeof err === 'object') {
    const { name, message } = err as { name?: unknown; message?: unknown };
    if (typeof message === 'string') return typeof name === 'string' && name !== '' ? `${name}: ${oneLine(message)}` : oneLine(message);
  }
  return JSON.stringify(err);
}

/** Collapses whitespace runs (newlines included) so a cell stays on one line. */
export function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Compact JSON for a value shown inline (`-` for null/undefined). */
export function inlineJson(value: unknown): string {
  return value === null || value === undefined ? '-' : JSON.stringify(value);
}

/** Colours a run or step status: green for success, red for failure, yellow for in between. */
export function colorStatus(c: Colors, status: string): string {
  if (status === 'succeeded') return c.green(status);
  if (status === 'failed' || status === 'dead' || status === 'cancelled') return c.red(status);
  if (status === 'skipped') return c.dim(status);
  return c.yellow(status);
}
