/**
 * Evaluating `${{ <JSONata> }}` templates at run time: sandboxed (JSON data in, JSON data out,
 * `$eval` disabled, no host objects), time-boxed and depth-boxed (JSONata's guardrails, which
 * check the clock and the evaluation depth on every node entry, the built-in successor of the
 * `__evaluate_entry` hook), size-capped, regular expressions on a linear-time engine that also
 * honours the time box (./regex.ts), and every failure a non-retryable `ExpressionError` naming
 * the field.
 *
 * The compiled-expression cache is safe to share: nothing per-evaluation is ever `assign`ed to
 * a cached expression (per-call values go through `evaluate(input, bindings)`, which binds
 * them in a fresh frame), and the guardrail options are part of the cache key.
 */
import jsonata from 'jsonata';
import { TaskError } from '../errors.js';
import { escapeSegment } from './pointer.js';
import { clearRegexCache, linearRegexEngine } from './regex.js';
import { fromSandbox, resultTooLarge, SandboxResultError, toSandbox } from './sandbox.js';
import { MAX_EXPRESSION_LENGTH, parseTemplateString, type TemplateSegment } from './template.js';

export { checkTemplate, isTemplate, parseTemplateString, MAX_EXPRESSION_LENGTH } from './template.js';
export type { TemplateCheck, TemplateExpression, TemplateSegment } from './template.js';
export { analyzeExpression, extractRefs } from './expression-refs.js';

export interface EvaluateOptions {
  /** Where the template lives, used in error messages (e.g. `/steps/load/with`). */
  field: string;
  /** Time box per expression in ms (default 100). */
  timeoutMs?: number;
  /** Maximum JSONata evaluation depth (default 500); stops runaway recursion. */
  maxDepth?: number;
  /** Maximum size of the result as JSON, roughly, in bytes (default 4 MiB). */
  maxOutputBytes?: number;
  /** The setting that raises `maxOutputBytes`, named in the error when a result is over it. */
  maxOutputSetting?: string;
  /** Longest sequence (array) an expression may build (default 1,000,000). */
  maxSequence?: number;
}

export const defaultEvaluateLimits = Object.freeze({
  timeoutMs: 100,
  maxDepth: 500,
  maxOutputBytes: 4 * 1024 * 1024,
  maxSequence: 1_000_000,
});

const CACHE_SIZE = 1000;
const exprCache = new Map<string, jsonata.Expression>();
const segmentCache = new Map<string, TemplateSegment[]>();

function remember<V>(cache: Map<string, V>, key: string, make: () => V): V {
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const value = make();
  cache.set(key, value);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return value;
}

interface Limits {
  timeoutMs: number;
  maxDepth: number;
  maxOutputBytes: number;
  maxSequence: number;
}

function compiled(source: string, limits: Limits): jsonata.Expression {
  const key = `${limits.timeoutMs}:${limits.maxDepth}:${limits.maxSequence}:${source}`;
  return remember(exprCache, key, () =>
    jsonata(source, {
      timeout: limits.timeoutMs,
      stack: limits.maxDepth,
      sequence: limits.maxSequence,
      RegexEngine: linearRegexEngine(limits.timeoutMs),
    }),
  );
}

/** Per-call bindings: functions that must not be available to spec authors. */
const DISABLED = Object.freeze({
  eval: (): never => {
    throw new Error('$eval is not available in workflow expressions');
  },
});

function reason(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err !== null && typeof err === 'object') {
    const e = err as { message?: unknown; code?: unknown };
    const msg = typeof e.message === 'string' && e.message !== '' ? e.message : 'evaluation failed';
    return typeof e.code === 'string' ? `${msg} (${e.code})` : msg;
  }
  return String(err);
}

const short = (s: string): string => (s.length > 80 ? `${s.slice(0, 77)}...` : s);

