/**
 * Spec text -> JSON value, under size limits, with a way back from any JSON-pointer path to the
 * line and column it came from. YAML and JSON are both accepted (JSON goes through `JSON.parse`,
 * which is both faster and gives better messages for JSON).
 */
import { SpecError, type SpecProblem } from '../errors.js';
import { limitHint, resolveSpecLimits, type SpecLimits } from './limits.js';
import { parseYaml } from './parse-yaml.js';
import { joinPointer, splitPointer } from './pointer.js';
import { jsonErrorOffset, lineLocator, scanJson, type SourcePosition } from './source-map.js';

export { defaultSpecLimits, type SpecLimits } from './limits.js';

export type SpecFormat = 'yaml' | 'json';

export interface ParseSpecOptions {
  /** Force a format; by default text whose first non-blank character is `{` is tried as JSON first. */
  format?: SpecFormat;
  limits?: Partial<SpecLimits>;
}

export interface ParsedSpec {
  /** The parsed document as plain JSON data. */
  value: unknown;
  format: SpecFormat;
  /** Line and column (1-based) of the entry at a JSON-pointer path, or of its nearest ancestor. */
  locate(path: string): SourcePosition | undefined;
}

function fail(problems: SpecProblem[]): never {
  throw new SpecError(problems);
}

/**
 * Checks the parsed value: node count and depth (after YAML alias expansion), JSON-compatible
 * values only, and the total number of steps/states. Iterative, stops at the first excess.
 */
export function checkValueLimits(value: unknown, limits: SpecLimits): SpecProblem[] {
  interface Entry {
    v: unknown;
    parent: Entry | null;
    key: string | number;
    depth: number;
  }
  // Paths are built only for the entry that fails: most specs pass, and a pointer per node is costly.
  const pathOf = (e: Entry): string => {
    const keys: Array<string | number> = [];
    for (let at: Entry | null = e; at && at.parent; at = at.parent) keys.unshift(at.key);
    return joinPointer('', ...keys);
  };
  const stack: Entry[] = [{ v: value, parent: null, key: '', depth: 0 }];
  let nodes = 0;
  while (stack.length > 0) {
    const e = stack.pop()!;
    const v = e.v;
    if (++nodes > limits.maxNodes) {
      return [{ path: pathOf(e), message: `spec has more than ${limits.maxNodes} nodes ${limitHint('maxNodes', limits.maxNodes)}` }];
    }
    if (v === null || typeof v === 'string' || typeof v === 'boolean') continue;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return [{ path: pathOf(e), message: 'numbers must be finite (.inf and .nan are not JSON)' }];
      continue;
    }
    if (typeof v !== 'object') return [{ path: pathOf(e), message: `unsupported value of type ${typeof v}` }];
    if (e.depth >= limits.maxDepth) {
      return [
        { path: pathOf(e), message: `spec is nested deeper than ${limits.maxDepth} levels ${limitHint('maxDepth', limits.maxDepth)}` },
      ];
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ v: v[i], parent: e, key: i, depth: e.depth + 1 });
    } else if (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null) {
      for (const k in v) stack.push({ v: (v as Record<string, unknown>)[k], parent: e, key: k, depth: e.depth + 1 });
    } else {
      return [{ path: pathOf(e), message: 'only JSON values are allowed (no binary, sets or other YAML tags)' }];
    }
  }
  const steps = countSteps(value);
  if (steps > limits.maxSteps) {
    return [
      { path: '', message: `spec has ${steps} steps/states, more than ${limits.maxSteps} ${limitHint('maxSteps', limits.maxSteps)}` },
    ];
  }
  return [];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Counts DAG steps plus state-machine states, including states inside (nested) parallel branches. */
export function countSteps(spec: unknown): number {
  if (!isObject(spec)) return 0;
  let n = isObject(spec.steps) ? Object.keys(spec.steps).length : 0;
  const pending: unknown[] = [spec.states];
  while (pending.length > 0) {
    const states = pending.pop();
    if (!isObject(states)) continue;
    for (const state of Object.values(states)) {
      n++;
      if (isObject(state) && Array.isArray(state.parallel)) {
        for (const branch of state.parallel) if (isObject(branch)) pending.push(branch.states);
      }
    }
  }
  return n;
}

function parseJson(text: string, limits: SpecLimits): ParsedSpec | SyntaxError {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return err instanceof SyntaxError ? err : new SyntaxError(String(err));
  }
  const limitProblems = checkValueLimits(value, limits);
  if (limitProblems.length > 0) fail(limitProblems);
  const { duplicates } = scanJson(text, false);
  const pos = lineLocator(text);
  let offsets: Map<string, number> | undefined;
  const locate = (path: string): SourcePosition | undefined => {
    offsets ??= scanJson(text).offsets;
    const segments = splitPointer(path);
    for (let n = segments.length; n >= 0; n--) {
      const offset = offsets.get(joinPointer('', ...segments.slice(0, n)));
      if (offset !== undefined) return pos(offset);
    }
    return undefined;
  };
  if (duplicates.length > 0) {
    fail(
      duplicates.map((d) => ({
        path: d.pointer,
        message: `duplicate key ${JSON.stringify(splitPointer(d.pointer).at(-1) ?? '')}`,
        ...pos(d.offset),
      })),
    );
  }
  return { value, format: 'json', locate };
}

/**
 * Parses spec text (YAML or JSON) into plain JSON data.
 *
 * Rejects, with a `SpecError` naming the limit and how to raise it: text over `maxBytes`, more
 * than `maxNodes` nodes, nesting deeper than `maxDepth`, more than `maxAliasCount` alias
 * expansions, more than `maxSteps` steps/states. Also rejects syntax errors (with line and
 * column), duplicate keys and multiple YAML documents.
 */
export function parseSpecText(text: string, opts: ParseSpecOptions = {}): ParsedSpec {
  const limits = resolveSpecLimits(opts.limits);
  // Cheap upper bound first: a UTF-8 byte is at least one UTF-16 unit, at most three per unit.
  if (text.length > limits.maxBytes || (text.length * 3 > limits.maxBytes && Buffer.byteLength(text, 'utf8') > limits.maxBytes)) {
    const bytes = Buffer.byteLength(text, 'utf8');
    fail([{ path: '', message: `spec is ${bytes} bytes, more than ${limits.maxBytes} ${limitHint('maxBytes', limits.maxBytes)}` }]);
  }
  const looksJson = /^\s*\{/.test(text.slice(0, 1024));
  if (opts.format === 'json' || (opts.format === undefined && looksJson)) {
    const result = parseJson(text, limits);
    if (!(result instanceof SyntaxError)) return result;
    if (opts.format === 'json') {
      // V8 does not always name the offset, so find it ourselves.
      const offset = jsonErrorOffset(text);
      const where = offset === undefined ? undefined : lineLocator(text)(offset);
      fail([
        {
          path: '',
          message: `invalid JSON: ${result.message.replace(/ \(line \d+ column \d+\)$/, '').replace(/\s+/g, ' ')}`,
          ...(where ?? {}),
        },
      ]);
    }
    // Not JSON after all: flow-style YAML such as `{name: x}` falls through to the YAML parser.
  }
  const yaml = parseYaml(text, limits);
  if (yaml.problems.length > 0) fail(yaml.problems.map((p) => ({ ...(p.line === undefined ? yaml.locate(p.path) : {}), ...p })));
  const limitProblems = checkValueLimits(yaml.value, limits);
  if (limitProblems.length > 0) fail(limitProblems.map((p) => ({ ...yaml.locate(p.path), ...p })));
  return { value: yaml.value, format: 'yaml', locate: yaml.locate };
}
