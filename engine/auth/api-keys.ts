/**
 * API keys (docs/security.md): `ocl_<id>_<secret>`, where the id (16 hex characters) names the key
 * and the secret is 256 random bits (base64url). Only the secret's SHA-256 is stored; the key is
 * shown once, when created. A key carries a role and the namespaces it may touch (a list, or `*`),
 * an optional expiry and a name. Expiry is judged by the database's clock.
 *
 * Lookups are cached per process for at most CACHE_MS, so a revocation on any server takes effect
 * on every server within that time; a revocation through this process takes effect at once.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EngineCore } from '../core/engine-core.js';
import { keysetPage, tupleCursor, type Page, type PageRequest } from '../db/keyset-page.js';
import { EngineError, NotFoundError } from '../errors.js';
import { isRole, NAMESPACE_PATTERN, type NamespaceGrant, type Role } from '../vocabulary/roles.js';

const KEY_FORM = /^ocl_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
/** How long a looked-up key is trusted without asking the database again (bounds revocation delay). */
export const API_KEY_CACHE_MS = 1_000;
const CACHE_MAX = 10_000;
const NAME_MAX = 200;

export interface ApiKeyInfo {
  id: string;
  name: string;
  role: Role;
  namespaces: NamespaceGrant;
  createdBy: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

/** Who a valid key is. */
export interface KeyHolder {
  keyId: string;
  role: Role;
  namespaces: NamespaceGrant;
}

export interface CreateApiKeyOptions {
  name: string;
  role: Role;
  namespaces: NamespaceGrant;
  /** ISO 8601; must be in the future. */
  expiresAt?: string | null;
  /** The principal creating it (kept for the audit trail). */
  createdBy?: string | null;
}

interface KeyRow {
  id: string;
  name: string;
  role: string;
  namespaces: string[] | null;
  secret_hash: Buffer;
  created_by: string | null;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  usable: boolean;
  cursor_ts: string;
}

const COLUMNS = `id, name, role, namespaces, secret_hash, created_by, created_at, expires_at, revoked_at,
  (revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())) AS usable,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts`;

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

/** A fresh key (not stored): for `openclaw keys generate` and OPENCLAW_ADMIN_KEY. */
export function generateApiKey(): string {
  return `ocl_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`;
}

/** The id and secret of a key in the `ocl_<id>_<secret>` form, or null. */
export function parseApiKey(key: string): { id: string; secret: string } | null {
  const m = KEY_FORM.exec(key);
  return m ? { id: m[1]!, secret: m[2]! } : null;
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith('ocl_');
}

function toInfo(r: KeyRow): ApiKeyInfo {
  return {
    id: r.id,
    name: r.name,
    role: r.role as Role,
    namespaces: r.namespaces ?? '*',
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    expiresAt: r.expires_at?.toISOString() ?? null,
    revokedAt: r.revoked_at?.toISOString() ?? null,
  };
}

function validate(o: CreateApiKeyOptions): void {
  if (typeof o.name !== 'string' || o.name.trim() === '' || o.name.length > NAME_MAX) {
    throw new EngineError('invalid_request', `name must be 1 to ${NAME_MAX} characters`, { details: { field: 'name' } });
  }
  if (!isRole(o.role)) {
    throw new EngineError('invalid_request', 'role must be viewer, operator or admin', { details: { field: 'role' } });
  }
  if (o.namespaces !== '*') {
    if (!Array.isArray(o.namespaces) || o.namespaces.length === 0) {
      throw new EngineError('invalid_request', 'namespaces must be "*" or a non-empty list of namespaces', {
        details: { field: 'namespaces' },
      });
    }
    const bad = o.namespaces.find((n) => typeof n !== 'string' || !NAMESPACE_PATTERN.test(n));
    if (bad !== undefined) {
      throw new EngineError('invalid_request', `namespace ${JSON.stringify(bad)} must match ${NAMESPACE_PATTERN.source}`, {
        details: { field: 'namespaces' },
      });
    }
  }
  if (o.expiresAt != null && Number.isNaN(Date.parse(o.expiresAt))) {
    throw new EngineError('invalid_request', `expiresAt ${JSON.stringify(o.expiresAt)} is not an ISO 8601 time`, {
      details: { field: 'expiresAt' },
    });
  }
}

export class ApiKeys {
  private readonly cache = new Map<string, { row: KeyRow; at: number }>();

  constructor(private readonly core: EngineCore) {}

  /** Creates a key and returns it with its secret: the only time the secret is seen. */
  async create(o: CreateApiKeyOptions): Promise<ApiKeyInfo & { key: string }> {
    validate(o);
    const key = generateApiKey();
    const info = await this.insert(key, o);
    return { ...info, key };
  }

  private async insert(key: string, o: CreateApiKeyOptions): Promise<ApiKeyInfo> {
    const { id, secret } = parseApiKey(key)!;
    const namespaces = o.namespaces === '*' ? null : [...new Set(o.namespaces)];
    const { rows } = await this.core.pool.query<KeyRow & { future: boolean }>(
      `INSERT INTO openclaw.api_key (id, name, role, namespaces, secret_hash, created_by, expires_at)
       SELECT $1, $2, $3, $4, $5, $6, $7 WHERE $7::timestamptz IS NULL OR $7::timestamptz > now()
       RETURNING ${COLUMNS}`,
      [id, o.name.trim(), o.role, namespaces, sha256(secret), o.createdBy ?? null, o.expiresAt ?? null],
    );
    if (rows.length === 0) {
      throw new EngineError('invalid_request', `expiresAt ${o.expiresAt} is not in the future`, { details: { field: 'expiresAt' } });
    }
    return toInfo(rows[0]!);
  }

