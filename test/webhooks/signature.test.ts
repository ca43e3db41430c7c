/** The pure signature primitives (engine/triggers/signature.ts): formats, boundaries, malformed input. */
import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sign, signatureHeader, signGithub, verify, verifyGithub } from '../../engine/index.js';
import {
  digestEquals,
  parseSignatureHeader,
  parseStandardSignatures,
  replayDigest,
  signStandard,
  standardSignatureHeader,
  standardSigningKey,
  verifyStandard,
} from '../../engine/triggers/signature.js';

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

/** Standard Webhooks reference: base64 HMAC-SHA256 of "<id>.<t>.<body>", computed here with node:crypto only. */
function reference(key: Buffer | string, id: string, t: number | string, body: string): string {
  return createHmac('sha256', key).update(`${id}.${t}.${body}`).digest('base64');
}

describe('the Standard Webhooks scheme', () => {
  const at = 1_700_000_000;
  const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
  const keyBytes = randomBytes(32);
  const whsec = `whsec_${keyBytes.toString('base64')}`;
  const good = reference(keyBytes, id, at, BODY);
  const check = (o: Partial<Parameters<typeof verifyStandard>[0]>) =>
    verifyStandard({ id, timestamp: String(at), header: `v1,${good}`, body: BODY, secrets: [whsec], now: at, ...o });

  it('matches the vector Svix publishes (whsec_ secret, msg id, timestamp, body), recomputed with node:crypto', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const msgId = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
    const body = '{"test": 2432232314}';
    const expected = 'g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
    expect(reference(Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64'), msgId, 1614265330, body)).toBe(expected);
    expect(signStandard(secret, msgId, 1614265330, body)).toBe(expected);
    expect(standardSignatureHeader(secret, msgId, '1614265330', Buffer.from(body))).toBe(`v1,${expected}`);
    expect(
      verifyStandard({ id: msgId, timestamp: '1614265330', header: `v1,${expected}`, body, secrets: [secret], now: 1614265330 + 10 }),
    ).toEqual({ ok: true, timestamp: 1614265330, secretIndex: 0 });
  });

  it('a whsec_ secret is the base64 of the key: the decoded bytes verify, the text used as a key does not', () => {
    expect(standardSigningKey(whsec)).toEqual(keyBytes);
    expect(check({})).toEqual({ ok: true, timestamp: at, secretIndex: 0 });
    const keyedWithText = reference(Buffer.from(whsec, 'utf8'), id, at, BODY);
    expect(check({ header: `v1,${keyedWithText}` })).toEqual({ ok: false, reason: 'invalid_signature' });
  });

  it('any other secret is its UTF-8 bytes, including a whsec_ whose rest is not base64', () => {
    for (const secret of [SECRET, 'whsec_not base64!', 'whsec_']) {
      expect(standardSigningKey(secret)).toBe(secret);
      const sig = reference(Buffer.from(secret, 'utf8'), id, at, BODY);
      expect(check({ header: `v1,${sig}`, secrets: [secret] }), secret).toEqual({ ok: true, timestamp: at, secretIndex: 0 });
    }
    const bytes = randomBytes(24);
    expect(check({ header: `v1,${reference(bytes, id, at, BODY)}`, secrets: [bytes] }).ok).toBe(true);
  });

  it('several space-separated signatures: any v1 match verifies (rotation); other versions are ignored', () => {
    const other = reference(randomBytes(32), id, at, BODY);
    const asymmetric = randomBytes(64).toString('base64');
    expect(check({ header: `v1,${other} v1a,${asymmetric} v1,${good}` }).ok).toBe(true);
    expect(check({ header: `v1a,${asymmetric}  v1,${good}` }).ok).toBe(true);
    const previous = `whsec_${randomBytes(32).toString('base64')}`;
    const oldSig = signStandard(previous, id, at, BODY);
    expect(reference(standardSigningKey(previous) as Buffer, id, at, BODY)).toBe(oldSig);
    expect(check({ header: `v1,${oldSig}`, secrets: [whsec, previous] })).toEqual({ ok: true, timestamp: at, secretIndex: 1 });
    expect(parseStandardSignatures(`v1,a v1a,b v2,c v1,d`)).toEqual(['a', 'd']);
  });

  it('a wrong version prefix or a malformed signature is invalid_signature, never a throw', () => {
    for (const header of [
      `v2,${good}`,
      `v1a,${good}`,
      `V1,${good}`,
      `v1=${good}`,
      `v1:${good}`,
      good,
      `,${good}`,
      `v1,${good.replace('=', '')}`,
      `v1,${good.slice(4)}`,
      `v1,${good.replace(/\+/g, '-').replace(/\//g, '_')}${/[+/]/.test(good) ? '' : 'x'}`,
      `v1,${Buffer.from(good, 'base64').toString('hex')}`,
      `v1,${good},v1,${good}`,
      `v1,${good} ${'x'.repeat(5000)}`,
    ]) {
      expect(() => check({ header }), header).not.toThrow();
      expect(check({ header }), header).toEqual({ ok: false, reason: 'invalid_signature' });
    }
    for (const header of [undefined, null, '']) expect(check({ header })).toEqual({ ok: false, reason: 'missing_header' });
  });

  it('the id and timestamp are signed and must be well formed: missing, dotted, other, non-numeric → invalid_signature', () => {
    for (const o of [
      { id: undefined },
      { id: '' },
      { id: `${id}x` },
      { id: 'msg.1' },
      { id: 'has space' },
      { timestamp: undefined },
      { timestamp: `${at + 1}` },
      { timestamp: `${at}.0` },
      { timestamp: `-${at}` },
      { timestamp: `0${at}` },
      { body: `${BODY} ` },
    ]) {
      expect(check(o), JSON.stringify(o)).toEqual({ ok: false, reason: 'invalid_signature' });
    }
    // A dotted id is refused even when its signature is valid: the signed text would be ambiguous.
    expect(check({ id: 'msg.1', header: `v1,${reference(keyBytes, 'msg.1', at, BODY)}` })).toEqual({
      ok: false,
      reason: 'invalid_signature',
    });
  });

  it('a stale or future timestamp (beyond ±300 s) is refused after the HMAC check; the boundary is accepted', () => {
    for (const [t, ok] of [
      [at - 300, true],
      [at + 300, true],
      [at - 301, false],
      [at + 301, false],
    ] as const) {
      const r = check({ timestamp: String(t), header: `v1,${reference(keyBytes, id, t, BODY)}` });
      expect(r.ok, `t = now ${t - at}`).toBe(ok);
      if (!r.ok) expect(r.reason).toBe('timestamp_outside_tolerance');
    }
    const stale = at - 3600;
    expect(check({ timestamp: String(stale), header: `v1,${reference(keyBytes, id, stale, BODY)}`, toleranceSeconds: 4000 }).ok).toBe(true);
    // A stale forgery learns nothing about the clock.
    expect(check({ timestamp: String(stale), header: `v1,${reference(randomBytes(32), id, stale, BODY)}` })).toEqual({
      ok: false,
      reason: 'invalid_signature',
    });
  });
});

describe('replayDigest', () => {
  it('is SHA-256 of the signed content: one value per (scheme, t, body), whatever the header looked like', () => {
    const d = replayDigest('openclaw', '1700000000', BODY);
    expect(d).toHaveLength(32);
    expect(replayDigest('openclaw', '1700000000', Buffer.from(BODY))).toEqual(d);
    expect(replayDigest('openclaw', '1700000001', BODY)).not.toEqual(d);
    expect(replayDigest('openclaw', '1700000000', `${BODY} `)).not.toEqual(d);
    expect(replayDigest('github', null, BODY)).not.toEqual(replayDigest('openclaw', '', BODY));
    expect(replayDigest('github', null, BODY)).toEqual(replayDigest('github', null, Buffer.from(BODY)));
    // Never the body or the signature in clear.
    expect(d.toString('latin1')).not.toContain(BODY);
  });
});
