/**
 * API keys, roles and namespaces against a real app with the default authentication (S1):
 * every protected route refuses every kind of bad credential, path tricks serve nothing without a
 * key, the route × role table of docs/security.md matches what every route does for every role,
 * keys are shown once and revocation reaches other servers.
 */
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, ROUTE_ROLES } from '../../api/index.js';
import type { Engine } from '../../engine/index.js';
import { createTestDb, testEngine, testPool, waitFor, type TestDb } from '../helpers/engine.js';

const ROLES = ['viewer', 'operator', 'admin'] as const;
type Role = (typeof ROLES)[number];
/** Served without a credential: health checks, the web UI's sign-in options, and webhooks (authenticated by their signature instead). */
const PUBLIC_ROUTES = new Set(['GET /healthz', 'GET /readyz', 'GET /v1/ui/config', 'POST /v1/hooks/{workflow}/{hook}']);
const UUID = '00000000-0000-4000-8000-000000000000';

/** A JSON body as the assertions read it. */
type ErrorLike = { error: { code: string; message: string; details: { field?: string } }; items: Array<{ id: string }> } & Record<
  string,
  unknown
>;

let db: TestDb;
let engine: Engine;
let app: FastifyInstance;
const keys = {} as Record<Role, string>;

async function call(method: string, url: string, key?: string, headers: Record<string, string> = {}) {
  const res = await app.inject({
    method: method as 'GET',
    url,
    headers: { ...(key === undefined ? {} : { authorization: `Bearer ${key}` }), ...headers },
  });
  const json = String(res.headers['content-type'] ?? '').includes('json') && res.body !== '';
  return { status: res.statusCode, body: json ? (JSON.parse(res.body) as ErrorLike) : null, headers: res.headers };
}

/** Every route the app documents: not a hand-kept list, so a new route cannot be missed. */
function documentedRoutes(): Array<{ method: string; path: string; url: string }> {
  const paths = (app.swagger() as { paths: Record<string, Record<string, unknown>> }).paths;
  return Object.entries(paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => ({
      method: m.toUpperCase(),
      path,
      url: path
        .replace('{name}', 'wf')
        .replace('{version}', '1')
        .replace('{id}', path.startsWith('/v1/api-keys') ? '0123456789abcdef' : UUID)
        .replace('{key}', 'k')
        .replace('{workflow}', 'wf')
        .replace('{hook}', 'h'),
    })),
  );
}

/** The route × role table of docs/security.md. */
async function documentedTable(): Promise<Map<string, Role>> {
  const text = await readFile(new URL('../../docs/security.md', import.meta.url), 'utf8');
  const block = /<!-- route-roles:start -->([\s\S]*?)<!-- route-roles:end -->/.exec(text)?.[1];
  expect(block, 'docs/security.md has the route-roles table').toBeDefined();
  const table = new Map<string, Role>();
  for (const line of block!.split('\n')) {
    const m = /^\| `([A-Z]+ \S+)` \| (yes|no) \| (yes|no) \| (yes|no) \|$/.exec(line.trim());
    if (!m) continue;
    const allowed = [m[2], m[3], m[4]].map((v) => v === 'yes');
    // A role includes the ones before it: the table must say so too.
    const least = allowed.indexOf(true);
    expect(allowed.slice(least).every(Boolean), `${m[1]}: roles above the least one are allowed too`).toBe(true);
    table.set(m[1]!, ROLES[least]!);
  }
  return table;
}

beforeAll(async () => {
  db = await createTestDb('access');
  engine = await testEngine(db);
  app = await buildApp({ engine, logger: false });
  for (const role of ROLES) keys[role] = (await engine.apiKeys.create({ name: role, role, namespaces: '*' })).key;
});
afterAll(async () => {
  await app?.close();
  await engine?.close();
  await db?.drop();
});

