/**
 * The published JSON Schema for workflow specs (`schema/workflow.json`, served at
 * `GET /v1/schema/workflow.json`) and a validator that turns Ajv's errors into short, human
 * `SpecProblem`s: one message per mistake, at the path of the mistake.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { SpecProblem } from '../errors.js';
import schemaJson from '../../schema/workflow.json' with { type: 'json' };
import { joinPointer } from './pointer.js';

/** The workflow spec JSON Schema (draft-07), as published. */
export const workflowSchema: Readonly<Record<string, unknown>> = schemaJson as Record<string, unknown>;

/**
 * Custom annotation in the schema: a message that replaces Ajv's for a keyword. Either one string
 * for every keyword of that schema object, or `{ keyword: message }`.
 */
const X_ERROR = 'x-error';

let cached: ValidateFunction | undefined;

/** The compiled Ajv validator for `workflowSchema` (compiled once, on first use). */
export function workflowValidator(): ValidateFunction {
  if (!cached) {
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true });
    ajv.addVocabulary([X_ERROR]);
    cached = ajv.compile(workflowSchema);
  }
  return cached;
}

function customMessage(err: ErrorObject): string | undefined {
  const parent = err.parentSchema as Record<string, unknown> | undefined;
  const x = parent?.[X_ERROR];
  if (typeof x === 'string') return x;
  if (x && typeof x === 'object') {
    const m = (x as Record<string, unknown>)[err.keyword];
    if (typeof m === 'string') return m;
  }
  return undefined;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate within edit distance 2 (1 for words of up to 3 characters) (for "did you mean" hints), if any. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD && (d <= 1 ? word.length > 1 : word.length > 3)) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

const typeWords = (t: unknown): string =>
  (Array.isArray(t) ? t.join(' or ') : String(t))
    .replace(/\binteger\b/, 'an integer')
    .replace(/\bobject\b/, 'an object')
    .replace(/\barray\b/, 'an array')
    .replace(/\bstring\b/, 'a string')
    .replace(/\bboolean\b/, 'a boolean')
    .replace(/\bnumber\b/, 'a number');

function toProblem(err: ErrorObject): SpecProblem {
  const p = err.params as Record<string, unknown>;
  const custom = customMessage(err);
  if (err.propertyName !== undefined) {
    return {
      path: joinPointer(err.instancePath, err.propertyName),
      message: `invalid name ${JSON.stringify(err.propertyName)}: ${custom ?? err.message ?? 'not allowed'}`,
    };
  }
  switch (err.keyword) {
    case 'additionalProperties': {
      const prop = String(p.additionalProperty);
      const props = (err.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
      const hint = closest(prop, Object.keys(props));
      const allowed = Object.keys(props).filter((k) => k !== 'description' && k !== '$schema');
      const tail = hint
        ? ` (did you mean \`${hint}\`?)`
        : allowed.length > 0 && allowed.length <= 12
          ? ` (allowed: ${allowed.join(', ')})`
          : '';
      return { path: joinPointer(err.instancePath, prop), message: `unknown property \`${prop}\`${tail}` };
    }
    case 'required':
      return { path: err.instancePath, message: custom ?? `missing required property \`${String(p.missingProperty)}\`` };
    case 'enum':
      return {
        path: err.instancePath,
        message: custom ?? `must be one of: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'const':
      return { path: err.instancePath, message: custom ?? `must be ${JSON.stringify(p.allowedValue)}` };
    case 'type':
      return { path: err.instancePath, message: custom ?? `must be ${typeWords(p.type)}` };
    case 'pattern':
      return { path: err.instancePath, message: custom ?? `must match ${String(p.pattern)}` };
    case 'oneOf':
      return { path: err.instancePath, message: custom ?? 'must match exactly one of the allowed forms' };
    case 'anyOf':
      return { path: err.instancePath, message: custom ?? 'must match one of the allowed forms' };
    case 'not':
      return { path: err.instancePath, message: custom ?? 'is not allowed here' };
    case 'minProperties':
      return { path: err.instancePath, message: custom ?? `must have at least ${String(p.limit)} entr${p.limit === 1 ? 'y' : 'ies'}` };
    default:
      return { path: err.instancePath, message: custom ?? err.message ?? `fails ${err.keyword}` };
  }
}

/**
 * Turns Ajv errors into problems: drops `if` bookkeeping and the per-branch noise under a failed
 * `oneOf`/`anyOf`/`not` (its own message, usually a custom one, says it better), drops everything
 * else at a path that already has a type error, and de-duplicates.
 */
export function schemaProblems(errors: readonly ErrorObject[]): SpecProblem[] {
  const combinators = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'not');
  const typed = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  const kept = errors.filter((e) => {
    if (e.keyword === 'if' || e.keyword === 'propertyNames') return false;
    if (e.keyword !== 'type' && typed.has(e.instancePath)) return false;
    return !combinators.some((c) => c !== e && e.schemaPath.startsWith(`${c.schemaPath}/`) && e.instancePath.startsWith(c.instancePath));
  });
  const seen = new Set<string>();
  const problems: SpecProblem[] = [];
  for (const err of kept) {
    const problem = toProblem(err);
    const key = `${problem.path}\u0000${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}

/** Validates a parsed spec against the workflow schema; returns problems with paths (no line/column). */
export function validateSpecSchema(spec: unknown): SpecProblem[] {
  const validate = workflowValidator();
  if (validate(spec)) return [];
  return schemaProblems(validate.errors ?? []);
}
