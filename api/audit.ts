/**
 * The audit log's API side (docs/security.md, "Audit log"):
 *
 * - an `onResponse` hook on the root instance (hence fastify-plugin) that records every mutating
 *   request (POST, PUT, PATCH, DELETE), whatever its status, and every refused one (401, 403,
 *   429), whatever its method and path (unknown paths too). It runs after the response is sent and
 *   only hands the row to `engine.audit.record()`, which queues it for a batched insert: the
 *   request never waits on the audit log. Recorded: time, principal (key id or token subject), its
 *   kind and role, the namespace, method, route template, the route's path parameters, status,
 *   client address and request id. Never a body, a query string, a header value or a credential.
 * - `GET /v1/audit` (admin): newest first, filters and cursor. An admin whose credential is limited
 *   to some namespaces sees only their rows.
 *
 * There is no route that edits or deletes rows; retention deletes old ones (engine/audit/).
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { DEFAULT_NAMESPACE, NAMESPACE_PATTERN, type Engine } from '../engine/index.js';
import { NAMESPACE_HEADER } from './auth.js';
import { errors, PageQuery } from './schemas.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const REFUSED = new Set([401, 403, 429]);
/** Longest raw path kept for a request that matched no route. */
const RAW_PATH_MAX = 200;
/** What an unauthenticated caller of a public route is, by route (default `anonymous`). */
const PUBLIC_KINDS: Readonly<Record<string, string>> = { '/v1/hooks/{workflow}/{hook}': 'webhook' };

/** POST routes that change nothing (a check): audited only when refused, like reads. */
const READ_ONLY_POSTS = new Set(['/v1/workflows/validate']);

/** Whether a response is audited: mutating methods always (but read-only POSTs), refusals on any method and path. */
export function audited(method: string, status: number, route?: string): boolean {
  if (REFUSED.has(status)) return true;
  return MUTATING.has(method) && !(method === 'POST' && route !== undefined && READ_ONLY_POSTS.has(route));
}

/** `/v1/runs/:id/cancel` -> `/v1/runs/{id}/cancel` (the form of the OpenAPI document and docs/api.md). */
const template = (url: string): string => url.replace(/:(\w+)/g, '{$1}');

/**
 * The namespace the request named: the header, else the query parameter, else `default`; null when
 * it named an invalid one or two different ones. The same as `request.namespace` whenever auth.ts
 * resolved it, and also known for requests refused before that (401).
 */
function namedNamespace(request: FastifyRequest): string | null {
  const header = request.headers[NAMESPACE_HEADER];
  const query = (request.query as Record<string, unknown> | undefined)?.namespace;
  const h = Array.isArray(header) ? header[0] : header;
  const q = Array.isArray(query) ? (query[0] as unknown) : query;
  if (h !== undefined && q !== undefined && h !== q) return null;
  const ns = h ?? q ?? DEFAULT_NAMESPACE;
  return typeof ns === 'string' && NAMESPACE_PATTERN.test(ns) ? ns : null;
}

function recordResponse(engine: Engine, request: FastifyRequest, reply: FastifyReply): void {
  const status = reply.statusCode;
  const url = request.routeOptions.url;
  const route = url ? template(url) : request.url.split('?', 1)[0]!.slice(0, RAW_PATH_MAX);
  if (!audited(request.method, status, url ? route : undefined)) return;
  const principal = request.principal;
  engine.audit.record({
    principal: principal?.id ?? null,
    principalKind: principal?.kind ?? (request.routeOptions.config.public === true ? (PUBLIC_KINDS[route] ?? 'anonymous') : 'anonymous'),
    role: principal?.role ?? null,
    namespace: namedNamespace(request),
    method: request.method,
    route,
    ids: url ? ((request.params as Record<string, unknown> | undefined) ?? {}) : {},
    status,
    clientAddress: request.ip ?? null,
    requestId: request.id,
  });
}

const AuditRecordSchema = Type.Object({
  id: Type.String({ description: 'Increasing integer, as a string.' }),
  at: Type.String({ format: 'date-time', description: 'When the API answered.' }),
  principal: Type.Union([Type.String(), Type.Null()], {
    description: 'API key id, OIDC subject (`oidc:<sub>`) or `local`; null when unauthenticated.',
  }),
  principalKind: Type.Union([Type.String(), Type.Null()], { description: '`api_key`, `oidc`, `local`, `webhook` or `anonymous`.' }),
  role: Type.Union([Type.String(), Type.Null()]),
  namespace: Type.Union([Type.String(), Type.Null()], {
    description: 'The namespace the request named; null when it named an invalid one.',
  }),
  method: Type.String(),
  route: Type.String({ description: 'The route template (`/v1/runs/{id}/cancel`), or the path (no query string) when no route matched.' }),
  ids: Type.Record(Type.String(), Type.String(), { description: 'The route’s path parameters, e.g. `{"id": "..."}`.' }),
  status: Type.Integer(),
  clientAddress: Type.Union([Type.String(), Type.Null()]),
  requestId: Type.Union([Type.String(), Type.Null()], { description: 'The X-Request-Id of the response.' }),
});

const AuditQuery = Type.Object({
  ...PageQuery,
  principal: Type.Optional(Type.String({ maxLength: 200, description: 'Only this principal (API key id, `oidc:<sub>`, `local`).' })),
  inNamespace: Type.Optional(
    Type.String({
      pattern: NAMESPACE_PATTERN.source,
      description: 'Only rows of this namespace (`namespace` itself names the request’s own).',
    }),
  ),
  method: Type.Optional(Type.String({ maxLength: 16, description: 'Only this HTTP method (POST, PUT, PATCH, DELETE, GET...).' })),
  status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599, description: 'Only this response status.' })),
  route: Type.Optional(Type.String({ maxLength: 200, description: 'Only this route template, e.g. `/v1/runs/{id}/cancel`.' })),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'Rows at or after this time.' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'Rows before this time.' })),
});

const auditRoutes: FastifyPluginAsyncTypebox<{ engine: Engine }> = async (app, { engine }) => {
  app.addHook('onResponse', (request, reply, done) => {
    recordResponse(engine, request, reply);
    done();
  });

  app.get(
    '/v1/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'The audit log (admin): mutating and refused requests, newest first',
        description:
          'Every POST, PUT, PATCH and DELETE, and every 401, 403 and 429, is appended after its response. Never a body or a secret. ' +
          'An admin whose credential is limited to some namespaces sees only their rows. Rows cannot be edited or deleted; ' +
          'rows older than OPENCLAW_AUDIT_RETENTION_DAYS (default 90) are removed.',
        querystring: AuditQuery,
        response: {
          200: Type.Object({ items: Type.Array(AuditRecordSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
          ...errors(400),
        },
      },
    },
    async (request) => {
      const q = request.query;
      return await engine.audit.list({
        limit: q.limit,
        cursor: q.cursor,
        principal: q.principal,
        namespace: q.inNamespace,
        namespaces: request.principal?.namespaces ?? [],
        method: q.method,
        status: q.status,
        route: q.route,
        since: q.since,
        until: q.until,
      });
    },
  );
};

/** The audit hook and `GET /v1/audit`; registered on the root instance so the hook sees every request. */
export const auditPlugin = fp(auditRoutes, { name: 'openclaw-audit' });
