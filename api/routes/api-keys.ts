/**
 * API keys (admin): create (the key is in the 201 only), list (never the key), revoke. An admin
 * whose own credential is limited to some namespaces creates, sees and revokes keys within those
 * namespaces only; creating a key for every namespace (`*`) takes an admin of every namespace.
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  EngineError,
  grantAllows,
  NAMESPACE_PATTERN,
  ROLES,
  type ApiKeyInfo,
  type Engine,
  type NamespaceGrant,
  type Role,
} from '../../engine/index.js';
import type { Principal } from '../auth.js';
import { errors, PageQuery } from '../schemas.js';

const Namespaces = Type.Union(
  [Type.Literal('*'), Type.Array(Type.String({ pattern: NAMESPACE_PATTERN.source }), { minItems: 1, maxItems: 100 })],
  { description: 'The namespaces the key may touch: a list, or "*" for every namespace.' },
);
const RoleSchema = Type.Unsafe<Role>({ type: 'string', enum: [...ROLES] });
const infoFields = {
  id: Type.String({ description: 'The public part of the key (`ocl_<id>_...`).' }),
  name: Type.String(),
  role: RoleSchema,
  namespaces: Namespaces,
  createdBy: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
};
const ApiKeyInfoSchema = Type.Object(infoFields);
const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{16}$', description: 'Key id (16 hex characters)' }) });

/** A principal may grant or revoke only within its own namespaces (`*` only when it holds `*`). */
function covers(holder: NamespaceGrant, wanted: NamespaceGrant): boolean {
  return wanted === '*' ? holder === '*' : wanted.every((n) => grantAllows(holder, n));
}

function requireCovers(principal: Principal, wanted: NamespaceGrant, what: string): void {
  if (!covers(principal.namespaces, wanted)) {
    throw new EngineError(
      'forbidden',
      `${what}: this credential may only manage keys within its own namespaces (${JSON.stringify(principal.namespaces)})`,
      {
        details: { field: 'namespaces' },
      },
    );
  }
}

export const apiKeyRoutes: FastifyPluginAsyncTypebox<{ engine: Engine }> = async (app, { engine }) => {
  app.post(
    '/v1/api-keys',
    {
      schema: {
        tags: ['access'],
        summary: 'Create an API key; the key is in this response only and never shown again',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            role: RoleSchema,
            namespaces: Namespaces,
            expiresAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            key: Type.String({ description: '`ocl_<id>_<secret>`: send as `Authorization: Bearer <key>`' }),
            ...infoFields,
          }),
          ...errors(400, 403),
        },
      },
    },
    async (request, reply) => {
      const principal = request.principal!;
      requireCovers(principal, request.body.namespaces, 'cannot create this key');
      const created = await engine.apiKeys.create({ ...request.body, createdBy: principal.id });
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/v1/api-keys',
    {
      schema: {
        tags: ['access'],
        summary: 'API keys, newest first (never the key itself); revoked keys are listed with revokedAt',
        querystring: Type.Object(PageQuery),
        response: {
          200: Type.Object({ items: Type.Array(ApiKeyInfoSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
          ...errors(400),
        },
      },
    },
    async (request) => {
      const page = await engine.apiKeys.list({ limit: request.query.limit, cursor: request.query.cursor });
      const mine = request.principal!.namespaces;
      // A namespace-limited admin sees the keys it could have created (a page may then be short).
      return { items: page.items.filter((k: ApiKeyInfo) => covers(mine, k.namespaces)), nextCursor: page.nextCursor };
    },
  );

  app.delete(
    '/v1/api-keys/:id',
    {
      schema: {
        tags: ['access'],
        summary: 'Revoke an API key; every server refuses it within a second',
        params: IdParams,
        response: { 204: Type.Null({ description: 'revoked' }), ...errors(400, 403, 404) },
      },
    },
    async (request, reply) => {
      const key = await engine.apiKeys.get(request.params.id);
      requireCovers(request.principal!, key.namespaces, 'cannot revoke this key');
      await engine.apiKeys.revoke(request.params.id);
      return reply.status(204).send(null);
    },
  );
};
