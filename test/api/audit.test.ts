/**
 * The audit log (docs/security.md, "Audit log"): what is recorded for mutating and refused
 * requests (and what never is: bodies, query strings, credentials, successful reads), GET /v1/audit
 * (admin only, filters, cursor, namespace-limited admins), no route that edits or deletes rows, and
 * `openclaw audit` (retention: test/integration/audit-retention.test.ts). Principals come from a
 * test authenticator chosen by a header, so roles and namespaces are exercised without API keys.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../api/auth.js';
import { generateMasterKey } from '../../engine/index.js';
import { useApi, yamlHeaders } from '../helpers/api.js';
import { runCli } from '../helpers/cli.js';
import { query, waitFor } from '../helpers/engine.js';

const PRINCIPALS: Record<string, Principal> = {
  admin: { id: 'key-admin', kind: 'api_key', role: 'admin', namespaces: '*' },
  operator: { id: 'key-operator', kind: 'api_key', role: 'operator', namespaces: '*' },
  viewer: { id: 'key-viewer', kind: 'api_key', role: 'viewer', namespaces: '*' },
  'admin-a': { id: 'key-admin-a', kind: 'api_key', role: 'admin', namespaces: ['team-a'] },
};
const as = (who: keyof typeof PRINCIPALS) => ({ 'x-test-as': who });
/** `X-Test-As: <who>`, or `Authorization: Bearer test-<who>` (what the CLI sends from OPENCLAW_API_KEY). */
const authenticate = (request: FastifyRequest): Principal | null => {
  const who = request.headers['x-test-as'] ?? /^Bearer test-(\S+)$/.exec(request.headers.authorization ?? '')?.[1];
  return typeof who === 'string' ? (PRINCIPALS[who] ?? null) : null;
};

const t = useApi('audit', { config: { secretKey: generateMasterKey(), webhookRateLimit: 2 }, app: { authenticate } });

interface Row {
  id: string;
  at: Date;
  principal: string | null;
  principal_kind: string | null;
  role: string | null;
  namespace: string | null;
  method: string;
  route: string;
  ids: Record<string, string>;
  status: number;
  client_address: string | null;
  request_id: string | null;
}

const rowsOf = (requestId: string) => query<Row>(t.engine, 'SELECT * FROM openclaw.audit_log WHERE request_id = $1', [requestId]);

/** The audit rows of a response, once written (the hook runs after the response; rows are batched). */
async function rowOf(res: { headers: Record<string, unknown> }): Promise<Row> {
  const requestId = String(res.headers['x-request-id']);
  const [row] = await waitFor(async () => {
    await t.engine.audit.flush();
    const rows = await rowsOf(requestId);
    return rows.length > 0 ? rows : null;
  });
  await t.engine.audit.flush();
  expect(await rowsOf(requestId)).toHaveLength(1);
  return row!;
}

/**
 * A mutating request whose row is waited for: rows are written in the order they were recorded,
 * so once it is there, every request answered before it that was going to be recorded is too.
 */
async function marker(): Promise<void> {
  await rowOf(await t.call({ method: 'DELETE', url: `/v1/runs-marker-${randomUUID()}`, headers: as('admin') }));
}

const SPEC = `name: audited\nsteps:\n  a: { run: echo, with: { n: 1 } }\n`;

