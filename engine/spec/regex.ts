/**
 * Regular expressions in `${{ }}` expressions run on RE2 (`re2-wasm`, Google's RE2 compiled to
 * WebAssembly: no native build), a linear-time engine: no pattern can backtrack catastrophically
 * (`/(a|a)*$/` on 10,000 characters takes milliseconds). JSONata takes the engine as its
 * `RegexEngine` option and uses only `new RegexEngine(regexp)`, `lastIndex` and `exec()`
 * (global semantics); `LinearRegExp` provides exactly that.
 *
 * What RE2 does not have (backreferences `\1`, lookahead `(?=`, lookbehind `(?<=`) is refused
 * with a clear message: at compile time (every regex in a spec is a literal; see `checkTemplate`)
 * and again at run time.
 *
 * Two bounds make sure no evaluation can hold the event loop:
 * - one `exec()` is linear in the subject, and subjects are capped (`MAX_REGEX_SUBJECT`; the WASM
 *   heap is a fixed 16 MiB);
 * - every `exec()` checks the expression's time box, so a loop over many matches (`$match`,
 *   `$replace`, `$split` iterate inside one JSONata function call, where JSONata's own time box
 *   never looks) stops at the limit. re2-wasm copies the subject into WASM memory on every call,
 *   so iterating over very many matches of a very long string costs more than in V8; `exec()`
 *   hands RE2 only the text from one character before `lastIndex` on (all the context RE2 can
 *   look at: `\b` and `(?m)^` look one character back, RE2 has no lookbehind), which keeps each
 *   call proportional to the rest of the string instead of all of it.
 */
import { RE2 } from 're2-wasm';

/** Longest string a regular expression runs on (UTF-16 code units). */
export const MAX_REGEX_SUBJECT = 1_000_000;

const CACHE_SIZE = 64;
/** Compiled RE2 objects by flags and source. Each owns WASM memory that only `delete()` frees. */
const compiledCache = new Map<string, RE2>();

function release(re: RE2): void {
  try {
    (re as unknown as { wrapper?: { delete?: () => void } }).wrapper?.delete?.();
  } catch {
    // Already freed, or the module aborted: nothing more to release.
  }
}

function flushCompiled(): void {
  for (const re of compiledCache.values()) release(re);
  compiledCache.clear();
}

/** RE2's flags for JavaScript ones: `g` (we keep the position) and `u` (RE2 is always Unicode) added, `i m s` kept. */
function re2Flags(flags: string): string {
  let out = 'gu';
  for (const f of 'ims') if (flags.includes(f)) out += f;
  return out;
}

const UNSUPPORTED_HINT = 'expressions run regular expressions on RE2, a linear-time engine without backreferences and lookaround';

/** Thrown for a pattern RE2 cannot compile. */
export class UnsupportedRegexError extends Error {
  constructor(
    readonly source: string,
    readonly detail: string,
  ) {
    super(`regular expression /${source}/ is not supported: ${detail} (${UNSUPPORTED_HINT})`);
    this.name = 'UnsupportedRegexError';
  }
}

function detailOf(err: unknown, source: string): string {
  const msg = err instanceof Error ? err.message : String(err);
  // re2-wasm: "Invalid regular expression: /<pattern>/<flags>: <what>"
  const prefix = 'Invalid regular expression: /';
  if (msg.startsWith(prefix)) {
    const rest = msg.slice(prefix.length);
    const at = rest.indexOf(': ', source.length);
    if (at >= 0) return rest.slice(at + 2);
  }
  return msg;
}

function compileRe2(source: string, flags: string): RE2 {
  const f = re2Flags(flags);
  const key = `${f}/${source}`;
  const hit = compiledCache.get(key);
  if (hit !== undefined) {
    compiledCache.delete(key);
    compiledCache.set(key, hit);
    return hit;
  }
  let re: RE2;
  try {
    re = new RE2(source, f);
  } catch (err) {
    throw new UnsupportedRegexError(source, detailOf(err, source));
  }
  compiledCache.set(key, re);
  if (compiledCache.size > CACHE_SIZE) {
    const oldest = compiledCache.keys().next().value as string;
    const evicted = compiledCache.get(oldest);
    compiledCache.delete(oldest);
    if (evicted !== undefined) release(evicted);
  }
  return re;
}

/**
 * Why a regular expression is refused, or undefined when RE2 runs it: backreferences,
 * lookahead, lookbehind and other syntax RE2 does not have.
 */
