/**
 * Webhook signatures: pure HMAC-SHA256 primitives (no database, no clock of their own), shared by
 * the inbound webhook route and outbound notifications.
 *
 * OpenClaw scheme (Stripe-like): `X-OpenClaw-Signature: t=<unix seconds>,v1=<hex>` where `<hex>` is
 * HMAC-SHA256(secret, `<t>.<raw body bytes>`). Several `v1=` entries may be sent (a sender rotating
 * its secret signs with both); one match is enough. The timestamp bounds replays to a tolerance
 * window; the signed text uses `t` exactly as it appears in the header.
 *
 * Standard Webhooks scheme (https://www.standardwebhooks.com, what Svix sends): `webhook-id`,
 * `webhook-timestamp` (unix seconds) and `webhook-signature: v1,<base64>` (a space-separated list of
 * versioned signatures; one `v1` match is enough, other versions such as `v1a` are ignored), where
 * `<base64>` is HMAC-SHA256(key, `<id>.<timestamp>.<raw body bytes>`). A secret written
 * `whsec_<base64>` is the base64 of the key bytes, as the spec serialises secrets; any other secret
 * is used as its bytes (UTF-8), as in the other schemes. The id is signed, so it cannot be changed
 * by whoever resends a captured request; an id with a `.` is refused (the spec forbids it: the
 * signed text would be ambiguous).
 *
 * GitHub scheme: `X-Hub-Signature-256: sha256=<hex>` = HMAC-SHA256(secret, raw body). It has no
 * timestamp, so replays are bounded only by the delivery id (`X-GitHub-Delivery`) and by the
 * webhook route's record of signatures already accepted (`replayDigest`).
 *
 * Every comparison is constant-time (`crypto.timingSafeEqual` on equal-length digests; anything
 * that is not a well-formed digest is a mismatch, never an exception).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-openclaw-signature';
export const DELIVERY_HEADER = 'x-openclaw-delivery';
export const GITHUB_SIGNATURE_HEADER = 'x-hub-signature-256';
export const GITHUB_DELIVERY_HEADER = 'x-github-delivery';
export const STANDARD_ID_HEADER = 'webhook-id';
export const STANDARD_TIMESTAMP_HEADER = 'webhook-timestamp';
export const STANDARD_SIGNATURE_HEADER = 'webhook-signature';
/** The prefix of a Standard Webhooks secret whose rest is the base64 of the key bytes. */
export const STANDARD_SECRET_PREFIX = 'whsec_';
/** Default tolerance between a signature's timestamp and the verifier's clock. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A signing secret: its text (UTF-8) or bytes. */
export type SigningSecret = string | Uint8Array;
/** What is signed: the raw body bytes (a string is taken as its UTF-8 bytes). */
export type SignedPayload = string | Uint8Array;

/** Why verification failed. Only these three are ever told to a caller. */
export type VerifyFailure = 'missing_header' | 'invalid_signature' | 'timestamp_outside_tolerance';

export type VerifyResult =
  | {
      ok: true;
      /** The signature's timestamp (unix seconds); null for the GitHub scheme (it has none). */
      timestamp: number | null;
      /** Which of the candidate secrets matched (0 = the first). */
      secretIndex: number;
    }
  | { ok: false; reason: VerifyFailure };

const HEX_DIGEST = /^[0-9a-fA-F]{64}$/;
/** Standard base64 (with padding) of exactly 32 bytes. */
const BASE64_DIGEST = /^[A-Za-z0-9+/]{43}=$/;
/** Standard base64 with padding, at least one byte. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/;
/** A Standard Webhooks id: visible ASCII without `.` (the separator of the signed text). */
const STANDARD_ID = /^[\x21-\x2d\x2f-\x7e]{1,256}$/;
const TIMESTAMP = /^[0-9]{1,15}$/;
/** Longer headers are refused without parsing (many v1 entries would multiply the work). */
const MAX_HEADER_LENGTH = 4096;