describe('authentication', () => {
  it('every protected route answers 401 without a key, with a malformed header, a wrong, an expired and a revoked key', async () => {
    const expired = await engine.apiKeys.create({ name: 'expired', role: 'admin', namespaces: '*' });
    await testPool(engine).query("UPDATE openclaw.api_key SET expires_at = now() - interval '1 second' WHERE id = $1", [expired.id]);
    const revoked = await engine.apiKeys.create({ name: 'revoked', role: 'admin', namespaces: '*' });
    await engine.apiKeys.revoke(revoked.id);
    const wrongSecret = `${keys.admin.slice(0, 21)}${keys.admin[21] === 'A' ? 'B' : 'A'}${keys.admin.slice(22)}`;
    const bad: Array<[string, Record<string, string>]> = [
      ['no header', {}],
      ['malformed header', { authorization: keys.admin }],
      ['Basic scheme', { authorization: `Basic ${Buffer.from(`x:${keys.admin}`).toString('base64')}` }],
      ['empty bearer', { authorization: 'Bearer ' }],
      ['not a key', { authorization: 'Bearer ocl_nothing' }],
      ['wrong secret', { authorization: `Bearer ${wrongSecret}` }],
      ['unknown id', { authorization: `Bearer ocl_0000000000000000_${'A'.repeat(43)}` }],
      ['expired key', { authorization: `Bearer ${expired.key}` }],
      ['revoked key', { authorization: `Bearer ${revoked.key}` }],
    ];
    const routes = documentedRoutes();
    expect(routes.length).toBeGreaterThan(25);
    for (const { method, path, url } of routes) {
      if (PUBLIC_ROUTES.has(`${method} ${path}`)) continue;
      for (const [what, headers] of bad) {
        const res = await app.inject({ method: method as 'GET', url, headers });
        expect(res.statusCode, `${method} ${url} (${what})`).toBe(401);
        expect(res.json().error.code).toBe('unauthorized');
      }
      const ok = await call(method, url, keys.admin);
      expect(ok.status, `${method} ${url} with an admin key`).not.toBe(401);
    }
  });

  it('path tricks never serve a protected route without a key; the public routes are exactly these', async () => {
    for (const url of [
      '//v1/runs',
      '/v1/runs/',
      '/V1/runs',
      '/v1/./runs',
      '/v1/%2e%2e/v1/runs',
      '/healthz/../v1/runs',
      '/v1/runs/..%2f..%2fhealthz',
      '/v1/runs?namespace=default',
      '/v1/runs#x',
      '/v1/hooks/wf/h/',
      '/V1/hooks/wf/h',
      '//v1/hooks/wf/h',
      '/healthz/',
      '/HEALTHZ',
    ]) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(401);
    }
    // What is served without a key: the health checks, the UI's sign-in options, the webhook route
    // (its signature is the credential) and the API's own description.
    expect((await call('GET', '/healthz')).status).toBe(200);
    expect(await call('GET', '/v1/ui/config')).toMatchObject({ status: 200, body: { oidc: null } });
    expect((await call('GET', '/readyz')).status).toBe(200);
    expect((await call('GET', '/openapi.json')).status).toBe(200);
    expect((await call('POST', '/v1/hooks/wf/h')).status).toBe(404);
    const documented = documentedRoutes().map((r) => `${r.method} ${r.path}`);
    expect(documented.filter((r) => !ROUTE_ROLES[r]).sort()).toEqual([...PUBLIC_ROUTES].sort());
  });
});

describe('roles', () => {
  it('the route × role table of docs/security.md lists every route and matches what each role gets', async () => {
    const table = await documentedTable();
    const documented = documentedRoutes().filter((r) => !PUBLIC_ROUTES.has(`${r.method} ${r.path}`));
    expect([...table.keys()].sort()).toEqual(documented.map((r) => `${r.method} ${r.path}`).sort());
    expect(Object.fromEntries(table)).toEqual(ROUTE_ROLES);
    for (const { method, path, url } of documented) {
      const least = table.get(`${method} ${path}`)!;
      for (const role of ROLES) {
        const res = await call(method, url, keys[role]);
        if (ROLES.indexOf(role) >= ROLES.indexOf(least)) {
          expect([401, 403], `${method} ${url} as ${role}`).not.toContain(res.status);
        } else {
          expect(res.status, `${method} ${url} as ${role}`).toBe(403);
          expect(res.body!.error.code).toBe('forbidden');
          expect(res.body!.error.message).toContain(least);
        }
      }
    }
  });
});

