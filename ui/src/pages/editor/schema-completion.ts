/**
 * Completion from the workflow JSON Schema (GET /v1/schema/workflow.json) for CodeMirror's YAML
 * mode: the keys the schema allows where the cursor is (with their descriptions), and the values of
 * an `enum`. Where the cursor is comes from the block structure above it (keys and `- ` items by
 * indentation); flow mappings (`{ ... }`) are not looked into.
 */
import type { Completion, CompletionContext, CompletionResult, CompletionSource } from '@codemirror/autocomplete';

export type JsonSchema = {
  $ref?: string;
  description?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  patternProperties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema | JsonSchema[];
  allOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  then?: JsonSchema;
  else?: JsonSchema;
  definitions?: Record<string, JsonSchema>;
};

/** The schemas a value may match here: `$ref`s followed, `allOf`/`anyOf`/`oneOf`/`then`/`else` unfolded. */
export function alternatives(root: JsonSchema, schema: JsonSchema | undefined, depth = 0): JsonSchema[] {
  if (!schema || depth > 12) return [];
  if (schema.$ref) {
    const m = /^#\/definitions\/(.+)$/.exec(schema.$ref);
    const target = m ? root.definitions?.[m[1]!] : schema.$ref === '#' ? root : undefined;
    return alternatives(root, target, depth + 1);
  }
  const out = [schema];
  for (const sub of [...(schema.allOf ?? []), ...(schema.anyOf ?? []), ...(schema.oneOf ?? []), schema.then, schema.else]) {
    out.push(...alternatives(root, sub, depth + 1));
  }
  return out;
}

/** The schema(s) of `key` (or of an array item, `[]`) under `schemas`. */
export function child(root: JsonSchema, schemas: JsonSchema[], key: string): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const s of schemas) {
    if (key === '[]') {
      if (s.items && !Array.isArray(s.items)) out.push(...alternatives(root, s.items));
      continue;
    }
    if (s.properties?.[key]) {
      out.push(...alternatives(root, s.properties[key]));
      continue;
    }
    let matched = false;
    for (const [pattern, sub] of Object.entries(s.patternProperties ?? {})) {
      try {
        if (new RegExp(pattern, 'u').test(key)) {
          out.push(...alternatives(root, sub));
          matched = true;
        }
      } catch {
        // a pattern this browser cannot compile: skip it
      }
    }
    if (!matched && typeof s.additionalProperties === 'object') out.push(...alternatives(root, s.additionalProperties));
  }
  return out;
}

const KEY_LINE = /^(\s*)(-\s+)?(?:("[^"]*"|'[^']*'|[^\s#'"{[][^:#]*?)\s*:(?:\s+|$))?(.*)$/;

interface Parsed {
  indent: number;
  dash: number | null;
  keyCol: number;
  key: string | null;
  rest: string;
}

function parseLine(text: string): Parsed | null {
  if (/^\s*(#.*)?$/.test(text)) return null;
  const m = KEY_LINE.exec(text)!;
  const indent = m[1]!.length;
  const dash = m[2] ? indent : null;
  const keyCol = indent + (m[2]?.length ?? 0);
  const key = m[3] ? m[3].replace(/^["']|["']$/g, '') : null;
  return { indent, dash, keyCol, key, rest: m[4] ?? '' };
}

/**
 * The path of keys (and `[]` for sequence items) of the mapping that a key at column `col` of line
 * `lineNo` (0-based, of `lines`) would belong to; `dashCol` when the key follows a `- ` there.
 */
export function pathAt(lines: string[], lineNo: number, col: number, dashCol: number | null): string[] {
  const path: string[] = dashCol === null ? [] : ['[]'];
  let c = dashCol ?? col;
  let seq = dashCol !== null;
  for (let i = lineNo - 1; i >= 0 && c > 0; i--) {
    const p = parseLine(lines[i]!);
    if (!p) continue;
    if (seq) {
      // Looking for the key that holds the sequence: at a column up to the dash's.
      if (p.dash !== null && p.dash === c) continue; // an earlier item of the same sequence
      if (p.key !== null && p.keyCol <= c && p.rest.trim() === '') {
        path.unshift(p.key);
        c = p.dash ?? p.keyCol;
        seq = p.dash !== null;
        if (seq) path.unshift('[]');
      }
      continue;
    }
    if (p.dash !== null && p.keyCol === c) {
      // A sibling key on an item's first line: the mapping is that item.
      path.unshift('[]');
      c = p.dash;
      seq = true;
      continue;
    }
    if (p.key !== null && p.keyCol < c && p.rest.trim() === '') {
      path.unshift(p.key);
      c = p.dash ?? p.keyCol;
      if (p.dash !== null) {
        path.unshift('[]');
        seq = true;
      }
    }
  }
  return path;
}

function resolvePath(root: JsonSchema, path: string[]): JsonSchema[] {
  let at = alternatives(root, root);
  for (const key of path) at = child(root, at, key);
  return at;
}

function keyOptions(schemas: JsonSchema[]): Completion[] {
  const seen = new Map<string, Completion>();
  for (const s of schemas) {
    for (const [key, sub] of Object.entries(s.properties ?? {})) {
      if (seen.has(key)) continue;
      seen.set(key, { label: key, type: 'property', apply: `${key}: `, ...(sub.description ? { info: sub.description } : {}) });
    }
  }
  return [...seen.values()];
}

function valueOptions(root: JsonSchema, schemas: JsonSchema[]): Completion[] {
  const values = new Set<string>();
  for (const s of schemas) {
    for (const a of alternatives(root, s)) {
      for (const v of a.enum ?? []) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') values.add(String(v));
      if (typeof a.const === 'string') values.add(a.const);
      if (a.type === 'boolean') ['true', 'false'].forEach((v) => values.add(v));
    }
  }
  return [...values].map((v) => ({ label: v, type: 'enum' }));
}

/** A CodeMirror completion source for YAML specs, driven by `root` (the workflow JSON Schema). */
export function schemaCompletion(root: JsonSchema): CompletionSource {
  return (ctx: CompletionContext): CompletionResult | null => {
    const line = ctx.state.doc.lineAt(ctx.pos);
    const before = line.text.slice(0, ctx.pos - line.from);
    const lines = ctx.state.doc.sliceString(0, line.from).split('\n');
    lines.pop(); // the empty string after the last newline
    const keyTyped = /^(\s*)(-\s+)?([\w$-]*)$/.exec(before);
    if (keyTyped) {
      if (!ctx.explicit && keyTyped[3] === '' && !keyTyped[2]) return null;
      const col = keyTyped[1]!.length + (keyTyped[2]?.length ?? 0);
      const path = pathAt(lines, lines.length, col, keyTyped[2] ? keyTyped[1]!.length : null);
      const options = keyOptions(resolvePath(root, path));
      return options.length ? { from: ctx.pos - keyTyped[3]!.length, options, validFor: /^[\w$-]*$/ } : null;
    }
    const valueTyped = /^(\s*)(-\s+)?([\w$-]+):\s+([\w-]*)$/.exec(before);
    if (valueTyped) {
      const col = valueTyped[1]!.length + (valueTyped[2]?.length ?? 0);
      const path = [...pathAt(lines, lines.length, col, valueTyped[2] ? valueTyped[1]!.length : null), valueTyped[3]!];
      const options = valueOptions(root, resolvePath(root, path));
      return options.length ? { from: ctx.pos - valueTyped[4]!.length, options, validFor: /^[\w-]*$/ } : null;
    }
    return null;
  };
}
