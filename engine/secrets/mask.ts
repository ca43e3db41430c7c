/**
 * Masking secret values wherever a task's results go: its output, its error, its step log, and
 * the process log. The worker registers the values a task received for as long as it runs (and
 * until its outcome is written); anything containing one has it replaced by `***`.
 *
 * Each value is masked in the forms it commonly takes on the way out (`secretForms`): as is,
 * base64 (standard and url-safe, padded or not, also where it sits inside a longer base64 text),
 * URL-encoded (`encodeURIComponent` and form encoding) and JSON-escaped (as it appears inside a
 * JSON string). Object keys are masked like values. The forms are computed once per set of values
 * (a `SecretMasker`); masking a string is one `indexOf` scan per form, so linear in its length.
 * What cannot be caught: any other transformation (hashing, encryption, other encodings, case
 * changes, a value split across strings or log lines).
 */
import { MIN_SECRET_LENGTH } from './crypto.js';

export const MASK = '***';

/**
 * Base64 of `bytes` as it appears anywhere inside the base64 of a longer byte string: for each of
 * the three alignments the value can start at, only the characters made of its own bits (the first
 * and last characters of a shifted encoding mix in the neighbouring bytes' bits).
 */
function embeddedBase64(bytes: Buffer): string[] {
  const out: string[] = [];
  for (const shift of [0, 1, 2]) {
    const enc = Buffer.concat([Buffer.alloc(shift), bytes])
      .toString('base64')
      .replace(/=+$/, '');
    const start = [0, 2, 3][shift]!;
    const end = (bytes.length + shift) % 3 === 0 ? enc.length : enc.length - 1;
    out.push(enc.slice(start, end));
  }
  return out;
}

const urlSafe = (b64: string): string => b64.replace(/\+/g, '-').replace(/\//g, '_');

/**
 * The forms of one secret value that masking looks for, the value first. Values shorter than
 * `MIN_SECRET_LENGTH` (4; the store refuses them) are masked only as they are: their encodings are
 * too short to be told from ordinary text. An encoded form shorter than that is left out too.
 */
export function secretForms(value: string): string[] {
  const forms = new Set<string>([value]);
  if (value.length < MIN_SECRET_LENGTH) return [...forms].filter((f) => f.length > 0);
  const bytes = Buffer.from(value, 'utf8');
  const b64 = bytes.toString('base64');
  const b64Forms = [b64, b64.replace(/=+$/, ''), ...embeddedBase64(bytes)];
  for (const f of b64Forms) {
    forms.add(f);
    forms.add(urlSafe(f));
  }
  try {
    forms.add(encodeURIComponent(value));
  } catch {
    // A lone surrogate has no URL encoding.
  }
  forms.add(new URLSearchParams([['', value]]).toString().slice(1)); // application/x-www-form-urlencoded
  forms.add(JSON.stringify(value).slice(1, -1));
  return [...forms].filter((f) => f === value || f.length >= MIN_SECRET_LENGTH);
}

/** Masks a fixed set of secret values (and their forms, computed once). */
export class SecretMasker {
  /** Every form of every value, longest first. */
  private readonly forms: readonly string[];

  constructor(values: Iterable<string>) {
    const forms = new Set<string>();
    for (const v of values) if (v.length > 0) for (const f of secretForms(v)) forms.add(f);
    this.forms = [...forms].sort((a, b) => b.length - a.length);
  }

  get empty(): boolean {
    return this.forms.length === 0;
  }

  /** Does `s` contain a secret value in any of its forms? */
  matches(s: string): boolean {
    return this.forms.some((f) => s.includes(f));
  }

  /** `s` with every occurrence of every form replaced by `***` (overlapping ones merged into one). */
  string(s: string): string {
    let ranges: Array<[number, number]> | null = null;
    for (const f of this.forms) {
      if (f.length > s.length) continue;
      for (let i = s.indexOf(f); i !== -1; i = s.indexOf(f, i + f.length)) (ranges ??= []).push([i, i + f.length]);
    }
    if (ranges === null) return s;
    ranges.sort((a, b) => a[0] - b[0]);
    let out = '';
    let at = 0;
    for (let r = 0; r < ranges.length;) {
      const start = ranges[r]![0];
      let end = ranges[r]![1];
      for (r++; r < ranges.length && ranges[r]![0] < end; r++) end = Math.max(end, ranges[r]![1]);
      out += s.slice(at, start) + MASK;
      at = end;
    }
    return out + s.slice(at);
  }

  /** A copy of any JSON-like value (or Error) with secret values masked in every string and object key. */
  deep(value: unknown, seen = new WeakSet<object>()): unknown {
    if (this.empty) return value;
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return this.string(v);
      if (v === null || typeof v !== 'object') return v;
      if (seen.has(v)) return '[circular]';
      seen.add(v);
      if (v instanceof Error) {
        const e: Record<string, unknown> = { type: this.string(v.name), message: this.string(v.message) };
        if (v.stack) e.stack = this.string(v.stack);
        return e;
      }
      if (Array.isArray(v)) return v.map(walk);
      if (Buffer.isBuffer(v)) return v;
      // A masked key may collide with another (both become `***`): the later one wins.
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [this.string(k), walk(x)]));
    };
    return walk(value);
  }
}

// The values of the tasks running in this process, counted (two tasks may hold the same value).
const active = new Map<string, number>();
let activeMasker: SecretMasker | null = null;

/** Registers values as live secrets; returns the function that unregisters them. */
export function registerSecretValues(values: Iterable<string>): () => void {
  const list = [...values].filter((v) => v.length > 0);
  for (const v of list) active.set(v, (active.get(v) ?? 0) + 1);
  if (list.length > 0) activeMasker = null;
  let done = false;
  return () => {
    if (done) return;
    done = true;
    for (const v of list) {
      const n = (active.get(v) ?? 1) - 1;
      if (n <= 0) active.delete(v);
      else active.set(v, n);
    }
    if (list.length > 0) activeMasker = null;
  };
}

export function hasActiveSecrets(): boolean {
  return active.size > 0;
}

/** Does `s` contain a value registered by a task running in this process, in any of its forms? */
export function containsActiveSecret(s: string): boolean {
  return active.size > 0 && maskerFor(undefined).matches(s);
}

/** The masker for `values`: as given, every registered value, or a new one (whoever masks often builds one and keeps it). */
function maskerFor(values: Iterable<string> | SecretMasker | undefined): SecretMasker {
  if (values instanceof SecretMasker) return values;
  if (values === undefined) return (activeMasker ??= new SecretMasker(active.keys()));
  return new SecretMasker(values);
}

/** `s` with the given secret values (default: every registered one) masked in all their forms. */
export function maskString(s: string, values?: Iterable<string> | SecretMasker): string {
  return maskerFor(values).string(s);
}

/** A copy of any JSON-like value (or Error) with secret values masked in every string and object key. */
export function maskDeep(value: unknown, values?: Iterable<string> | SecretMasker, seen = new WeakSet<object>()): unknown {
  return maskerFor(values).deep(value, seen);
}
