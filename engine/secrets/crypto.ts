/**
 * Envelope encryption for secrets with node:crypto's AES-256-GCM: a random 32-byte data key per
 * secret encrypts the value; the master key (from configuration) wraps the data key. Every
 * ciphertext is `iv (12 bytes) || tag (16) || data`, and authenticated with the secret's
 * namespace and name as additional data, so a row copied under another name does not decrypt.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** What a secret may be called (letters, digits, `_`; not starting with a digit; at most 128). */
export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * The shortest secret value the store accepts, and the shortest encoded form masking looks for:
 * shorter ones would be masked everywhere they happen to appear in outputs and logs.
 */
export const MIN_SECRET_LENGTH = 4;

const IV = 12;
const TAG = 16;

export interface MasterKey {
  /** Fingerprint stored with each secret: first 16 hex chars of sha256(key). Never the key. */
  id: string;
  key: Buffer;
}

/** The master keys a process holds (from configuration: see loadConfig). */
export interface Keyring {
  /** Encrypts new values; null when no key is configured (secrets are then unavailable). */
  current: MasterKey | null;
  /** Every key that may still decrypt a stored value: the current one first, then the previous ones. */
  all: MasterKey[];
}

/** Parses a 32-byte key given as base64 (44 chars) or hex (64 chars). */
export function parseMasterKey(text: string, source = 'OPENCLAW_SECRET_KEY'): MasterKey {
  const t = text.trim();
  let key: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(t)) key = Buffer.from(t, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) key = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (!key || key.length !== 32) {
    throw new Error(`${source} must be 32 random bytes as base64 or hex (generate one with: openssl rand -base64 32)`);
  }
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 16), key };
}

export function generateMasterKey(): string {
  return randomBytes(32).toString('base64');
}

function seal(key: Buffer, plain: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(IV);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad);
  const data = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), data]);
}

function open(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV));
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(IV, IV + TAG));
  return Buffer.concat([d.update(sealed.subarray(IV + TAG)), d.final()]);
}

const aadFor = (namespace: string, name: string): Buffer => Buffer.from(`openclaw.secret:${namespace}:${name}`);

export interface SealedSecret {
  keyId: string;
  wrappedKey: Buffer;
  ciphertext: Buffer;
}

export function encryptSecret(master: MasterKey, namespace: string, name: string, value: string): SealedSecret {
  const dataKey = randomBytes(32);
  const aad = aadFor(namespace, name);
  try {
    return { keyId: master.id, wrappedKey: seal(master.key, dataKey, aad), ciphertext: seal(dataKey, Buffer.from(value, 'utf8'), aad) };
  } finally {
    dataKey.fill(0);
  }
}

export function unwrapKey(master: MasterKey, namespace: string, name: string, wrappedKey: Buffer): Buffer {
  return open(master.key, wrappedKey, aadFor(namespace, name));
}

export function decryptSecret(masters: MasterKey[], namespace: string, name: string, sealed: SealedSecret): string {
  const master = masters.find((m) => m.id === sealed.keyId);
  if (!master)
    throw new Error(
      `secret ${name} is wrapped with key ${sealed.keyId}, which is not configured (OPENCLAW_SECRET_KEY / OPENCLAW_SECRET_KEY_PREVIOUS)`,
    );
  const dataKey = unwrapKey(master, namespace, name, sealed.wrappedKey);
  try {
    return open(dataKey, sealed.ciphertext, aadFor(namespace, name)).toString('utf8');
  } finally {
    dataKey.fill(0);
  }
}

/** Re-wraps a data key under `to` (rotation): the value's ciphertext is unchanged. */
export function rewrapKey(from: MasterKey, to: MasterKey, namespace: string, name: string, wrappedKey: Buffer): Buffer {
  const dataKey = unwrapKey(from, namespace, name, wrappedKey);
  try {
    return seal(to.key, dataKey, aadFor(namespace, name));
  } finally {
    dataKey.fill(0);
  }
}