export function regexProblem(source: string, flags = ''): string | undefined {
  try {
    compileRe2(source, flags);
    return undefined;
  } catch (err) {
    if (err instanceof UnsupportedRegexError) return `is not supported: ${err.detail} (${UNSUPPORTED_HINT})`;
    throw err;
  }
}

/** The `RegExp` subset JSONata uses, on RE2. */
export interface LinearRegExpLike {
  lastIndex: number;
  readonly source: string;
  readonly flags: string;
  readonly global: boolean;
  exec(input: string): RegExpExecArray | null;
  test(input: string): boolean;
}

const engines = new Map<number, RegExpConstructor>();

const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;
/** Lone surrogates as U+FFFD (same length). `String.prototype.toWellFormed` is in Node 20; TypeScript's ES2023 lib lacks it. */
const wellFormed = (s: string): string => {
  const w = s as string & { isWellFormed(): boolean; toWellFormed(): string };
  return w.isWellFormed() ? s : w.toWellFormed();
};

/**
 * The class handed to JSONata as `RegexEngine`, for expressions time-boxed at `timeoutMs`:
 * each instance (JSONata makes one each time a regex literal is evaluated) stops matching once
 * `timeoutMs` have passed since it was made.
 */
export function linearRegexEngine(timeoutMs: number): RegExpConstructor {
  const cached = engines.get(timeoutMs);
  if (cached) return cached;
  class LinearRegExp implements LinearRegExpLike {
    lastIndex = 0;
    readonly source: string;
    readonly flags: string;
    private readonly deadline: number;

    constructor(pattern: string | RegExp, flags?: string) {
      this.source = typeof pattern === 'string' ? pattern : pattern.source;
      this.flags = flags ?? (typeof pattern === 'string' ? '' : pattern.flags);
      compileRe2(this.source, this.flags); // refuse unsupported syntax up front
      this.deadline = Date.now() + timeoutMs;
    }

    get global(): boolean {
      return this.flags.includes('g');
    }

    exec(input: string): RegExpExecArray | null {
      const str = typeof input === 'string' ? input : String(input);
      if (Date.now() > this.deadline) {
        throw new Error(`regular expression /${this.source}/ was still matching when the expression time limit (${timeoutMs} ms) ran out`);
      }
      if (str.length > MAX_REGEX_SUBJECT) {
        throw new Error(
          `regular expression /${this.source}/ applied to a string of ${str.length} characters; the limit is ${MAX_REGEX_SUBJECT}`,
        );
      }
      const global = this.global;
      let start = global ? this.lastIndex : 0;
      if (start > str.length) {
        this.lastIndex = 0;
        return null;
      }
      // re2-wasm counts positions in code points, not UTF-16 units, and its UTF-8 encoder reads a
      // lone surrogate as half of a pair: RE2 gets well-formed text, positions are converted.
      const text = wellFormed(str);
      if (start > 0 && start < text.length && isHigh(text.charCodeAt(start - 1)) && isLow(text.charCodeAt(start))) start++;
      // RE2 looks at most one character back (\b, (?m)^), so the text before that is not needed.
      let offset = start > 0 ? start - 1 : 0;
      if (offset > 0 && isLow(text.charCodeAt(offset))) offset--;
      const relative = start - offset; // 0, 1 or 2 units: 0 or 1 code point
      const re = compileRe2(this.source, this.flags);
      re.lastIndex = relative === 0 ? 0 : 1;
      let m: ReturnType<RE2['exec']>;
      try {
        m = re.exec(offset === 0 ? text : text.slice(offset));
      } catch (err) {
        // The WASM module failed (its heap is fixed): start over with an empty cache.
        flushCompiled();
        throw new Error(
          `regular expression /${this.source}/ failed: ${err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)}`,
        );
      }
      if (m === null) {
        if (global) this.lastIndex = 0;
        return null;
      }
      let at = offset + relative;
      for (let cp = relative === 0 ? 0 : 1; cp < m.index && at < text.length; cp++) {
        at += isHigh(text.charCodeAt(at)) && isLow(text.charCodeAt(at + 1)) ? 2 : 1;
      }
      const out = Array.from(m) as RegExpExecArray;
      out.index = at;
      out.input = str;
      if (m.groups !== undefined) out.groups = m.groups;
      if (global) this.lastIndex = at + (m[0] ?? '').length;
      return out;
    }

    test(input: string): boolean {
      return this.exec(input) !== null;
    }
  }
  const ctor = LinearRegExp as unknown as RegExpConstructor;
  engines.set(timeoutMs, ctor);
  return ctor;
}

/** Frees every compiled RE2 object (for tests and memory pressure). */
export function clearRegexCache(): void {
  flushCompiled();
}
