/**
 * `${{ <JSONata> }}` templates: splitting strings into text and expression segments, and the
 * compile-time check that parses every expression of a template (syntax errors become
 * `SpecProblem`s at the path of the string that holds them).
 */
import jsonata from 'jsonata';
import type { SpecProblem } from '../errors.js';
import { joinPointer } from './pointer.js';
import { regexProblem } from './regex.js';

/** Longest expression source accepted (characters between `${{` and `}}`). */
export const MAX_EXPRESSION_LENGTH = 4096;

export type TemplateSegment = { type: 'text'; text: string } | { type: 'expr'; source: string; offset: number };

/** Thrown by `parseTemplateString` for an unterminated or empty `${{`. */
export class TemplateSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateSyntaxError';
  }
}

/** Index just past the string literal or comment starting at `i`, or -1 when `i` starts neither. */
function skipLiteral(s: string, i: number): number {
  const c = s[i];
  if (c === '"' || c === "'" || c === '`') {
    for (let j = i + 1; j < s.length; j++) {
      if (s[j] === '\\' && c !== '`') j++;
      else if (s[j] === c) return j + 1;
    }
    return s.length;
  }
  if (c === '/' && s[i + 1] === '*') {
    const end = s.indexOf('*/', i + 2);
    return end < 0 ? s.length : end + 2;
  }
  return -1;
}

/**
 * Splits a string into text and `${{ ... }}` segments. The closing `}}` is found by a small
 * scanner that skips JSONata string literals, backtick names and comments and balances braces,
 * so object constructors such as `${{ {"a": {"b": 1}} }}` work. There is no escape for a
 * literal `${{`; write `${{ '${{' }}`.
 *
 * @throws TemplateSyntaxError for an unterminated or empty expression.
 */
export function parseTemplateString(s: string): TemplateSegment[] {
  const segments: TemplateSegment[] = [];
  let pos = 0;
  for (;;) {
    const open = s.indexOf('${{', pos);
    if (open < 0) break;
    if (open > pos) segments.push({ type: 'text', text: s.slice(pos, open) });
    let depth = 0;
    let j = open + 3;
    let close = -1;
    while (j < s.length) {
      const skipped = skipLiteral(s, j);
      if (skipped >= 0) {
        j = skipped;
        continue;
      }
      const c = s[j];
      if (c === '{') depth++;
      else if (c === '}') {
        if (depth === 0 && s[j + 1] === '}') {
          close = j;
          break;
        }
        depth = Math.max(0, depth - 1);
      }
      j++;
    }
    if (close < 0) throw new TemplateSyntaxError(`unterminated \`\${{\` at character ${open + 1} (missing \`}}\`)`);
    const source = s.slice(open + 3, close).trim();
    if (source === '') throw new TemplateSyntaxError(`empty expression \`\${{ }}\` at character ${open + 1}`);
    segments.push({ type: 'expr', source, offset: open });
    pos = close + 2;
  }
  if (pos < s.length) segments.push({ type: 'text', text: s.slice(pos) });
  return segments;
}

/** True when `value` (a string, or any string inside an object/array) holds a `${{` expression. */
export function isTemplate(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('${{');
  if (Array.isArray(value)) return value.some(isTemplate);
  if (value !== null && typeof value === 'object') return Object.values(value).some(isTemplate);
  return false;
}

/** One expression found in a template, parsed. */
export interface TemplateExpression {
  /** JSON pointer of the string that holds it. */
  path: string;
  source: string;
  ast: jsonata.ExprNode;
}

export interface TemplateCheck {
  problems: SpecProblem[];
  expressions: TemplateExpression[];
}

/** Calls `visit` for every string in a template with its JSON pointer. Object keys are never templates. */
export function forEachString(template: unknown, path: string, visit: (s: string, path: string) => void): void {
  if (typeof template === 'string') visit(template, path);
  else if (Array.isArray(template)) template.forEach((v, i) => forEachString(v, joinPointer(path, i), visit));
  else if (template !== null && typeof template === 'object') {
    for (const [k, v] of Object.entries(template)) forEachString(v, joinPointer(path, k), visit);
  }
}