  /** Keys newest first, revoked ones included (marked), never their secrets. */
  async list(page: PageRequest = {}): Promise<Page<ApiKeyInfo>> {
    const { items, nextCursor } = await keysetPage(
      page,
      { format: tupleCursor('timestamp', 'string'), keyOf: (r: KeyRow): [string, string] => [r.cursor_ts, r.id] },
      async (after, take) => {
        const { rows } = await this.core.pool.query<KeyRow>(
          `SELECT ${COLUMNS} FROM openclaw.api_key
            WHERE $1::timestamptz IS NULL OR (created_at, id) < ($1::timestamptz, $2::text)
            ORDER BY created_at DESC, id DESC LIMIT $3`,
          [after?.[0] ?? null, after?.[1] ?? null, take],
        );
        return rows;
      },
    );
    return { items: items.map(toInfo), nextCursor };
  }

  async get(id: string): Promise<ApiKeyInfo> {
    const { rows } = await this.core.pool.query<KeyRow>(`SELECT ${COLUMNS} FROM openclaw.api_key WHERE id = $1`, [id]);
    if (!rows[0]) throw new NotFoundError('API key', id);
    return toInfo(rows[0]);
  }

  /** Revokes a key (idempotent); 404 for an unknown id. */
  async revoke(id: string): Promise<void> {
    const { rowCount } = await this.core.pool.query('UPDATE openclaw.api_key SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1', [
      id,
    ]);
    this.cache.delete(id);
    if (!rowCount) throw new NotFoundError('API key', id);
  }

  /** The holder of a valid key; null for a malformed, unknown, wrong, expired or revoked one. */
  async authenticate(key: string): Promise<KeyHolder | null> {
    const parsed = parseApiKey(key);
    if (!parsed) return null;
    const row = await this.lookup(parsed.id);
    if (!row || !row.usable) return null;
    const given = sha256(parsed.secret);
    if (!timingSafeEqual(given, row.secret_hash)) return null;
    return { keyId: row.id, role: row.role as Role, namespaces: row.namespaces ?? '*' };
  }

  private async lookup(id: string): Promise<KeyRow | null> {
    const now = Date.now();
    const hit = this.cache.get(id);
    if (hit && now - hit.at < API_KEY_CACHE_MS) return hit.row;
    const { rows } = await this.core.pool.query<KeyRow>(`SELECT ${COLUMNS} FROM openclaw.api_key WHERE id = $1`, [id]);
    const row = rows[0] ?? null;
    if (row) {
      if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(id, { row, at: now });
    } else {
      this.cache.delete(id);
    }
    return row;
  }

  /**
   * First start of a server: when the database has no key at all, creates an admin key for every
   * namespace and returns it (to be printed once). Returns null when any key exists. Safe when
   * several servers start at once: one creates it.
   */
  async bootstrap(name = 'bootstrap admin'): Promise<string | null> {
    const key = generateApiKey();
    const { id, secret } = parseApiKey(key)!;
    const client = await this.core.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("SELECT pg_advisory_xact_lock(hashtext('openclaw.api_key.bootstrap'))");
      const { rows } = await client.query('SELECT 1 FROM openclaw.api_key LIMIT 1');
      if (rows.length > 0) {
        await client.query('COMMIT');
        return null;
      }
      await client.query(
        `INSERT INTO openclaw.api_key (id, name, role, namespaces, secret_hash, created_by) VALUES ($1, $2, 'admin', NULL, $3, 'bootstrap')`,
        [id, name, sha256(secret)],
      );
      await client.query('COMMIT');
      return key;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /**
   * Makes sure `key` exists as a usable admin key for every namespace (OPENCLAW_ADMIN_KEY, and the
   * dev server's admin.key). A revoked or expired key is not brought back: that is an error.
   */
  async ensureAdmin(key: string, name = 'admin (OPENCLAW_ADMIN_KEY)'): Promise<ApiKeyInfo> {
    const parsed = parseApiKey(key);
    if (!parsed) {
      throw new EngineError(
        'invalid_request',
        'an admin key must have the form ocl_<16 hex>_<43 base64url>; make one with `openclaw keys generate`',
        {
          details: { field: 'OPENCLAW_ADMIN_KEY' },
        },
      );
    }
    await this.core.pool.query(
      `INSERT INTO openclaw.api_key (id, name, role, namespaces, secret_hash, created_by) VALUES ($1, $2, 'admin', NULL, $3, 'configuration')
       ON CONFLICT (id) DO NOTHING`,
      [parsed.id, name, sha256(parsed.secret)],
    );
    this.cache.delete(parsed.id);
    const { rows } = await this.core.pool.query<KeyRow>(`SELECT ${COLUMNS} FROM openclaw.api_key WHERE id = $1`, [parsed.id]);
    const row = rows[0]!;
    if (!timingSafeEqual(row.secret_hash, sha256(parsed.secret))) {
      throw new EngineError('conflict', `API key ${parsed.id} already exists with another secret`, { details: { id: parsed.id } });
    }
    if (!row.usable) {
      throw new EngineError(
        'conflict',
        `API key ${parsed.id} is revoked or expired; it is not brought back. Use a new key (openclaw keys generate)`,
        {
          details: { id: parsed.id },
        },
      );
    }
    if (row.role !== 'admin' || row.namespaces !== null) {
      throw new EngineError('conflict', `API key ${parsed.id} exists but is not an admin key for every namespace`, {
        details: { id: parsed.id },
      });
    }
    return toInfo(row);
  }
}
