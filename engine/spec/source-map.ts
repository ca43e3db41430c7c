/**
 * Offset bookkeeping for spec sources: turning character offsets into 1-based line/column, and
 * (for JSON input) mapping every JSON pointer to the offset where that entry starts while
 * detecting duplicate object keys, which `JSON.parse` silently drops.
 */
import { joinPointer } from './pointer.js';

export interface SourcePosition {
  line: number;
  column: number;
}

/** Maps character offsets of `text` to 1-based line and column numbers. */
export function lineLocator(text: string): (offset: number) => SourcePosition {
  let starts: number[] | undefined;
  return (offset: number) => {
    if (!starts) {
      starts = [0];
      for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
    }
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (starts[lo] ?? 0) + 1 };
  };
}

export interface JsonSourceMap {
  /** Offset where the entry at each pointer starts (the key for object members). */
  offsets: Map<string, number>;
  /** Keys that appear more than once in one object: pointer of the repeat and its offset. */
  duplicates: Array<{ pointer: string; offset: number }>;
}

/**
 * Scans JSON text that `JSON.parse` already accepted. Recursion depth equals the document's
 * nesting, which the caller has bounded (`maxDepth`) before calling. With `recordOffsets`
 * false only duplicates are collected (cheaper: no pointer per node).
 */
export function scanJson(text: string, recordOffsets = true): JsonSourceMap {
  const offsets = new Map<string, number>();
  const segments: Array<string | number> = [];
  const duplicates: JsonSourceMap['duplicates'] = [];
  let i = 0;

  const skipWs = (): void => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  /** Skips a string literal; returns its decoded value when `decode` (keys only: values are never needed). */
  const readString = (decode: boolean): string => {
    const start = i;
    let escaped = false;
    i++; // opening quote
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 92) {
        escaped = true;
        i += 2;
      } else if (c === 34) break;
      else i++;
    }
    i++; // closing quote
    if (!decode) return '';
    return escaped ? (JSON.parse(text.slice(start, i)) as string) : text.slice(start + 1, i - 1);
  };
  const value = (pointer: string): void => {
    skipWs();
    const c = text[i];
    if (c === '{') {
      i++;
      const seen = new Set<string>();
      skipWs();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        skipWs();
        const keyOffset = i;
        const key = readString(true);
        const child = recordOffsets ? joinPointer(pointer, key) : '';
        if (seen.has(key)) duplicates.push({ pointer: joinPointer('', ...segments, key), offset: keyOffset });
        else if (recordOffsets) offsets.set(child, keyOffset);
        seen.add(key);
        skipWs();
        i++; // colon
        segments.push(key);
        value(child);
        segments.pop();
        skipWs();
        if (text[i++] === '}') return;
      }
    } else if (c === '[') {
      i++;
      skipWs();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let index = 0; ; index++) {
        skipWs();
        const child = recordOffsets ? joinPointer(pointer, index) : '';
        if (recordOffsets) offsets.set(child, i);
        segments.push(index);
        value(child);
        segments.pop();
        skipWs();
        if (text[i++] === ']') return;
      }
    } else if (c === '"') {
      readString(false);
    } else {
      // number or literal: runs to the next delimiter
      for (;;) {
        const d = text.charCodeAt(i);
        if (i >= text.length || d === 44 || d === 93 || d === 125 || d === 32 || d === 10 || d === 13 || d === 9) break;
        i++;
      }
    }
  };
  skipWs();
  offsets.set('', i);
  value('');
  return { offsets, duplicates };
}

const JSON_NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/**
 * Offset of the first JSON syntax error in `text`, or undefined when it is valid JSON. Used for
 * line/column in messages, since V8's `JSON.parse` errors do not always carry a position.
 */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const stack: string[] = [];
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const string = (): boolean => {
    for (i++; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 92) {
        const e = text[i + 1] ?? '';
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return false;
          i += 5;
        } else if ('"\\/bfnrt'.includes(e) && e !== '') i++;
        else return false;
      }
    }
    return false;
  };
  let state: 'value' | 'key' | 'after' = 'value';
  for (;;) {
    ws();
    if (state === 'value') {
      const c = text[i];
      if (c === '{' || c === '[') {
        i++;
        ws();
        if (text[i] === (c === '{' ? '}' : ']')) {
          i++;
          state = 'after';
        } else {
          stack.push(c);
          state = c === '{' ? 'key' : 'value';
        }
      } else if (c === '"') {
        if (!string()) return i;
        state = 'after';
      } else {
        JSON_NUMBER.lastIndex = i;
        const lit = ['true', 'false', 'null'].find((l) => text.startsWith(l, i));
        if (JSON_NUMBER.test(text)) i = JSON_NUMBER.lastIndex;
        else if (lit) i += lit.length;
        else return i;
        state = 'after';
      }
    } else if (state === 'key') {
      if (text[i] !== '"' || !string()) return i;
      ws();
      if (text[i] !== ':') return i;
      i++;
      state = 'value';
    } else {
      const top = stack[stack.length - 1];
      if (top === undefined) return i < text.length ? i : undefined;
      const c = text[i];
      if (c === ',') {
        i++;
        state = top === '{' ? 'key' : 'value';
      } else if (c === (top === '{' ? '}' : ']')) {
        i++;
        stack.pop();
      } else return i;
    }
  }
}
