/**
 * Spec -> `CompiledWorkflow`: parse (with limits) -> JSON Schema -> semantic checks -> the
 * compiled graph of ./types.ts. Every problem found is collected into one `SpecError`, each with
 * its path and, for text input, line and column. Schema problems stop compilation before the
 * semantic checks, which assume a well-formed spec.
 */
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { SpecError, type SpecProblem } from '../errors.js';
import { CompileContext, isObj, type Obj } from './compile-context.js';
import { compileDag, resolveDagRefs } from './compile-dag.js';
import { compileSm } from './compile-sm.js';
import { compileTriggers } from './compile-triggers.js';
import { compileNotify } from './compile-notify.js';
import { resolveSpecLimits, type SpecLimits } from './limits.js';
import { checkValueLimits, parseSpecText, type SpecFormat } from './parse.js';
import { validateSpecSchema } from './schema.js';
import type { SourcePosition } from './source-map.js';
import type { CompiledWorkflow, Refs } from './types.js';

export { specContentHash } from './content-hash.js';

export interface CompileOptions {
  /** Force YAML or JSON; by default detected. */
  format?: SpecFormat;
  limits?: Partial<SpecLimits>;
}

export interface CompileResult {
  compiled: CompiledWorkflow;
  /** The parsed spec as JSON data (what `specContentHash` hashes). */
  spec: unknown;
}

/** At most this many problems are reported; a last one says how many more there were. */
export const MAX_REPORTED_PROBLEMS = 100;

let inputsAjv: Ajv | undefined;

/** `inputs:` must itself be a valid JSON Schema (it validates run inputs later). */
function checkInputsSchema(ctx: CompileContext, inputs: unknown): void {
  if (inputs === undefined) return;
  if (!inputsAjv) {
    inputsAjv = new Ajv({ allErrors: true, strict: false });
    addFormats.default(inputsAjv);
  }
  try {
    inputsAjv.compile(inputs as Obj);
  } catch (err) {
    ctx.problem('/inputs', `not a valid JSON Schema: ${(err as Error).message}`);
  } finally {
    inputsAjv.removeSchema(inputs as Obj);
  }
}

function finish(problems: SpecProblem[], locate: ((path: string) => SourcePosition | undefined) | undefined): SpecError {
  const located = problems.map((p) => (p.line === undefined && locate ? { ...p, ...locate(p.path) } : p));
  located.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0));
  if (located.length > MAX_REPORTED_PROBLEMS) {
    const more = located.length - MAX_REPORTED_PROBLEMS;
    located.length = MAX_REPORTED_PROBLEMS;
    located.push({ path: '', message: `... and ${more} more problem${more === 1 ? '' : 's'}` });
  }
  return new SpecError(located);
}

function compileValue(spec: unknown, locate: ((path: string) => SourcePosition | undefined) | undefined): CompiledWorkflow {
  const schemaProblems = validateSpecSchema(spec);
  if (schemaProblems.length > 0) throw finish(schemaProblems, locate);
  const s = spec as Obj;
  const ctx = new CompileContext(s);
  checkInputsSchema(ctx, s.inputs);
  if (s.onFailure !== undefined && s.steps === undefined) {
    ctx.problem('/onFailure', 'applies to DAGs (`steps`) only; a state machine handles failures with `catch`');
  }
  const graph =
    s.steps !== undefined ? compileDag(ctx, s.steps as Obj, s.onFailure === 'continue' ? 'continue' : 'fail-fast') : compileSm(ctx, s);

  let output: CompiledWorkflow['output'] = null;
  if (s.output !== undefined) {
    const analyses = ctx.templates(s.output, '/output');
    let refs: Refs;
    if (graph.model === 'dag') refs = resolveDagRefs(ctx, graph.nodes, null, analyses);
    else {
      // Top-level `states.<name>` only (branch states are reachable through their parallel's output).
      let inputs = false;
      let all = false;
      const names = new Set<string>();
      for (const { path, analysis } of analyses) {
        if (analysis.whole || analysis.roots.has('inputs')) inputs = true;
        if (analysis.steps === '*') all = true;
        else
          for (const n of analysis.steps) {
            const st = graph.states[n];
            if (st && st.scope === null) names.add(n);
            else
              ctx.unknownName(
                path,
                'state',
                n,
                Object.values(graph.states)
                  .filter((x) => x.scope === null)
                  .map((x) => x.name),
              );
          }
      }
      refs = { inputs, steps: all ? '*' : [...names] };
    }
    output = { template: s.output, refs };
  }
  const triggers = compileTriggers(ctx, s.triggers);
  const notify = compileNotify(ctx, s.notify);
  const concurrency = isObj(s.concurrency)
    ? {
        limit: typeof s.concurrency.limit === 'number' ? s.concurrency.limit : 1,
        onOverlap: (s.concurrency.onOverlap ?? 'queue') as 'queue' | 'skip' | 'cancel-running' | 'allow',
      }
    : null;
  const timeoutMs = ctx.duration(s.timeout, '/timeout');
  const retentionMs = ctx.duration(s.retention, '/retention');
  if (ctx.problems.length > 0) throw finish(ctx.problems, locate);
  return {
    name: String(s.name),
    description: typeof s.description === 'string' ? s.description : null,
    inputs: isObj(s.inputs) ? s.inputs : null,
    concurrency,
    timeoutMs,
    retentionMs,
    output,
    triggers,
    notify,
    graph,
  };
}

/**
 * Compiles spec text (YAML or JSON).
 *
 * @returns the compiled workflow and the parsed spec (hash it with `specContentHash`).
 * @throws SpecError listing every problem found (path, message, line and column).
 */
export function compileSpec(text: string, opts: CompileOptions = {}): CompileResult {
  const parsed = parseSpecText(text, opts);
  return { compiled: compileValue(parsed.value, (p) => parsed.locate(p)), spec: parsed.value };
}

/**
 * Compiles an already-parsed spec (plain JSON data). Same checks as `compileSpec`, including the
 * node, depth and step limits, but problems carry no line/column.
 */
export function compileSpecObject(obj: unknown, opts: Pick<CompileOptions, 'limits'> = {}): CompileResult {
  const limitProblems = checkValueLimits(obj, resolveSpecLimits(opts.limits));
  if (limitProblems.length > 0) throw new SpecError(limitProblems);
  return { compiled: compileValue(obj, undefined), spec: obj };
}