function hmac(secret: SigningSecret, parts: SignedPayload[]): Buffer {
  const h = createHmac('sha256', secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * The `v1` signature: hex HMAC-SHA256 of `<timestamp>.<body>` with `secret`.
 * @param timestamp unix seconds (as a number, or the exact text of a header's `t=`)
 */
export function sign(secret: SigningSecret, timestamp: number | string, body: SignedPayload): string {
  return hmac(secret, [`${timestamp}.`, body]).toString('hex');
}

/** A complete `X-OpenClaw-Signature` value: `t=<timestamp>,v1=<sign(secret, timestamp, body)>`. */
export function signatureHeader(secret: SigningSecret, body: SignedPayload, timestamp: number = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${sign(secret, timestamp, body)}`;
}

/** The GitHub `X-Hub-Signature-256` value: `sha256=<hex HMAC-SHA256 of the body>`. */
export function signGithub(secret: SigningSecret, body: SignedPayload): string {
  return `sha256=${hmac(secret, [body]).toString('hex')}`;
}

/** Constant-time equality of a hex digest someone sent with one computed here; false for anything malformed. */
export function digestEquals(sentHex: string, expected: Buffer): boolean {
  return bytesEqual(decodeHex(sentHex), expected);
}

function decodeHex(sent: string): Buffer | null {
  return HEX_DIGEST.test(sent) ? Buffer.from(sent, 'hex') : null;
}

function decodeBase64(sent: string): Buffer | null {
  return BASE64_DIGEST.test(sent) ? Buffer.from(sent, 'base64') : null;
}

function bytesEqual(sent: Buffer | null, expected: Buffer): boolean {
  // Lengths are public (32 bytes); timingSafeEqual throws on a mismatch, so check first.
  return sent !== null && sent.length === expected.length && timingSafeEqual(sent, expected);
}

export interface ParsedSignatureHeader {
  /** `t` as sent (the signed text uses it verbatim). */
  timestampText: string;
  timestamp: number;
  /** Every `v1=` value, in order. */
  signatures: string[];
}

/** Parses `t=<digits>,v1=<hex>[,v1=<hex>...]` (other schemes such as `v0=` are ignored); null when malformed. */
export function parseSignatureHeader(header: string): ParsedSignatureHeader | null {
  if (header.length > MAX_HEADER_LENGTH) return null;
  let timestampText: string | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return null;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestampText !== null || !TIMESTAMP.test(value)) return null;
      timestampText = value;
    } else if (key === 'v1') {
      signatures.push(value);
    }
  }
  if (timestampText === null || signatures.length === 0) return null;
  return { timestampText, timestamp: Number(timestampText), signatures };
}

export interface VerifyOptions {
  /** The `X-OpenClaw-Signature` value (undefined or empty: `missing_header`). */
  header: string | undefined | null;
  /** The raw body exactly as received. */
  body: SignedPayload;
  /** Candidate secrets, e.g. the current value and, during a rotation overlap, the previous one. */
  secrets: readonly SigningSecret[];
  /** The verifier's clock, unix seconds. */
  now: number;
  /** Largest allowed |now - t| in seconds (default 300). */
  toleranceSeconds?: number;
}

/**
 * Verifies an OpenClaw signature. The HMAC is checked first and the timestamp second, so only a
 * sender holding the secret learns that its clock (or a replay) is outside the window.
 */
export function verify(opts: VerifyOptions): VerifyResult {
  if (!opts.header) return { ok: false, reason: 'missing_header' };
  const parsed = parseSignatureHeader(opts.header);
  if (!parsed) return { ok: false, reason: 'invalid_signature' };
  const sent = parsed.signatures.map(decodeHex);
  const secretIndex = matchingSecret(opts.secrets, (s) => hmac(s, [`${parsed.timestampText}.`, opts.body]), sent);
  if (secretIndex < 0) return { ok: false, reason: 'invalid_signature' };
  const tolerance = opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(opts.now - parsed.timestamp) > tolerance) return { ok: false, reason: 'timestamp_outside_tolerance' };
  return { ok: true, timestamp: parsed.timestamp, secretIndex };
}

export interface VerifyGithubOptions {
  /** The `X-Hub-Signature-256` value. */
  header: string | undefined | null;
  body: SignedPayload;
  secrets: readonly SigningSecret[];
}

/** Verifies a GitHub `X-Hub-Signature-256: sha256=<hex>` signature (no timestamp in this scheme). */
export function verifyGithub(opts: VerifyGithubOptions): VerifyResult {
  if (!opts.header) return { ok: false, reason: 'missing_header' };
  if (opts.header.length > MAX_HEADER_LENGTH || !opts.header.startsWith('sha256=')) return { ok: false, reason: 'invalid_signature' };
  const sent = opts.header.slice('sha256='.length).trim();
  const secretIndex = matchingSecret(opts.secrets, (s) => hmac(s, [opts.body]), [decodeHex(sent)]);
  return secretIndex < 0 ? { ok: false, reason: 'invalid_signature' } : { ok: true, timestamp: null, secretIndex };
}

/**
 * Index of the first secret whose digest equals one of `sent` (decoded; null = malformed), or -1.
 * Every pair is compared (no early exit).
 */
function matchingSecret(secrets: readonly SigningSecret[], digest: (s: SigningSecret) => Buffer, sent: (Buffer | null)[]): number {
  let found = -1;
  secrets.forEach((secret, i) => {
    const expected = digest(secret);
    for (const s of sent) if (bytesEqual(s, expected) && found < 0) found = i;
  });
  return found;
}

/**
 * The HMAC key of a Standard Webhooks secret: `whsec_<base64>` is decoded to its bytes (the spec's
 * serialisation); anything else — bytes, or text without that prefix or whose rest is not base64 —
 * is used as it is (text as its UTF-8 bytes).
 */
export function standardSigningKey(secret: SigningSecret): SigningSecret {
  if (typeof secret !== 'string' || !secret.startsWith(STANDARD_SECRET_PREFIX)) return secret;
  const encoded = secret.slice(STANDARD_SECRET_PREFIX.length);
  return BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : secret;
}

/**
 * The Standard Webhooks `v1` signature (base64, without the `v1,` prefix): HMAC-SHA256 of
 * `<id>.<timestamp>.<body>` keyed with `standardSigningKey(secret)`.
 * @param timestamp unix seconds (as a number, or the exact text of `webhook-timestamp`)
 */
export function signStandard(secret: SigningSecret, id: string, timestamp: number | string, body: SignedPayload): string {
  return hmac(standardSigningKey(secret), [`${id}.${timestamp}.`, body]).toString('base64');
}

/** A complete `webhook-signature` value with one signature: `v1,<signStandard(...)>`. */
export function standardSignatureHeader(secret: SigningSecret, id: string, timestamp: number | string, body: SignedPayload): string {
  return `v1,${signStandard(secret, id, timestamp, body)}`;
}

/** The `v1` values of a `webhook-signature` header (space-separated `<version>,<signature>` entries); other versions are ignored. */
export function parseStandardSignatures(header: string): string[] {
  const out: string[] = [];
  for (const entry of header.split(/[ \t]+/)) {
    const comma = entry.indexOf(',');
    if (comma > 0 && entry.slice(0, comma) === 'v1') out.push(entry.slice(comma + 1));
  }
  return out;
}

export interface VerifyStandardOptions {
  /** The `webhook-id` value: the delivery id, part of the signed text. */
  id: string | undefined | null;
  /** The `webhook-timestamp` value (unix seconds, as sent). */
  timestamp: string | undefined | null;
  /** The `webhook-signature` value (undefined or empty: `missing_header`). */
  header: string | undefined | null;
  /** The raw body exactly as received. */
  body: SignedPayload;
  /** Candidate secrets (`whsec_<base64>` is decoded, see `standardSigningKey`). */
  secrets: readonly SigningSecret[];
  /** The verifier's clock, unix seconds. */
  now: number;
  /** Largest allowed |now - timestamp| in seconds (default 300). */
  toleranceSeconds?: number;
}

/**
 * Verifies a Standard Webhooks signature. As for `verify`, the HMAC is checked before the clock. A
 * missing, empty or `.`-containing id, a timestamp that is not unix seconds, or a header without a
 * well-formed `v1` entry is `invalid_signature`.
 */
export function verifyStandard(opts: VerifyStandardOptions): VerifyResult {
  if (!opts.header) return { ok: false, reason: 'missing_header' };
  if (opts.header.length > MAX_HEADER_LENGTH) return { ok: false, reason: 'invalid_signature' };
  const id = opts.id ?? '';
  const timestampText = opts.timestamp ?? '';
  if (!STANDARD_ID.test(id) || !TIMESTAMP.test(timestampText)) return { ok: false, reason: 'invalid_signature' };
  const sent = parseStandardSignatures(opts.header).map(decodeBase64);
  const secretIndex = matchingSecret(opts.secrets, (s) => hmac(standardSigningKey(s), [`${id}.${timestampText}.`, opts.body]), sent);
  if (secretIndex < 0) return { ok: false, reason: 'invalid_signature' };
  const timestamp = Number(timestampText);
  if (Math.abs(opts.now - timestamp) > (opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) {
    return { ok: false, reason: 'timestamp_outside_tolerance' };
  }
  return { ok: true, timestamp, secretIndex };
}

/**
 * What the webhook route remembers of an accepted signature to refuse it a second time: SHA-256 of
 * the scheme and the text it signs — `<t>.<body>` (OpenClaw, `t` as sent) or the body (GitHub).
 * It is keyed on the signed content rather than the header, so every valid signature of the same
 * content counts as the same one: hex in another case, `v1` entries reordered or dropped, the
 * previous secret of a rotation. Never the signature or the secret itself.
 */
export function replayDigest(scheme: 'openclaw' | 'github', timestampText: string | null, body: SignedPayload): Buffer {
  const h = createHash('sha256').update(scheme === 'openclaw' ? `openclaw-v1\n${timestampText ?? ''}.` : 'github-sha256\n');
  return h.update(body).digest();
}