const AST_CACHE_SIZE = 10_000;
const SIMPLE_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const KEYWORDS = new Set(['and', 'or', 'in', 'true', 'false', 'null', 'function']);

/**
 * The AST JSONata builds for a plain dotted path such as `steps.load.output` (the most common
 * expression by far), without running its parser; undefined for anything else.
 */
function simplePathAst(source: string): jsonata.ExprNode | undefined {
  if (!SIMPLE_PATH.test(source)) return undefined;
  const names = source.split('.');
  if (names.some((n) => KEYWORDS.has(n))) return undefined;
  let position = 0;
  const steps = names.map((value) => {
    position += value.length + 1;
    return { type: 'name' as const, value, position: position - 1 };
  });
  return { type: 'path', steps } as unknown as jsonata.ExprNode;
}
const astCache = new Map<string, { ast: jsonata.ExprNode } | { error: string }>();

/**
 * Parses one expression (cached by source, bounded LRU: JSONata's parser costs ~0.1 ms even for
 * `a.b`, and specs repeat expressions). The AST is shared: treat it as read-only.
 */
export function parseExpression(source: string): { ast: jsonata.ExprNode } | { error: string } {
  const hit = astCache.get(source);
  if (hit) {
    astCache.delete(source);
    astCache.set(source, hit);
    return hit;
  }
  let result: { ast: jsonata.ExprNode } | { error: string };
  try {
    result = { ast: simplePathAst(source) ?? jsonata(source).ast() };
  } catch (err) {
    const e = err as { message?: string; position?: number };
    const at = typeof e.position === 'number' ? ` (at character ${e.position})` : '';
    result = { error: `${e.message ?? String(err)}${at}` };
  }
  astCache.set(source, result);
  if (astCache.size > AST_CACHE_SIZE) astCache.delete(astCache.keys().next().value as string);
  return result;
}

function walkRegexes(node: unknown, found: (re: RegExp) => void): void {
  if (node instanceof RegExp) found(node);
  else if (Array.isArray(node)) node.forEach((n) => walkRegexes(n, found));
  else if (node !== null && typeof node === 'object') for (const v of Object.values(node)) walkRegexes(v, found);
}

/**
 * Parses every `${{ }}` expression of `template` (at JSON pointer `path`): unterminated or empty
 * expressions, expressions longer than `MAX_EXPRESSION_LENGTH`, JSONata syntax errors and
 * regular expressions the linear-time engine (RE2) cannot run (backreferences, lookaround) become
 * problems at the string's path.
 */
export function checkTemplate(template: unknown, path: string): TemplateCheck {
  const problems: SpecProblem[] = [];
  const expressions: TemplateExpression[] = [];
  forEachString(template, path, (s, p) => {
    if (!s.includes('${{')) return;
    let segments: TemplateSegment[];
    try {
      segments = parseTemplateString(s);
    } catch (err) {
      problems.push({ path: p, message: (err as Error).message });
      return;
    }
    for (const seg of segments) {
      if (seg.type !== 'expr') continue;
      if (seg.source.length > MAX_EXPRESSION_LENGTH) {
        problems.push({
          path: p,
          message: `expression is ${seg.source.length} characters long, more than ${MAX_EXPRESSION_LENGTH}; move the logic into a task`,
        });
        continue;
      }
      const parsed = parseExpression(seg.source);
      if ('error' in parsed) {
        problems.push({ path: p, message: `invalid expression \`${seg.source}\`: ${parsed.error}` });
        continue;
      }
      const ast = parsed.ast;
      walkRegexes(ast, (re) => {
        const why = regexProblem(re.source, re.flags);
        if (why) problems.push({ path: p, message: `regular expression /${re.source}/ ${why}` });
      });
      expressions.push({ path: p, source: seg.source, ast });
    }
  });
  return { problems, expressions };
}