/**
 * Evaluates a template against `scope` (plain JSON data: `inputs`, `steps`/`states`, `item`,
 * `index`, `run`, `attempt`, ...). Objects and arrays are walked; a string that is exactly one
 * `${{ }}` yields the expression's raw value (`undefined` when it yields nothing); text around
 * expressions interpolates them (strings as-is, `undefined` as '', anything else as JSON).
 *
 * @throws TaskError named `ExpressionError` (not retryable) whose message starts with
 *   `opts.field` plus the path inside the template.
 */
export async function evaluateTemplate(template: unknown, scope: Record<string, unknown>, opts: EvaluateOptions): Promise<unknown> {
  const limits: Limits = {
    timeoutMs: opts.timeoutMs ?? defaultEvaluateLimits.timeoutMs,
    maxDepth: opts.maxDepth ?? defaultEvaluateLimits.maxDepth,
    maxOutputBytes: opts.maxOutputBytes ?? defaultEvaluateLimits.maxOutputBytes,
    maxSequence: opts.maxSequence ?? defaultEvaluateLimits.maxSequence,
  };
  let input: unknown;
  const fail = (where: string, why: string, cause?: unknown): TaskError =>
    new TaskError('ExpressionError', `${opts.field}${where}: ${why}`, { retryable: false, ...(cause === undefined ? {} : { cause }) });

  const evalExpr = async (source: string, where: string): Promise<unknown> => {
    if (source.length > MAX_EXPRESSION_LENGTH) throw fail(where, `expression longer than ${MAX_EXPRESSION_LENGTH} characters`);
    let expr: jsonata.Expression;
    try {
      expr = compiled(source, limits);
    } catch (err) {
      throw fail(where, `invalid expression \`${short(source)}\`: ${reason(err)}`, err);
    }
    if (input === undefined) {
      try {
        input = toSandbox(scope);
      } catch (err) {
        throw fail(where, reason(err), err);
      }
    }
    try {
      return await expr.evaluate(input, DISABLED);
    } catch (err) {
      throw fail(where, `\`${short(source)}\` failed: ${reason(err)}`, err);
    }
  };

  const out = (value: unknown, where: string): unknown => {
    try {
      return fromSandbox(value, {
        maxBytes: limits.maxOutputBytes,
        maxDepth: 1000,
        ...(opts.maxOutputSetting ? { limitName: opts.maxOutputSetting } : {}),
      });
    } catch (err) {
      if (err instanceof SandboxResultError) throw fail(where, err.message, err);
      throw err;
    }
  };

  const evalString = async (s: string, where: string): Promise<unknown> => {
    if (!s.includes('${{')) return s;
    let segments: TemplateSegment[];
    try {
      segments = remember(segmentCache, s, () => parseTemplateString(s));
    } catch (err) {
      throw fail(where, reason(err), err);
    }
    const only = segments[0];
    if (segments.length === 1 && only?.type === 'expr') return out(await evalExpr(only.source, where), where);
    let text = '';
    for (const seg of segments) {
      if (seg.type === 'text') {
        text += seg.text;
        continue;
      }
      const v = out(await evalExpr(seg.source, where), where);
      text += v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
      if (text.length > limits.maxOutputBytes) throw fail(where, resultTooLarge(limits.maxOutputBytes, opts.maxOutputSetting));
    }
    return text;
  };

  const walk = async (value: unknown, where: string): Promise<unknown> => {
    if (typeof value === 'string') return await evalString(value, where);
    if (Array.isArray(value)) {
      const result: unknown[] = [];
      for (let i = 0; i < value.length; i++) {
        const v = await walk(value[i], `${where}/${i}`);
        result.push(v === undefined ? null : v);
      }
      return result;
    }
    if (value !== null && typeof value === 'object') {
      const result: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const r = await walk(v, `${where}/${escapeSegment(k)}`);
        if (r !== undefined) Object.defineProperty(result, k, { value: r, enumerable: true, writable: true, configurable: true });
      }
      return result;
    }
    return value;
  };

  const result = await walk(template, '');
  // The pieces were each within budget; the assembled whole must be too.
  return out(result, '');
}

/** Empties the compiled-expression caches (for tests and memory pressure). */
export function clearExpressionCache(): void {
  exprCache.clear();
  segmentCache.clear();
  clearRegexCache();
}
