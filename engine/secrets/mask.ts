/**
 * Masking secret values wherever a task's results go: its output, its error, its step log, and
 * the process log. The worker registers the values a task received for as long as it runs (and
 * until its outcome is written); anything containing one has it replaced by `***`.
 */
const active = new Map<string, number>();
export const MASK = '***';

/** Registers values as live secrets; returns the function that unregisters them. */
export function registerSecretValues(values: Iterable<string>): () => void {
  const list = [...values].filter((v) => v.length > 0);
  for (const v of list) active.set(v, (active.get(v) ?? 0) + 1);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    for (const v of list) {
      const n = (active.get(v) ?? 1) - 1;
      if (n <= 0) active.delete(v);
      else active.set(v, n);
    }
  };
}

export function hasActiveSecrets(): boolean {
  return active.size > 0;
}

/** Longest first, so a secret that contains another is masked whole. */
function sortedValues(values: Iterable<string>): string[] {
  return [...values].sort((a, b) => b.length - a.length);
}

export function maskString(s: string, values: Iterable<string> = active.keys()): string {
  let out = s;
  for (const v of sortedValues(values)) if (out.includes(v)) out = out.split(v).join(MASK);
  return out;
}

/** A copy of any JSON-like value (or Error) with secret values masked in every string. */
export function maskDeep(value: unknown, values: Iterable<string> = active.keys(), seen = new WeakSet<object>()): unknown {
  const list = sortedValues(values);
  if (list.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return maskString(v, list);
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v)) return '[circular]';
    seen.add(v);
    if (v instanceof Error) {
      const e: Record<string, unknown> = { type: v.name, message: maskString(v.message, list) };
      if (v.stack) e.stack = maskString(v.stack, list);
      return e;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (Buffer.isBuffer(v)) return v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
  };
  return walk(value);
}