describe('namespaces', () => {
  it('a key used outside its namespaces gets 403; inside them it works; a bad namespace name is 400', async () => {
    const a = await engine.apiKeys.create({ name: 'team a', role: 'operator', namespaces: ['team-a'] });
    expect((await call('GET', '/v1/runs', a.key, { 'x-openclaw-namespace': 'team-a' })).status).toBe(200);
    expect((await call('GET', '/v1/runs?namespace=team-a', a.key)).status).toBe(200);
    const other = await call('GET', '/v1/runs', a.key, { 'x-openclaw-namespace': 'team-b' });
    expect(other.status).toBe(403);
    expect(other.body!.error.message).toContain('team-b');
    // No namespace named: `default`, which this key may not use.
    expect((await call('GET', '/v1/runs', a.key)).status).toBe(403);
    const bad = await call('GET', '/v1/runs', keys.admin, { 'x-openclaw-namespace': 'Team_A' });
    expect(bad.status).toBe(400);
    expect(bad.body!.error.details.field).toBe('namespace');
    const disagree = await call('GET', '/v1/runs?namespace=team-b', keys.admin, { 'x-openclaw-namespace': 'team-a' });
    expect(disagree.status).toBe(400);
  });
});

describe('API keys', () => {
  it('create shows the key once; list never shows it; revoke takes effect; bad input is 400 naming the field', async () => {
    const created = await call('POST', '/v1/api-keys', keys.admin, { 'content-type': 'application/json' });
    expect(created.status).toBe(400);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: { authorization: `Bearer ${keys.admin}` },
      payload: { name: 'ci', role: 'viewer', namespaces: ['default'], expiresAt: new Date(Date.now() + 3_600_000).toISOString() },
    });
    expect(res.statusCode).toBe(201);
    const key = res.json();
    expect(key).toMatchObject({ name: 'ci', role: 'viewer', namespaces: ['default'], revokedAt: null });
    expect(key.key).toMatch(/^ocl_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(key.key).toContain(key.id);
    // At least 256 bits: 43 base64url characters.
    expect(Buffer.from(key.key.slice(21), 'base64url').length).toBe(32);
    // Stored only as a hash.
    const { rows } = await testPool(engine).query('SELECT * FROM openclaw.api_key WHERE id = $1', [key.id]);
    expect(JSON.stringify(rows)).not.toContain(key.key.slice(21));

    const listed = await call('GET', '/v1/api-keys', keys.admin);
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toContain(key.key.slice(21));
    expect(listed.body!.items.map((k: { id: string }) => k.id)).toContain(key.id);

    expect((await call('GET', '/v1/runs', key.key)).status).toBe(200);
    expect((await call('DELETE', `/v1/api-keys/${key.id}`, keys.admin)).status).toBe(204);
    expect((await call('GET', '/v1/runs', key.key)).status).toBe(401);
    expect((await call('DELETE', '/v1/api-keys/ffffffffffffffff', keys.admin)).status).toBe(404);

    const past = await app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: { authorization: `Bearer ${keys.admin}` },
      payload: { name: 'old', role: 'viewer', namespaces: '*', expiresAt: '2000-01-01T00:00:00Z' },
    });
    expect(past.statusCode).toBe(400);
    expect(past.json().error.details.field).toBe('expiresAt');
    const badRole = await app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: { authorization: `Bearer ${keys.admin}` },
      payload: { name: 'x', role: 'root', namespaces: '*' },
    });
    expect(badRole.statusCode).toBe(400);
  });

  it('an admin limited to some namespaces manages keys only within them', async () => {
    const limited = await engine.apiKeys.create({ name: 'a admin', role: 'admin', namespaces: ['team-a'] });
    const h = { authorization: `Bearer ${limited.key}`, 'x-openclaw-namespace': 'team-a' };
    const everywhere = await app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: h,
      payload: { name: 'x', role: 'viewer', namespaces: '*' },
    });
    expect(everywhere.statusCode).toBe(403);
    const elsewhere = await app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: h,
      payload: { name: 'x', role: 'viewer', namespaces: ['team-b'] },
    });
    expect(elsewhere.statusCode).toBe(403);
    const inside = await app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: h,
      payload: { name: 'x', role: 'viewer', namespaces: ['team-a'] },
    });
    expect(inside.statusCode).toBe(201);
    const list = await app.inject({ url: '/v1/api-keys', headers: h });
    expect(list.json().items.every((k: { namespaces: unknown }) => JSON.stringify(k.namespaces) === '["team-a"]')).toBe(true);
    expect((await app.inject({ method: 'DELETE', url: `/v1/api-keys/${keys.viewer.slice(4, 20)}`, headers: h })).statusCode).toBe(403);
  });

  it('a revocation on one server reaches another server sharing the database within a second', async () => {
    const other = await testEngine(db);
    const otherApp = await buildApp({ engine: other, logger: false });
    try {
      const k = await engine.apiKeys.create({ name: 'shared', role: 'viewer', namespaces: '*' });
      const get = () => otherApp.inject({ url: '/v1/runs', headers: { authorization: `Bearer ${k.key}` } });
      expect((await get()).statusCode).toBe(200);
      const revokedAt = Date.now();
      await engine.apiKeys.revoke(k.id);
      await waitFor(async () => (await get()).statusCode === 401, 5_000);
      // Bounded by the cache's lifetime (1 s) plus scheduling slack; the figure is printed, not asserted tightly.
      expect(Date.now() - revokedAt).toBeLessThan(3_000);
    } finally {
      await otherApp.close();
      await other.close();
    }
  });
});

