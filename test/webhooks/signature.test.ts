/** The pure signature primitives (engine/triggers/signature.ts): formats, boundaries, malformed input. */
import { describe, expect, it } from 'vitest';
import { sign, signatureHeader, signGithub, verify, verifyGithub } from '../../engine/index.js';
import { digestEquals, parseSignatureHeader } from '../../engine/triggers/signature.js';

const SECRET = 'a-signing-secret';
const BODY = '{"hello":"world"}';

describe('sign', () => {
  it('is HMAC-SHA256 in hex: the published test vector through the GitHub form', () => {
    expect(signGithub('key', 'The quick brown fox jumps over the lazy dog')).toBe(
      'sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
  });

  it('signs "<t>.<body>": the same for string and byte bodies and secrets; differs with t, body or secret', () => {
    const s = sign(SECRET, 1700000000, BODY);
    expect(s).toMatch(/^[0-9a-f]{64}$/);
    expect(sign(Buffer.from(SECRET), '1700000000', Buffer.from(BODY))).toBe(s);
    expect(signGithub(SECRET, `1700000000.${BODY}`)).toBe(`sha256=${s}`);
    expect(sign(SECRET, 1700000001, BODY)).not.toBe(s);
    expect(sign(SECRET, 1700000000, `${BODY} `)).not.toBe(s);
    expect(sign('another-secret', 1700000000, BODY)).not.toBe(s);
    expect(signatureHeader(SECRET, BODY, 1700000000)).toBe(`t=1700000000,v1=${s}`);
  });
});

describe('verify', () => {
  const at = 1_700_000_000;
  const header = (t: number, secret = SECRET) => `t=${t},v1=${sign(secret, t, BODY)}`;

  it('accepts |now - t| <= tolerance and refuses beyond it, both ways', () => {
    for (const [t, ok] of [
      [at - 300, true],
      [at + 300, true],
      [at - 299, true],
      [at + 299, true],
      [at - 301, false],
      [at + 301, false],
    ] as const) {
      const r = verify({ header: header(t), body: BODY, secrets: [SECRET], now: at });
      expect(r.ok, `t = now ${t - at}`).toBe(ok);
      if (!r.ok) expect(r.reason).toBe('timestamp_outside_tolerance');
    }
    expect(verify({ header: header(at - 10), body: BODY, secrets: [SECRET], now: at, toleranceSeconds: 5 })).toEqual({
      ok: false,
      reason: 'timestamp_outside_tolerance',
    });
  });

  it('checks the HMAC before the clock: a stale forgery is an invalid signature', () => {
    expect(verify({ header: header(at - 9999, 'wrong-secret'), body: BODY, secrets: [SECRET], now: at })).toEqual({
      ok: false,
      reason: 'invalid_signature',
    });
  });

  it('reports which candidate secret matched (current first, then previous)', () => {
    const r = verify({ header: header(at, 'old-secret'), body: BODY, secrets: [SECRET, 'old-secret'], now: at });
    expect(r).toEqual({ ok: true, timestamp: at, secretIndex: 1 });
    expect(verify({ header: header(at), body: BODY, secrets: [SECRET, 'old-secret'], now: at })).toEqual({
      ok: true,
      timestamp: at,
      secretIndex: 0,
    });
    expect(verify({ header: header(at), body: BODY, secrets: [], now: at })).toEqual({ ok: false, reason: 'invalid_signature' });
  });

  it('a missing header is missing_header; malformed and length-mismatched ones are invalid_signature, never a throw', () => {
    for (const h of [undefined, null, '']) {
      expect(verify({ header: h, body: BODY, secrets: [SECRET], now: at })).toEqual({ ok: false, reason: 'missing_header' });
    }
    const good = sign(SECRET, at, BODY);
    for (const h of [
      `t=${at},v1=${good.slice(2)}`,
      `t=${at},v1=${good}ff`,
      `t=${at},v1=${'g'.repeat(64)}`,
      `t=${at},v1=`,
      `t=-${at},v1=${good}`,
      `t=${at}.5,v1=${good}`,
      `t=${at}`,
      `v1=${good}`,
      `t=${at},t=${at},v1=${good}`,
      `t=${at},v1=${good},${'x'.repeat(5000)}`,
      '=,=,=',
    ]) {
      expect(() => verify({ header: h, body: BODY, secrets: [SECRET], now: at }), h).not.toThrow();
      expect(verify({ header: h, body: BODY, secrets: [SECRET], now: at }), h).toEqual({ ok: false, reason: 'invalid_signature' });
    }
    // Upper-case hex and spaces around entries are fine; unknown schemes are ignored.
    expect(verify({ header: `t=${at}, v0=abc, v1=${good.toUpperCase()}`, body: BODY, secrets: [SECRET], now: at }).ok).toBe(true);
  });

  it('parses the header', () => {
    expect(parseSignatureHeader('t=17,v1=aa,v1=bb,v0=cc')).toEqual({ timestampText: '17', timestamp: 17, signatures: ['aa', 'bb'] });
    expect(parseSignatureHeader('t=17')).toBeNull();
    expect(parseSignatureHeader('v1=aa')).toBeNull();
  });
});

describe('verifyGithub and digestEquals', () => {
  it('verifies sha256=<hex> of the body; refuses other bodies, secrets and forms', () => {
    const h = signGithub(SECRET, BODY);
    expect(verifyGithub({ header: h, body: Buffer.from(BODY), secrets: ['x-other', SECRET] })).toEqual({
      ok: true,
      timestamp: null,
      secretIndex: 1,
    });
    expect(verifyGithub({ header: undefined, body: BODY, secrets: [SECRET] })).toEqual({ ok: false, reason: 'missing_header' });
    for (const bad of [
      signGithub('wrong', BODY),
      signGithub(SECRET, `${BODY}\n`),
      'sha256=00',
      h.replace('sha256=', 'sha1='),
      h.slice(7),
    ]) {
      expect(verifyGithub({ header: bad, body: BODY, secrets: [SECRET] }), bad).toEqual({ ok: false, reason: 'invalid_signature' });
    }
  });

  it('digestEquals is false for any length or alphabet mismatch', () => {
    const d = Buffer.alloc(32, 0xab);
    expect(digestEquals('ab'.repeat(32), d)).toBe(true);
    expect(digestEquals('AB'.repeat(32), d)).toBe(true);
    expect(digestEquals('ab'.repeat(31), d)).toBe(false);
    expect(digestEquals('ab'.repeat(33), d)).toBe(false);
    expect(digestEquals('zz'.repeat(32), d)).toBe(false);
    expect(digestEquals('ab'.repeat(32), Buffer.alloc(16, 0xab))).toBe(false);
  });
});
