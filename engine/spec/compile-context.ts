/**
 * The compiler's context: the problem list, the workflow-wide defaults (retry, timeout), durations
 * and template checks (syntax, `secrets` only inside task blocks, `item`/`index` only where a
 * `forEach` provides them), and what the node compilers share about expressions. It imports no
 * compiler module, so every one of them (compile-common.ts and the per-field modules it uses)
 * can take a CompileContext.
 */
import type { SpecProblem } from '../errors.js';
import { parseDuration } from './duration.js';
import { analyzeExpression, type ExpressionAnalysis } from './expression-refs.js';
import { closest } from './schema.js';
import { checkTemplate, parseTemplateString } from './template.js';
import type { Refs, RetryPolicy } from './types.js';

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** How many lost workers (expired leases) a step may cause when no `retry.maxWorkerLosses` says otherwise. */
export const DEFAULT_MAX_WORKER_LOSSES = 3;

/** Retry policy when neither the task nor `defaults.retry` says otherwise. */
export const builtinRetryPolicy: Readonly<Required<RetryPolicy>> = Object.freeze({
  maxAttempts: 1,
  backoff: 'exponential',
  delayMs: 1_000,
  maxDelayMs: 60_000,
  jitter: 'full',
  nonRetryable: [],
  maxWorkerLosses: DEFAULT_MAX_WORKER_LOSSES,
});

/** One parsed expression of a node, with the path of the string that holds it. */
export interface FieldAnalysis {
  path: string;
  analysis: ExpressionAnalysis;
}

/** Which restricted names a template may use: `secrets` (task blocks) and `item`/`index` (forEach tasks). */
export interface TemplateRole {
  secrets: boolean;
  item: boolean;
}

const PLAIN: TemplateRole = { secrets: false, item: false };

/** Collects problems and holds the workflow-wide defaults while one spec is compiled. */
/**
 * Collects what a node's expressions read: `inputs`, and the step/state names resolved by
 * `resolve` (a qualified name, or null after it reported the problem); any dynamic access makes
 * the whole set `'*'`.
 */
export function collectRefs(analyses: FieldAnalysis[], resolve: (path: string, name: string) => string | null): Refs {
  let inputs = false;
  let all = false;
  const names = new Set<string>();
  for (const { path, analysis } of analyses) {
    if (analysis.whole || analysis.roots.has('inputs')) inputs = true;
    if (analysis.steps === '*') {
      all = true;
      continue;
    }
    for (const name of analysis.steps) {
      const resolved = resolve(path, name);
      if (resolved !== null) names.add(resolved);
    }
  }
  return { inputs, steps: all ? '*' : [...names] };
}

export class CompileContext {
  readonly problems: SpecProblem[] = [];
  readonly root: 'steps' | 'states';
  readonly defaultRetry: RetryPolicy;
  readonly defaultTimeoutMs: number | null;
  private readonly defaultRetryExplicit: Obj;

  constructor(spec: Obj) {
    this.root = spec.steps !== undefined ? 'steps' : 'states';
    const defaults = isObj(spec.defaults) ? spec.defaults : {};
    this.defaultRetryExplicit = isObj(defaults.retry) ? defaults.retry : {};
    this.defaultRetry = this.mergeRetry(builtinRetryPolicy, {}, this.defaultRetryExplicit, '/defaults/retry');
    this.defaultTimeoutMs = this.duration(defaults.timeout, '/defaults/timeout');
  }

