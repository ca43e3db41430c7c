/**
 * The secret store: write-only values (PUT replaces, GET lists names and times, DELETE removes),
 * encrypted at rest (see crypto.ts). Only the worker reads values, at execution time, for the
 * `${{ secrets.NAME }}` references of the task it is about to run.
 */
import { EngineError, NonRetryableError, NotFoundError } from '../errors.js';
import type { EngineCore } from '../runs/types.js';
import { decryptSecret, encryptSecret, parseMasterKey, rewrapKey, type MasterKey } from './crypto.js';

export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** Shorter values would be masked everywhere they happen to appear in outputs and logs. */
export const MIN_SECRET_LENGTH = 4;
export const MAX_SECRET_BYTES = 64 * 1024;

export interface Keyring {
  current: MasterKey | null;
  all: MasterKey[];
}

export function keyringFrom(config: { secretKey: string; previousSecretKeys: string }): Keyring {
  const current = config.secretKey.trim() ? parseMasterKey(config.secretKey) : null;
  const previous = config.previousSecretKeys
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean)
    .map((k) => parseMasterKey(k, 'OPENCLAW_SECRET_KEY_PREVIOUS'));
  return { current, all: current ? [current, ...previous] : previous };
}

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
  const ns = core.config.namespace;
  const sealed = encryptSecret(requireKey(ring), ns, name, value);
  const { rows } = await core.pool.query<{ created: boolean; created_at: Date; updated_at: Date }>(
    `INSERT INTO openclaw.secret (namespace, name, key_id, wrapped_key, ciphertext) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (namespace, name) DO UPDATE
       SET key_id = EXCLUDED.key_id, wrapped_key = EXCLUDED.wrapped_key, ciphertext = EXCLUDED.ciphertext, updated_at = now()
     RETURNING (xmax = 0) AS created, created_at, updated_at`,
    [ns, name, sealed.keyId, sealed.wrappedKey, sealed.ciphertext],
  );
  const r = rows[0]!;
  return { created: r.created, secret: { name, createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString() } };
}

export async function listSecrets(core: EngineCore): Promise<SecretInfo[]> {
  const { rows } = await core.pool.query<{ name: string; created_at: Date; updated_at: Date }>(
    'SELECT name, created_at, updated_at FROM openclaw.secret WHERE namespace = $1 ORDER BY name',
    [core.config.namespace],
  );
  return rows.map((r) => ({ name: r.name, createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString() }));
}

export async function deleteSecret(core: EngineCore, name: string): Promise<void> {
  const { rowCount } = await core.pool.query('DELETE FROM openclaw.secret WHERE namespace = $1 AND name = $2', [
    core.config.namespace,
    name,
  ]);
  if (!rowCount) throw new NotFoundError('secret', name);
}

/** Decrypted values of the named secrets; names that do not exist are missing from the map. */
export async function readSecrets(core: EngineCore, ring: Keyring, names: string[]): Promise<Map<string, string>> {
  const ns = core.config.namespace;
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
 * Key rotation: re-wraps every data key not under the current master key (read with one of the
 * previous keys). Values are not re-encrypted; each row is updated only if unchanged meanwhile.
 */
export async function rotateSecrets(core: EngineCore, ring: Keyring): Promise<{ rewrapped: number; unreadable: string[] }> {
  const current = requireKey(ring);
  const { rows } = await core.pool.query<{ namespace: string; name: string; key_id: string; wrapped_key: Buffer }>(
    'SELECT namespace, name, key_id, wrapped_key FROM openclaw.secret WHERE key_id <> $1',
    [current.id],
  );
  let rewrapped = 0;
  const unreadable: string[] = [];
  for (const r of rows) {
    const from = ring.all.find((k) => k.id === r.key_id);
    if (!from) {
      unreadable.push(`${r.namespace}/${r.name}`);
      continue;
    }
    const wrapped = rewrapKey(from, current, r.namespace, r.name, r.wrapped_key);
    const res = await core.pool.query(
      'UPDATE openclaw.secret SET key_id = $3, wrapped_key = $4 WHERE namespace = $1 AND name = $2 AND key_id = $5',
      [r.namespace, r.name, current.id, wrapped, r.key_id],
    );
    rewrapped += res.rowCount ?? 0;
  }
  return { rewrapped, unreadable };
}