describe('what is recorded', () => {
  it('a mutating request appends exactly one row: principal, role, namespace, method, route template, ids, status, request id', async () => {
    expect(
      (await t.call({ method: 'POST', url: '/v1/workflows', headers: { ...yamlHeaders, ...as('operator') }, payload: SPEC })).status,
    ).toBe(201);
    const res = await t.call({
      method: 'POST',
      url: '/v1/workflows/audited/runs',
      headers: as('operator'),
      payload: { input: { secret: 'x' } },
    });
    expect(res.status).toBe(201);
    const row = await rowOf(res);
    expect(row).toMatchObject({
      principal: 'key-operator',
      principal_kind: 'api_key',
      role: 'operator',
      namespace: 'default',
      method: 'POST',
      route: '/v1/workflows/{name}/runs',
      ids: { name: 'audited' },
      status: 201,
      client_address: '127.0.0.1',
      request_id: res.headers['x-request-id'],
    });
    expect(Date.now() - row.at.getTime()).toBeLessThan(60_000);

    const cancel = await t.call({ method: 'POST', url: `/v1/runs/${res.body.id}/cancel`, headers: as('operator') });
    expect(await rowOf(cancel)).toMatchObject({ route: '/v1/runs/{id}/cancel', ids: { id: res.body.id }, status: cancel.status });
  });

  it('401s are recorded, on known and unknown paths, without the query string or the credential', async () => {
    const known = await t.call({ method: 'GET', url: '/v1/runs?cursor=abc', headers: { authorization: 'Bearer not-a-key-canary' } });
    expect(known.status).toBe(401);
    expect(await rowOf(known)).toMatchObject({
      principal: null,
      principal_kind: 'anonymous',
      role: null,
      namespace: 'default',
      method: 'GET',
      route: '/v1/runs',
      ids: {},
      status: 401,
    });
    const unknown = await t.call({
      method: 'GET',
      url: '/v1/nowhere/at/all?token=canary-in-query',
      headers: { 'x-openclaw-namespace': 'team-b' },
    });
    expect(unknown.status).toBe(401);
    const row = await rowOf(unknown);
    expect(row).toMatchObject({ route: '/v1/nowhere/at/all', namespace: 'team-b', status: 401, ids: {} });
    expect(JSON.stringify([await rowsOf(String(known.headers['x-request-id'])), row])).not.toContain('canary');
  });

  it('403s are recorded with the principal and role that were refused', async () => {
    const res = await t.call({ method: 'POST', url: '/v1/workflows', headers: { ...yamlHeaders, ...as('viewer') }, payload: SPEC });
    expect(res.status).toBe(403);
    expect(await rowOf(res)).toMatchObject({
      principal: 'key-viewer',
      role: 'viewer',
      method: 'POST',
      route: '/v1/workflows',
      status: 403,
    });
    const read = await t.call({ url: '/v1/audit', headers: as('viewer') });
    expect(read.status).toBe(403);
    expect(await rowOf(read)).toMatchObject({ principal: 'key-viewer', method: 'GET', route: '/v1/audit', status: 403 });
  });

  it('webhook deliveries are recorded as the webhook principal kind, and a 429 is recorded', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await t.call({
        method: 'POST',
        url: '/v1/hooks/audited/nohook',
        headers: { 'content-type': 'application/json' },
        payload: '{}',
      });
      statuses.push(res.status);
      expect(await rowOf(res)).toMatchObject({
        principal: null,
        principal_kind: 'webhook',
        route: '/v1/hooks/{workflow}/{hook}',
        ids: { workflow: 'audited', hook: 'nohook' },
        status: res.status,
      });
    }
    expect(statuses[2]).toBe(429);
  });

  it('a secret value in the body never reaches the audit log', async () => {
    const canary = `canary-${randomUUID()}`;
    const res = await t.call({ method: 'PUT', url: '/v1/secrets/AUDIT_CANARY', headers: as('operator'), payload: { value: canary } });
    expect(res.status).toBe(201);
    const row = await rowOf(res);
    expect(row).toMatchObject({ method: 'PUT', route: '/v1/secrets/{name}', ids: { name: 'AUDIT_CANARY' }, status: 201 });
    const dump = await query<{ t: string }>(t.engine, 'SELECT string_agg(a::text, chr(10)) AS t FROM openclaw.audit_log a');
    expect(dump[0]!.t).not.toContain(canary);
    const listed = await t.call({ url: '/v1/audit?limit=500', headers: as('admin') });
    expect(listed.text).not.toContain(canary);
  });

  it('successful reads are not recorded', async () => {
    const read = await t.call({ url: '/v1/workflows', headers: as('viewer') });
    expect(read.status).toBe(200);
    const notFound = await t.call({ url: `/v1/runs/${randomUUID()}`, headers: as('viewer') });
    expect(notFound.status).toBe(404);
    await marker();
    expect(await rowsOf(String(read.headers['x-request-id']))).toEqual([]);
    expect(await rowsOf(String(notFound.headers['x-request-id']))).toEqual([]);
  });
});