  problem(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  /** A duration field in ms; null when absent; a problem (and null) when invalid. */
  duration(value: unknown, path: string): number | null {
    if (value === undefined) return null;
    try {
      return parseDuration(value as string | number);
    } catch (err) {
      this.problem(path, (err as Error).message);
      return null;
    }
  }

  private mergeRetry(base: RetryPolicy, explicitDefaults: Obj, spec: Obj, path: string): RetryPolicy {
    const delay = this.duration(spec.delay, `${path}/delay`);
    const maxDelay = this.duration(spec.maxDelay, `${path}/maxDelay`);
    const policy: RetryPolicy = {
      maxAttempts: typeof spec.maxAttempts === 'number' ? spec.maxAttempts : base.maxAttempts,
      backoff: spec.backoff === 'fixed' || spec.backoff === 'exponential' ? spec.backoff : base.backoff,
      delayMs: delay ?? base.delayMs,
      maxDelayMs: maxDelay ?? base.maxDelayMs,
      jitter: spec.jitter === 'none' || spec.jitter === 'full' ? spec.jitter : base.jitter,
      nonRetryable: Array.isArray(spec.nonRetryable) ? spec.nonRetryable.map(String) : [...base.nonRetryable],
      maxWorkerLosses:
        typeof spec.maxWorkerLosses === 'number' ? spec.maxWorkerLosses : (base.maxWorkerLosses ?? DEFAULT_MAX_WORKER_LOSSES),
    };
    const maxDelayGiven = spec.maxDelay !== undefined || explicitDefaults.maxDelay !== undefined;
    if (policy.maxDelayMs < policy.delayMs) {
      // An explicit cap below the first delay is a contradiction; the built-in 1m cap just grows.
      if (maxDelayGiven) this.problem(path, `maxDelay (${policy.maxDelayMs} ms) is shorter than delay (${policy.delayMs} ms)`);
      else policy.maxDelayMs = policy.delayMs;
    }
    return policy;
  }

  /** A task's retry policy: its `retry:` merged field by field over `defaults.retry` over the built-in policy. */
  retry(spec: unknown, path: string): RetryPolicy {
    return spec === undefined
      ? { ...this.defaultRetry, nonRetryable: [...this.defaultRetry.nonRetryable] }
      : this.mergeRetry(this.defaultRetry, this.defaultRetryExplicit, isObj(spec) ? spec : {}, path);
  }

  /**
   * Checks a template: syntax, and the names it may use. `secrets` only in task blocks;
   * `item`/`index` only in the `with` and task block of a `forEach` task.
   */
  templates(template: unknown, path: string, role: TemplateRole = PLAIN): FieldAnalysis[] {
    if (template === undefined) return [];
    const check = checkTemplate(template, path);
    this.problems.push(...check.problems);
    const out: FieldAnalysis[] = [];
    for (const e of check.expressions) {
      const analysis = analyzeExpression(e.ast, this.root);
      if (analysis.roots.has('secrets') && !role.secrets) {
        this.problem(
          e.path,
          '`secrets` can only be used inside a task block (http, container or wasm fields), never in `with`, `output`, conditions or inputs',
        );
      }
      for (const name of ['item', 'index']) {
        if (analysis.roots.has(name) && !role.item)
          this.problem(e.path, `\`${name}\` only exists in the \`with\` and task block of a step with \`forEach\``);
      }
      out.push({ path: e.path, analysis });
    }
    return out;
  }

  /** `if:` / `when:` must be a boolean or one `${{ }}` expression (a plain string would always be true). */
  condition(value: unknown, path: string, label: string): FieldAnalysis[] {
    if (typeof value === 'string' && !isSingleExpression(value)) {
      this.problem(path, `\`${label}\` must be a boolean or a single \`\${{ ... }}\` expression`);
      return [];
    }
    return this.templates(value, path);
  }

  /** "unknown step `x`", with a did-you-mean hint when one is close. */
  unknownName(path: string, kind: string, name: string, known: Iterable<string>): void {
    const hint = closest(name, known);
    this.problem(path, `unknown ${kind} \`${name}\`${hint ? ` (did you mean \`${hint}\`?)` : ''}`);
  }
}

/** True when `s` is exactly one `${{ }}` expression (no text around it). */
export function isSingleExpression(s: string): boolean {
  try {
    const segs = parseTemplateString(s);
    return segs.length === 1 && segs[0]?.type === 'expr';
  } catch {
    return s.trimStart().startsWith('${{');
  }
}
