/**
 * Static analysis of expressions: which top-level names (`inputs`, `steps`/`states`, `secrets`,
 * ...) an expression reads, and which step names through `steps.<name>`. The engine uses it to
 * load only the data an expression needs; the compiler uses it to reject unknown step names and
 * `secrets` outside task blocks.
 *
 * "Root context" tracking: a name is a top-level reference only where the context is the scope
 * itself (the start of a path, function arguments, operands ...), not after a `.` or inside a
 * filter (`steps.a.output[steps = 1]` reads the field `steps` of each item). `$$` is always the
 * scope; `$` is the scope in root context. Anything that reads the scope as a whole (`$keys($$)`,
 * `*`, `**`, `steps[...]`, a bare `steps`) makes the step set dynamic (`'*'`).
 */
import type jsonata from 'jsonata';
import type { Refs } from './types.js';
import { forEachString, parseExpression, parseTemplateString } from './template.js';

export interface ExpressionAnalysis {
  /** Top-level names read (`inputs`, `steps`, `secrets`, `item`, ...). */
  roots: Set<string>;
  /** Step names read through `<root>.<name>`; `'*'` when dynamic. */
  steps: Set<string> | '*';
  /** True when the whole scope is read (`$$`, `*`, `**`): treat every root name as read. */
  whole: boolean;
}

interface AstNode {
  type: string;
  value?: unknown;
  steps?: unknown;
  stages?: unknown;
  [key: string]: unknown;
}

const isNode = (v: unknown): v is AstNode => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof RegExp);
const SKIP_KEYS = new Set(['type', 'value', 'position', 'keepArray', 'consarray', 'tuple', 'signature', 'nextFunction', 'thunk']);

/** Analyses one parsed expression; `root` is `'steps'` (DAG) or `'states'` (state machine). */
export function analyzeExpression(ast: jsonata.ExprNode, root: 'steps' | 'states'): ExpressionAnalysis {
  const roots = new Set<string>();
  let steps: Set<string> | '*' = new Set();
  let whole = false;
  const dynamic = (): void => {
    steps = '*';
  };

  const walkChildren = (node: AstNode, atRoot: boolean): void => {
    for (const [key, child] of Object.entries(node)) {
      if (SKIP_KEYS.has(key)) continue;
      // Filters, sort terms and grouping run against the items of what they are attached to.
      const relative = key === 'stages' || key === 'predicate' || key === 'group' || key === 'terms';
      walk(child, atRoot && !relative);
    }
  };

  const walkPath = (node: AstNode, stepsList: AstNode[], atRoot: boolean): void => {
    let i = 0;
    let ctx = atRoot;
    const first = stepsList[0];
    if (first && first.type === 'variable' && (first.value === '$' || (first.value === '' && atRoot))) {
      walkChildren(first, false);
      if (stepsList.length === 1) {
        whole = true;
        dynamic();
        return;
      }
      ctx = true;
      i = 1;
    }
    const head = stepsList[i];
    if (head && ctx && head.type === 'name') {
      const name = String(head.value);
      roots.add(name);
      if (name === root) {
        const next = stepsList[i + 1];
        const filtered = Array.isArray(head.stages) && head.stages.length > 0;
        if (next && next.type === 'name' && !filtered && steps !== '*') steps.add(String(next.value));
        else dynamic();
      }
      walkChildren(head, false);
    } else if (head && head.type === 'name') {
      walkChildren(head, false);
    } else if (head) {
      walk(head, ctx);
    }
    for (let j = i + 1; j < stepsList.length; j++) walk(stepsList[j], false);
    for (const [key, child] of Object.entries(node)) {
      if (key !== 'steps' && !SKIP_KEYS.has(key)) walk(child, false);
    }
  };

  const walk = (node: unknown, atRoot: boolean): void => {
    if (Array.isArray(node)) {
      for (const n of node) walk(n, atRoot);
      return;
    }
    if (!isNode(node)) return;
    switch (node.type) {
      case 'path':
        walkPath(node, (node.steps ?? []) as AstNode[], atRoot);
        return;
      case 'name':
        walkPath({ type: 'path' }, [node], atRoot);
        return;
      case 'variable':
        if (node.value === '$' || (node.value === '' && atRoot)) {
          whole = true;
          dynamic();
        }
        walkChildren(node, false);
        return;
      case 'wildcard':
      case 'descendant':
        if (atRoot) {
          whole = true;
          dynamic();
        }
        walkChildren(node, false);
        return;
      default:
        walkChildren(node, atRoot);
    }
  };

  walk(ast as unknown, true);
  return { roots, steps, whole };
}

/** Merges analyses into `Refs` with the names as written (not yet qualified). */
export function refsOf(analyses: Iterable<ExpressionAnalysis>): Refs {
  let inputs = false;
  let steps: Set<string> | '*' = new Set();
  for (const a of analyses) {
    if (a.whole || a.roots.has('inputs')) inputs = true;
    if (a.steps === '*' || steps === '*') steps = '*';
    else for (const s of a.steps) steps.add(s);
  }
  return { inputs, steps: steps === '*' ? '*' : [...steps] };
}

/**
 * Which inputs and steps/states a template reads, from the JSONata ASTs of its expressions.
 * `steps.load.output` -> `load`; `steps[...]`, `$lookup(steps, x)`, a bare `steps`, `$$`, `*`
 * -> `'*'`. Names are the local names as written. Expressions that do not parse are ignored
 * here (`checkTemplate` reports them).
 */
export function extractRefs(template: unknown, root: 'steps' | 'states'): Refs {
  const analyses: ExpressionAnalysis[] = [];
  forEachString(template, '', (s) => {
    if (!s.includes('${{')) return;
    try {
      for (const seg of parseTemplateString(s)) {
        if (seg.type !== 'expr') continue;
        const parsed = parseExpression(seg.source);
        if ('ast' in parsed) analyses.push(analyzeExpression(parsed.ast, root));
      }
    } catch {
      // Syntax errors are reported by checkTemplate at compile time; nothing to read here.
    }
  });
  return refsOf(analyses);
}