describe('bootstrap', () => {
  it('creates one admin key on an empty database, even when servers start at once; none once a key exists', async () => {
    const fresh = await createTestDb('bootstrap');
    const e1 = await testEngine(fresh);
    const e2 = await testEngine(fresh);
    try {
      const made = await Promise.all([e1.apiKeys.bootstrap(), e2.apiKeys.bootstrap(), e1.apiKeys.bootstrap()]);
      const keysMade = made.filter((k): k is string => k !== null);
      expect(keysMade).toHaveLength(1);
      expect(await e2.apiKeys.authenticate(keysMade[0]!)).toMatchObject({ role: 'admin', namespaces: '*' });
      expect(await e1.apiKeys.bootstrap()).toBeNull();
    } finally {
      await e1.close();
      await e2.close();
      await fresh.drop();
    }
  });

  it('OPENCLAW_ADMIN_KEY: ensured as an admin key; a revoked one is not brought back; a malformed one is refused', async () => {
    const { generateApiKey } = await import('../../engine/index.js');
    const key = generateApiKey();
    const info = await engine.apiKeys.ensureAdmin(key);
    expect(info).toMatchObject({ role: 'admin', namespaces: '*' });
    expect(await engine.apiKeys.ensureAdmin(key)).toMatchObject({ id: info.id });
    expect((await call('GET', '/v1/api-keys', key)).status).toBe(200);
    await engine.apiKeys.revoke(info.id);
    await expect(engine.apiKeys.ensureAdmin(key)).rejects.toThrow(/revoked or expired/);
    await expect(engine.apiKeys.ensureAdmin('hunter2')).rejects.toThrow(/openclaw keys generate/);
    const sameId = `${key.slice(0, 21)}${'Z'.repeat(43)}`;
    await expect(engine.apiKeys.ensureAdmin(sameId)).rejects.toThrow(/another secret/);
  });
});

describe('rate limits', () => {
  it('per principal: over the limit is 429 rate_limited with Retry-After; another principal is unaffected', async () => {
    const limitedEngine = await testEngine(db, { apiRateLimit: 3 });
    const limitedApp = await buildApp({ engine: limitedEngine, logger: false });
    try {
      const get = (key: string) => limitedApp.inject({ url: '/v1/runs', headers: { authorization: `Bearer ${key}` } });
      for (let i = 0; i < 3; i++) expect((await get(keys.viewer)).statusCode).toBe(200);
      const over = await get(keys.viewer);
      expect(over.statusCode).toBe(429);
      expect(over.json().error.code).toBe('rate_limited');
      expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
      expect(over.json().error.message).toContain('OPENCLAW_API_RATE_LIMIT');
      expect((await get(keys.operator)).statusCode).toBe(200);
      // Health checks are not counted.
      expect((await limitedApp.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await limitedApp.close();
      await limitedEngine.close();
    }
  });
});
