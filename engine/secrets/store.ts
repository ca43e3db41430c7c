/**
 * The secret store: write-only values (PUT replaces, GET lists names and times, DELETE removes),
 * encrypted at rest (see crypto.ts). Only the worker reads values, at execution time, for the
 * `${{ secrets.NAME }}` references of the task it is about to run. Every function acts in one
 * namespace (`ns`): a secret of another namespace does not exist for it.
 */
import { keysetPage, tupleCursor, type Page, type PageRequest } from '../db/keyset-page.js';
import { EngineError, NonRetryableError, NotFoundError } from '../errors.js';
import type { EngineCore } from '../core/engine-core.js';
import { decryptSecret, encryptSecret, MIN_SECRET_LENGTH, rewrapKey, SECRET_NAME, type Keyring, type MasterKey } from './crypto.js';

export const MAX_SECRET_BYTES = 64 * 1024;

export type { Keyring } from './crypto.js';

function requireKey(ring: Keyring): MasterKey {
  if (!ring.current) {
    throw new EngineError('unavailable', 'secrets are not available: this process was started without OPENCLAW_SECRET_KEY');
  }
  return ring.current;
}

export interface SecretInfo {
  name: string;
  createdAt: string;
  updatedAt: string;
}

export async function putSecret(
  core: EngineCore,
  ns: string,
  ring: Keyring,
  name: string,
  value: string,
): Promise<{ created: boolean; secret: SecretInfo }> {
  if (!SECRET_NAME.test(name)) {
    throw new EngineError('invalid_request', `secret name ${JSON.stringify(name)} must match ${SECRET_NAME.source}`, {
      details: { field: 'name' },
    });
  }
  if (value.length < MIN_SECRET_LENGTH || Buffer.byteLength(value) > MAX_SECRET_BYTES) {
    throw new EngineError('invalid_request', `a secret value must be ${MIN_SECRET_LENGTH} characters to ${MAX_SECRET_BYTES} bytes long`, {
      details: { field: 'value' },
    });
  }
  const sealed = encryptSecret(requireKey(ring), ns, name, value);
  const { rows } = await core.pool.query<{ created: boolean; created_at: Date; updated_at: Date }>(
    // Replacing keeps the value it replaces (still sealed) and when, for webhook verification during
    // a rotation overlap (readSecretVersions). SET expressions read the row as it was before.
    `INSERT INTO openclaw.secret (namespace, name, key_id, wrapped_key, ciphertext) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (namespace, name) DO UPDATE
       SET key_id = EXCLUDED.key_id, wrapped_key = EXCLUDED.wrapped_key, ciphertext = EXCLUDED.ciphertext, updated_at = now(),
           previous_key_id = secret.key_id, previous_wrapped_key = secret.wrapped_key,
           previous_ciphertext = secret.ciphertext, previous_replaced_at = now()
     RETURNING (xmax = 0) AS created, created_at, updated_at`,
    [ns, name, sealed.keyId, sealed.wrappedKey, sealed.ciphertext],
  );
  const r = rows[0]!;
  return { created: r.created, secret: { name, createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString() } };
}

/** Secret names and times (never values), by name, a page at a time. */
export async function listSecrets(core: EngineCore, ns: string, page: PageRequest = {}): Promise<Page<SecretInfo>> {
  const { items, nextCursor } = await keysetPage(page, byName, async (after, take) => {
    const { rows } = await core.pool.query<{ name: string; created_at: Date; updated_at: Date }>(
      `SELECT name, created_at, updated_at FROM openclaw.secret
        WHERE namespace = $1 AND ($2::text IS NULL OR name > $2) ORDER BY name LIMIT $3`,
      [ns, after?.[0] ?? null, take],
    );
    return rows;
  });
  return {
    items: items.map((r) => ({ name: r.name, createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString() })),
    nextCursor,
  };
}

const byName = { format: tupleCursor('string'), keyOf: (r: { name: string }): [string] => [r.name] };

export async function deleteSecret(core: EngineCore, ns: string, name: string): Promise<void> {
  const { rowCount } = await core.pool.query('DELETE FROM openclaw.secret WHERE namespace = $1 AND name = $2', [ns, name]);
  if (!rowCount) throw new NotFoundError('secret', name);
}

/** Decrypted values of the named secrets of namespace `ns`; names that do not exist there are missing from the map. */
export async function readSecrets(core: EngineCore, ns: string, ring: Keyring, names: string[]): Promise<Map<string, string>> {
  const { rows } = await core.pool.query<{ name: string; key_id: string; wrapped_key: Buffer; ciphertext: Buffer }>(
    'SELECT name, key_id, wrapped_key, ciphertext FROM openclaw.secret WHERE namespace = $1 AND name = ANY($2::text[])',
    [ns, names],
  );
  const out = new Map<string, string>();
  for (const r of rows) {
    try {
      out.set(r.name, decryptSecret(ring.all, ns, r.name, { keyId: r.key_id, wrappedKey: r.wrapped_key, ciphertext: r.ciphertext }));
    } catch (err) {
      // No configured key, or a tampered row: name the secret, never a value. Retrying cannot help.
      throw new NonRetryableError('SecretsUnavailable', `cannot decrypt secret ${r.name}: ${(err as Error).message}`);
    }
  }
  return out;
}

