/**
 * The YAML half of `parseSpecText`: a cheap lexer pre-pass that enforces the node and depth
 * limits before yaml composes a document (composition costs ~5 µs a node, so a 1 MiB flat list
 * would otherwise take seconds), composition, duplicate-key detection and path -> line/column.
 */
import { isAlias, isMap, isScalar, isSeq, Lexer, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { SpecProblem } from '../errors.js';
import { limitHint, type SpecLimits } from './limits.js';
import { joinPointer, splitPointer } from './pointer.js';
import { lineLocator, type SourcePosition } from './source-map.js';

export interface YamlParseResult {
  value: unknown;
  problems: SpecProblem[];
  locate: (path: string) => SourcePosition | undefined;
}

const CONTROL_TOKENS = new Set(['\x02', '\x18', '\x1f']);

/**
 * Lexer-only pass: counts scalars and measures flow nesting and same-line block nesting
 * (`- - - - x`). Block nesting across lines needs growing indentation, so `maxBytes` bounds it.
 */
function prescan(text: string, limits: SpecLimits, pos: (offset: number) => SourcePosition): SpecProblem | undefined {
  let scalars = 0;
  let flowDepth = 0;
  let lineIndicators = 0;
  let offset = 0;
  for (const tok of new Lexer().lex(text)) {
    const c = tok[0];
    if (tok === '\x1f' || c === '"' || c === "'" || c === '*' || c === '|' || c === '>') {
      if (++scalars > limits.maxNodes) {
        return {
          path: '',
          message: `spec has more than ${limits.maxNodes} YAML nodes ${limitHint('maxNodes', limits.maxNodes)}`,
          ...pos(offset),
        };
      }
    } else if (tok === '[' || tok === '{') {
      if (++flowDepth > limits.maxDepth) {
        return {
          path: '',
          message: `spec is nested deeper than ${limits.maxDepth} levels ${limitHint('maxDepth', limits.maxDepth)}`,
          ...pos(offset),
        };
      }
    } else if (tok === ']' || tok === '}') {
      flowDepth = Math.max(0, flowDepth - 1);
    } else if (tok === '\n' || tok === '\r\n') {
      lineIndicators = 0;
    } else if (flowDepth === 0 && (tok === '-' || tok === '?' || tok === ':')) {
      if (++lineIndicators > limits.maxDepth) {
        return {
          path: '',
          message: `spec is nested deeper than ${limits.maxDepth} levels ${limitHint('maxDepth', limits.maxDepth)}`,
          ...pos(offset),
        };
      }
    }
    if (!CONTROL_TOKENS.has(tok)) offset += tok.length;
  }
  return undefined;
}

function keyString(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  if (key === null || key === undefined) return '';
  return JSON.stringify((key as Node).toJSON());
}

/** Walks the composed AST once: exact node count and depth (before alias expansion) and duplicate keys. */
function walkAst(doc: Document, limits: SpecLimits, pos: (offset: number) => SourcePosition): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const stack: Array<{ node: unknown; pointer: string; depth: number }> = [{ node: doc.contents, pointer: '', depth: 0 }];
  let nodes = 0;
  while (stack.length > 0) {
    const { node, pointer, depth } = stack.pop()!;
    if (++nodes > limits.maxNodes) {
      return [{ path: pointer, message: `spec has more than ${limits.maxNodes} YAML nodes ${limitHint('maxNodes', limits.maxNodes)}` }];
    }
    if (isMap(node) || isSeq(node)) {
      if (depth >= limits.maxDepth) {
        return [
          {
            path: pointer,
            message: `spec is nested deeper than ${limits.maxDepth} levels ${limitHint('maxDepth', limits.maxDepth)}`,
            ...(node.range ? pos(node.range[0]) : {}),
          },
        ];
      }
      if (isMap(node)) {
        const seen = new Set<string>();
        for (const pair of node.items) {
          const key = keyString(pair.key);
          const child = joinPointer(pointer, key);
          if (seen.has(key)) {
            const range = (pair.key as Node | null)?.range;
            problems.push({ path: child, message: `duplicate key ${JSON.stringify(key)}`, ...(range ? pos(range[0]) : {}) });
          }
          seen.add(key);
          nodes++;
          stack.push({ node: pair.value, pointer: child, depth: depth + 1 });
        }
      } else {
        node.items.forEach((item, index) => stack.push({ node: item, pointer: joinPointer(pointer, index), depth: depth + 1 }));
      }
    }
  }
  return problems;
}

/** Returns the start offset of the entry at `path` (the key for map entries), or of its nearest ancestor. */
function locateOffset(doc: Document, path: string): number | undefined {
  let node: unknown = doc.contents;
  let best: number | undefined = (node as Node | null)?.range?.[0];
  for (const segment of splitPointer(path)) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => keyString(p.key) === segment);
      if (!pair) return best;
      best = (pair.key as Node | null)?.range?.[0] ?? best;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)] as Node | undefined;
      if (!item) return best;
      best = item.range?.[0] ?? best;
      node = item;
    } else {
      return best;
    }
  }
  return best;
}

/** Parses YAML text under `limits`; the caller has already checked `maxBytes`. */
export function parseYaml(text: string, limits: SpecLimits): YamlParseResult {
  const lineCounter = new LineCounter();
  const pos = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  // The pre-scan runs before the line counter is filled, so it uses its own line index.
  const prePos = lineLocator(text);
  const noLocate = (): undefined => undefined;

  const tooBig = prescan(text, limits, prePos);
  if (tooBig) return { value: undefined, problems: [tooBig], locate: noLocate };

  // uniqueKeys: false because yaml's own check is quadratic in the map size; walkAst does it with a Set.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: true });
  const locate = (path: string): SourcePosition | undefined => {
    const offset = locateOffset(doc, path);
    return offset === undefined ? undefined : pos(offset);
  };
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e): SpecProblem => {
      const first = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
      const message = e.code === 'MULTIPLE_DOCS' ? 'a spec must be a single YAML document (found `---` starting another)' : first;
      return { path: '', message, ...pos(e.pos[0]) };
    });
    return { value: undefined, problems, locate };
  }
  const astProblems = walkAst(doc, limits, pos);
  if (astProblems.length > 0) return { value: undefined, problems: astProblems, locate };

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: limits.maxAliasCount });
  } catch (err) {
    const message =
      err instanceof Error && /alias/i.test(err.message)
        ? `spec expands too many YAML aliases (a "billion laughs" document?) ${limitHint('maxAliasCount', limits.maxAliasCount)}`
        : `cannot read YAML: ${err instanceof Error ? err.message : String(err)}`;
    return { value: undefined, problems: [{ path: '', message, line: 1, column: 1 }], locate };
  }
  return { value, problems: [], locate };
}