describe('GET /v1/audit', () => {
  const principal = `key-${randomUUID().slice(0, 8)}`;
  const base = Date.parse('2030-01-01T00:00:00Z');
  const seed = async () => {
    for (let i = 0; i < 7; i++) {
      t.engine.audit.record({
        at: new Date(base + i * 1000),
        principal,
        principalKind: 'api_key',
        role: 'operator',
        namespace: i < 4 ? 'team-a' : 'team-b',
        method: i % 2 === 0 ? 'POST' : 'DELETE',
        route: i % 2 === 0 ? '/v1/runs/{id}/cancel' : '/v1/secrets/{name}',
        ids: i % 2 === 0 ? { id: `run-${i}` } : { name: `S${i}` },
        status: i === 6 ? 403 : 202,
        clientAddress: '10.0.0.1',
        requestId: `req-${i}`,
      });
    }
    await t.engine.audit.flush();
  };

  it('lists newest first with camelCase fields, filters, and pages with a cursor', async () => {
    await seed();
    const list = async (qs: string, who: keyof typeof PRINCIPALS = 'admin', headers: Record<string, string> = {}) => {
      const res = await t.call({ url: `/v1/audit?principal=${principal}&${qs}`, headers: { ...as(who), ...headers } });
      expect(res.status, res.text).toBe(200);
      return res.body as { items: Array<Record<string, unknown>>; nextCursor: string | null };
    };
    const all = await list('');
    expect(all.items.map((r) => r.requestId)).toEqual(['req-6', 'req-5', 'req-4', 'req-3', 'req-2', 'req-1', 'req-0']);
    expect(all.items[0]).toEqual({
      id: expect.any(String),
      at: '2030-01-01T00:00:06.000Z',
      principal,
      principalKind: 'api_key',
      role: 'operator',
      namespace: 'team-b',
      method: 'POST',
      route: '/v1/runs/{id}/cancel',
      ids: { id: 'run-6' },
      status: 403,
      clientAddress: '10.0.0.1',
      requestId: 'req-6',
    });
    expect((await list('method=delete')).items.map((r) => r.requestId)).toEqual(['req-5', 'req-3', 'req-1']);
    expect((await list('status=403')).items.map((r) => r.requestId)).toEqual(['req-6']);
    expect((await list('route=/v1/secrets/{name}&inNamespace=team-a')).items.map((r) => r.requestId)).toEqual(['req-3', 'req-1']);
    expect((await list('since=2030-01-01T00:00:02Z&until=2030-01-01T00:00:04Z')).items.map((r) => r.requestId)).toEqual(['req-3', 'req-2']);

    const seen: unknown[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<Record<string, unknown>>; nextCursor: string | null } = await list(
        `limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((r) => r.requestId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.items.map((r) => r.requestId));

    // An admin limited to team-a sees only team-a's rows, whatever it asks for.
    const limited = await list('', 'admin-a', { 'x-openclaw-namespace': 'team-a' });
    expect(limited.items.map((r) => r.requestId)).toEqual(['req-3', 'req-2', 'req-1', 'req-0']);
    expect((await list('inNamespace=team-b', 'admin-a', { 'x-openclaw-namespace': 'team-a' })).items).toEqual([]);

    const bad = await t.call({ url: '/v1/audit?cursor=nonsense', headers: as('admin') });
    expect(bad.status).toBe(400);
  });

  it('openclaw audit: the table, filters, --json and paging (the built CLI against a listening server)', async () => {
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const cli = (who: string, ...args: string[]) => runCli([...args, '--url', url], { env: { OPENCLAW_API_KEY: `test-${who}` } });
    const text = await cli('admin', 'audit', '--principal', principal, '--method', 'delete', '--limit', '2');
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^TIME +STATUS +METHOD +ROUTE +IDS +PRINCIPAL +ROLE +NAMESPACE +CLIENT$/);
    expect(lines[1]).toMatch(
      /^2030-01-01 00:00:05Z +202 +DELETE +\/v1\/secrets\/\{name\} +name=S5 +key-\S+ +operator +team-b +10\.0\.0\.1$/,
    );
    expect(lines[2]).toContain('name=S3');
    expect(lines[3]).toMatch(/^next page: openclaw audit --cursor \S+$/);
    const next = await cli(
      'admin',
      'audit',
      '--principal',
      principal,
      '--method',
      'DELETE',
      '--limit',
      '2',
      '--json',
      '--cursor',
      lines[3]!.split(' ').pop()!,
    );
    expect(JSON.parse(next.stdout)).toMatchObject({ items: [{ requestId: 'req-1' }], nextCursor: null });
    const filtered = await cli(
      'admin',
      'audit',
      '--principal',
      principal,
      '--in-namespace',
      'team-a',
      '--status',
      '202',
      '--since',
      '2030-01-01T00:00:01Z',
      '--json',
    );
    expect(JSON.parse(filtered.stdout).items.map((r: { requestId: string }) => r.requestId)).toEqual(['req-3', 'req-2', 'req-1']);
    const refused = await cli('viewer', 'audit');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('forbidden');
  });

  it('is admin only', async () => {
    for (const who of ['viewer', 'operator'] as const) expect((await t.call({ url: '/v1/audit', headers: as(who) })).status).toBe(403);
    expect((await t.call({ url: '/v1/audit' })).status).toBe(401);
  });

  it('has no route that edits or deletes rows', async () => {
    for (const method of ['DELETE', 'PUT', 'PATCH', 'POST'] as const) {
      for (const url of ['/v1/audit', '/v1/audit/1']) {
        const res = await t.call({ method, url, headers: as('admin'), ...(method === 'DELETE' ? {} : { payload: {} }) });
        expect(res.status, `${method} ${url}`).toBe(404);
      }
    }
    const paths = Object.keys((t.app.swagger() as { paths: Record<string, Record<string, unknown>> }).paths).filter((p) =>
      p.startsWith('/v1/audit'),
    );
    expect(paths).toEqual(['/v1/audit']);
    expect(Object.keys((t.app.swagger() as { paths: Record<string, Record<string, unknown>> }).paths['/v1/audit']!)).toEqual(['get']);
  });
});
