/**
 * Secret masking on its own (no database): every form of a value it catches — as is, base64
 * (standard and url-safe, padded or not, and inside a longer base64 text), URL-encoded and
 * JSON-escaped — in strings, object keys and errors; the short-value rule; the registry of live
 * values; and that masking stays linear on large outputs.
 */
import { describe, expect, it } from 'vitest';
import {
  containsActiveSecret,
  hasActiveSecrets,
  MASK,
  maskDeep,
  maskString,
  registerSecretValues,
  SecretMasker,
  secretForms,
} from '../../engine/secrets/mask.js';

// Chosen so that every form differs from the value: base64 with `+` and `/` (url-safe differs) and
// padding, characters that URL-encode and JSON-escape.
const SECRET = 'p@ss w/rd+"q"\\é?>>>';
const b64 = Buffer.from(SECRET).toString('base64');

describe('the forms of a secret', () => {
  it('the chosen value really has distinct forms', () => {
    expect(b64).toMatch(/[+/]/);
    expect(b64).toMatch(/=$/);
    expect(encodeURIComponent(SECRET)).not.toBe(SECRET);
    expect(JSON.stringify(SECRET).slice(1, -1)).not.toBe(SECRET);
  });

  const cases: Array<[string, string]> = [
    ['as is', SECRET],
    ['base64', b64],
    ['base64 without padding', b64.replace(/=+$/, '')],
    ['base64url', Buffer.from(SECRET).toString('base64url')],
    ['base64url with padding', b64.replace(/\+/g, '-').replace(/\//g, '_')],
    ['encodeURIComponent', encodeURIComponent(SECRET)],
    ['form encoding', new URLSearchParams({ v: SECRET }).toString().slice(2)],
    ['JSON-escaped', JSON.stringify(SECRET).slice(1, -1)],
  ];
  for (const [name, form] of cases) {
    it(`masks the value ${name}`, () => {
      expect(maskString(`before ${form} after`, [SECRET])).toBe(`before ${MASK} after`);
      expect(maskString(form, [SECRET])).toBe(MASK);
    });
  }

  it('masks the value base64-encoded inside a longer text, at each of the three alignments (Basic auth)', () => {
    for (const prefix of ['', 'u:', 'us:', 'use:']) {
      const encoded = Buffer.from(`${prefix}${SECRET}!trailing`).toString('base64');
      const masked = maskString(`Authorization: Basic ${encoded}`, [SECRET]);
      expect(masked, prefix).toContain(MASK);
      // What is left of the encoding is at most the few characters that mix in the neighbours' bits.
      expect(masked.length, prefix).toBeLessThan(`Authorization: Basic ${encoded}`.length - 20);
      for (const form of secretForms(SECRET)) expect(masked.includes(form), prefix).toBe(false);
    }
    const basic = Buffer.from(`user:${SECRET}`).toString('base64url');
    expect(maskString(basic, [SECRET])).toContain(MASK);
  });

  it('an encoded JSON document holding the value is masked in the form the value took there', () => {
    const doc = JSON.stringify({ token: SECRET });
    expect(doc).not.toContain(SECRET);
    expect(maskString(doc, [SECRET])).toBe(`{"token":"${MASK}"}`);
  });

  it('overlapping occurrences become one ***; adjacent ones stay apart', () => {
    const value = 'abcdabcd-1234';
    expect(maskString(`x${value}${value}y`, [value])).toBe(`x${MASK}${MASK}y`);
    expect(maskString('x-abcdabcd-1234-1234-y', ['abcdabcd-1234', 'd-1234-12'])).toBe(`x-${MASK}34-y`);
  });

  it('values shorter than 4 characters (the store refuses them) are masked only as they are', () => {
    expect(secretForms('ab=')).toEqual(['ab=']);
    expect(maskString('ab= and YWI9 and ab%3D', ['ab='])).toBe(`${MASK} and YWI9 and ab%3D`);
    expect(secretForms('abcd').length).toBeGreaterThan(1);
    expect(secretForms('abcd').every((f) => f.length >= 4)).toBe(true);
  });
});

describe('maskDeep', () => {
  it('masks strings, object keys (also in encoded forms) and errors, at any depth', () => {
    const out = maskDeep(
      {
        [SECRET]: 'a key equal to the secret',
        [`prefix-${encodeURIComponent(SECRET)}`]: { nested: [b64, { [b64]: 1 }] },
        err: new Error(`failed with ${SECRET}`),
        n: 1,
        ok: 'nothing to see',
      },
      [SECRET],
    );
    expect(out).toEqual({
      [MASK]: 'a key equal to the secret',
      [`prefix-${MASK}`]: { nested: [MASK, { [MASK]: 1 }] },
      err: expect.objectContaining({ type: 'Error', message: `failed with ${MASK}` }) as unknown,
      n: 1,
      ok: 'nothing to see',
    });
    expect(JSON.stringify(out)).not.toContain(SECRET);
  });

  it('with no values, returns the value itself', () => {
    const v = { a: 1 };
    expect(maskDeep(v, [])).toBe(v);
  });
});

describe('the registry of live values', () => {
  it('masks registered values (in all forms) by default until they are unregistered; counts registrations', () => {
    const value = 'registry-value-9f8e7d';
    const encoded = Buffer.from(value).toString('base64');
    expect(hasActiveSecrets()).toBe(false);
    const a = registerSecretValues([value]);
    const b = registerSecretValues([value]);
    expect(maskString(`x ${encoded} y`)).toBe(`x ${MASK} y`);
    expect(maskDeep({ [value]: value })).toEqual({ [MASK]: MASK });
    expect(containsActiveSecret(`Bearer ${value}`)).toBe(true);
    expect(containsActiveSecret('Bearer something-else')).toBe(false);
    a();
    a();
    expect(maskString(value)).toBe(MASK);
    b();
    expect(hasActiveSecrets()).toBe(false);
    expect(maskString(value)).toBe(value);
    expect(containsActiveSecret(value)).toBe(false);
  });
});

describe('cost', () => {
  it('masks a 4 MB output with 10 secrets in one pass per form (well under a second)', () => {
    const values = Array.from({ length: 10 }, (_, i) => `secret-value-${i}-${'k'.repeat(20)}`);
    const masker = new SecretMasker(values);
    const chunk = 'lorem ipsum dolor sit amet, '.repeat(100);
    const big = Array.from({ length: 1500 }, (_, i) => (i % 100 === 0 ? `${chunk}${values[i % 10]!}` : chunk)).join('');
    expect(big.length).toBeGreaterThan(4_000_000);
    const started = performance.now();
    const masked = masker.string(big);
    const ms = performance.now() - started;
    expect(masked.split(MASK).length - 1).toBe(15);
    expect(ms).toBeLessThan(1000);
    // Many small strings: the forms are computed once, not per string.
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ id: i, note: `row ${i}`, tags: ['a', 'b'] }));
    const t0 = performance.now();
    maskDeep(rows, values);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
