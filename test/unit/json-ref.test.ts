import { describe, expect, it } from 'vitest';
import { escapeJson, isJsonRef, jsonRef, refIdentity, StoredJson, unescapeJson } from '../../engine/artifacts/json-ref.js';

const ref = jsonRef({ key: 'default/run/7/abc', size: 300_000, sha256: 'ab'.repeat(32) });

describe('JSON columns: values and references (docs/artifacts.md, "Large JSON")', () => {
  it('recognises a reference only with exactly its keys and types', () => {
    expect(isJsonRef(ref)).toBe(true);
    expect(isJsonRef({ ...ref, extra: 1 })).toBe(false);
    expect(isJsonRef({ ...ref, size: '300000' })).toBe(false);
    expect(isJsonRef({ $openclaw: 'ref', key: 'k', size: 1 })).toBe(false);
    expect(isJsonRef([ref])).toBe(false);
    expect(isJsonRef(null)).toBe(false);
  });

  it('wraps a value that has a $openclaw key of its own, so it can never be taken for a reference', () => {
    for (const value of [ref, { $openclaw: 'value', value: 1 }, { $openclaw: 1, other: true }]) {
      const column = escapeJson(value);
      expect(column).toEqual({ $openclaw: 'value', value });
      expect(isJsonRef(column)).toBe(false);
      expect(unescapeJson(column)).toEqual(value);
    }
  });

  it('leaves every other value as it is, nested look-alikes included', () => {
    for (const value of [null, 0, 'text', [ref], { a: ref }, { value: 1 }]) {
      expect(escapeJson(value)).toBe(value);
      expect(unescapeJson(value)).toBe(value);
    }
  });

  it('carries a column unchanged, and shows a reference without its store key', () => {
    expect(StoredJson.of(ref).ref).toEqual(ref);
    expect(StoredJson.of(ref).json()).toBe(JSON.stringify(ref));
    expect(StoredJson.of(null).json()).toBeNull();
    expect(StoredJson.of({ a: 1 }).ref).toBeNull();
    expect(refIdentity(ref)).toEqual({ $openclaw: 'ref', size: 300_000, sha256: 'ab'.repeat(32) });
  });
});
