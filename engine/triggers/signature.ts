/**
 * Webhook signatures: pure HMAC-SHA256 primitives (no database, no clock of their own), shared by
 * the inbound webhook route and outbound notifications.
 *
 * OpenClaw scheme (Stripe-like): `X-OpenClaw-Signature: t=<unix seconds>,v1=<hex>` where `<hex>` is
 * HMAC-SHA256(secret, `<t>.<raw body bytes>`). Several `v1=` entries may be sent (a sender rotating
 * its secret signs with both); one match is enough. The timestamp bounds replays to a tolerance
 * window; the signed text uses `t` exactly as it appears in the header.
 *
 * GitHub scheme: `X-Hub-Signature-256: sha256=<hex>` = HMAC-SHA256(secret, raw body). It has no
 * timestamp, so replays are bounded only by the delivery id (`X-GitHub-Delivery`).
 *
 * Every comparison is constant-time (`crypto.timingSafeEqual` on equal-length digests; anything
 * that is not a well-formed hex digest is a mismatch, never an exception).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-openclaw-signature';
export const DELIVERY_HEADER = 'x-openclaw-delivery';
export const GITHUB_SIGNATURE_HEADER = 'x-hub-signature-256';
export const GITHUB_DELIVERY_HEADER = 'x-github-delivery';
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
      /** The signature's timestamp (unix seconds); null for the GitHub scheme. */
      timestamp: number | null;
      /** Which of the candidate secrets matched (0 = the first). */
      secretIndex: number;
    }
  | { ok: false; reason: VerifyFailure };

const HEX_DIGEST = /^[0-9a-fA-F]{64}$/;
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
  if (!HEX_DIGEST.test(sentHex)) return false;
  const sent = Buffer.from(sentHex, 'hex');
  // Lengths are public (32 bytes); timingSafeEqual throws on a mismatch, so check first.
  return sent.length === expected.length && timingSafeEqual(sent, expected);
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
  const secretIndex = matchingSecret(opts.secrets, (s) => hmac(s, [`${parsed.timestampText}.`, opts.body]), parsed.signatures);
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
  const secretIndex = matchingSecret(opts.secrets, (s) => hmac(s, [opts.body]), [sent]);
  return secretIndex < 0 ? { ok: false, reason: 'invalid_signature' } : { ok: true, timestamp: null, secretIndex };
}

/** Index of the first secret whose digest equals one of `sent`, or -1. Every pair is compared (no early exit). */
function matchingSecret(secrets: readonly SigningSecret[], digest: (s: SigningSecret) => Buffer, sent: string[]): number {
  let found = -1;
  secrets.forEach((secret, i) => {
    const expected = digest(secret);
    for (const s of sent) if (digestEquals(s, expected) && found < 0) found = i;
  });
  return found;
}