/**
 * The values a webhook signature may be made with: the secret's current value and, while its
 * replacement is less than `overlapMs` old (the database clock decides), the value it replaced.
 * null when the secret does not exist. A previous value that cannot be decrypted is left out.
 */
export async function readSecretVersions(
  core: EngineCore,
  ns: string,
  ring: Keyring,
  name: string,
  overlapMs: number,
): Promise<{ current: string; previous: string | null } | null> {
  const { rows } = await core.pool.query<{
    key_id: string;
    wrapped_key: Buffer;
    ciphertext: Buffer;
    previous_key_id: string | null;
    previous_wrapped_key: Buffer | null;
    previous_ciphertext: Buffer | null;
  }>(
    `SELECT key_id, wrapped_key, ciphertext,
            CASE WHEN in_overlap THEN previous_key_id END AS previous_key_id,
            CASE WHEN in_overlap THEN previous_wrapped_key END AS previous_wrapped_key,
            CASE WHEN in_overlap THEN previous_ciphertext END AS previous_ciphertext
       FROM openclaw.secret,
            LATERAL (SELECT coalesce(previous_replaced_at > now() - make_interval(secs => $3::float8 / 1000), false) AS in_overlap) o
      WHERE namespace = $1 AND name = $2`,
    [ns, name, overlapMs],
  );
  const r = rows[0];
  if (!r) return null;
  if (ring.all.length === 0)
    throw new EngineError('unavailable', 'secrets are not available: this process was started without OPENCLAW_SECRET_KEY');
  let current: string;
  try {
    current = decryptSecret(ring.all, ns, name, { keyId: r.key_id, wrappedKey: r.wrapped_key, ciphertext: r.ciphertext });
  } catch (err) {
    throw new EngineError('unavailable', `cannot decrypt secret ${name}: ${(err as Error).message}`);
  }
  let previous: string | null = null;
  if (r.previous_key_id !== null && r.previous_wrapped_key && r.previous_ciphertext) {
    try {
      previous = decryptSecret(ring.all, ns, name, {
        keyId: r.previous_key_id,
        wrappedKey: r.previous_wrapped_key,
        ciphertext: r.previous_ciphertext,
      });
    } catch (err) {
      core.log.warn({ secret: name, reason: (err as Error).message }, 'the previous value of a secret cannot be decrypted; ignoring it');
    }
  }
  return { current, previous };
}

/**
 * Key rotation: re-wraps every data key not under the current master key (read with one of the
 * previous keys), a replaced value's included. Values are not re-encrypted; each row is updated
 * only if unchanged meanwhile.
 */
export async function rotateSecrets(core: EngineCore, ring: Keyring): Promise<{ rewrapped: number; unreadable: string[] }> {
  const current = requireKey(ring);
  const { rows } = await core.pool.query<{
    namespace: string;
    name: string;
    key_id: string;
    wrapped_key: Buffer;
    previous_key_id: string | null;
    previous_wrapped_key: Buffer | null;
  }>(
    `SELECT namespace, name, key_id, wrapped_key, previous_key_id, previous_wrapped_key FROM openclaw.secret
      WHERE key_id <> $1 OR previous_key_id <> $1`,
    [current.id],
  );
  let rewrapped = 0;
  const unreadable: string[] = [];
  for (const r of rows) {
    let keyId = r.key_id;
    let wrapped = r.wrapped_key;
    if (keyId !== current.id) {
      const from = ring.all.find((k) => k.id === r.key_id);
      if (!from) {
        unreadable.push(`${r.namespace}/${r.name}`);
        continue;
      }
      wrapped = rewrapKey(from, current, r.namespace, r.name, r.wrapped_key);
      keyId = current.id;
    }
    let previousKeyId = r.previous_key_id;
    let previousWrapped = r.previous_wrapped_key;
    const fromPrevious = ring.all.find((k) => k.id === r.previous_key_id);
    // A replaced value under a key no longer configured is left as it is: it only serves the
    // webhook rotation overlap, and it expires with it.
    if (previousWrapped && previousKeyId !== current.id && fromPrevious) {
      previousWrapped = rewrapKey(fromPrevious, current, r.namespace, r.name, previousWrapped);
      previousKeyId = current.id;
    }
    if (keyId === r.key_id && previousKeyId === r.previous_key_id) continue;
    const res = await core.pool.query(
      `UPDATE openclaw.secret SET key_id = $3, wrapped_key = $4, previous_key_id = $5, previous_wrapped_key = $6
        WHERE namespace = $1 AND name = $2 AND wrapped_key = $7 AND previous_wrapped_key IS NOT DISTINCT FROM $8`,
      [r.namespace, r.name, keyId, wrapped, previousKeyId, previousWrapped, r.wrapped_key, r.previous_wrapped_key],
    );
    rewrapped += res.rowCount ?? 0;
  }
  return { rewrapped, unreadable };
}
