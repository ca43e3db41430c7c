/** Secrets: values are write-only. Responses carry names and times, never a value. */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Engine } from '../../engine/index.js';
import { scopeOf } from '../namespace.js';
import { errors, PageQuery } from '../schemas.js';

const SecretInfo = Type.Object({
  name: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
const NameParams = Type.Object({
  name: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$', description: 'Letters, digits and _, not starting with a digit.' }),
});

export const secretRoutes: FastifyPluginAsyncTypebox<{ engine: Engine }> = async (app, { engine }) => {
  app.put(
    '/v1/secrets/:name',
    {
      schema: {
        tags: ['secrets'],
        summary: 'Store a secret (201) or replace its value (200); the value is encrypted and never returned',
        description:
          'Tasks use it as `${{ secrets.NAME }}` inside their `http:`, `container:` or `wasm:` block, resolved only when the task runs.',
        params: NameParams,
        body: Type.Object({ value: Type.String({ minLength: 4, maxLength: 65_536 }) }, { additionalProperties: false }),
        response: { 200: SecretInfo, 201: SecretInfo, ...errors(400, 413, 415) },
      },
    },
    async (request, reply) => {
      const { created, secret } = await scopeOf(engine, request).putSecret(request.params.name, request.body.value);
      return reply.status(created ? 201 : 200).send(secret);
    },
  );

  app.get(
    '/v1/secrets',
    {
      schema: {
        tags: ['secrets'],
        summary: 'Secret names and times (values are write-only), by name',
        querystring: Type.Object(PageQuery),
        response: {
          200: Type.Object({ items: Type.Array(SecretInfo), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
          ...errors(400),
        },
      },
    },
    async (request) => await scopeOf(engine, request).listSecrets({ limit: request.query.limit, cursor: request.query.cursor }),
  );

  app.delete(
    '/v1/secrets/:name',
    {
      schema: {
        tags: ['secrets'],
        summary: 'Delete a secret; tasks that reference it fail with SecretNotFound',
        params: NameParams,
        response: { 204: Type.Null({ description: 'deleted' }), ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      await scopeOf(engine, request).deleteSecret(request.params.name);
      return reply.status(204).send(null);
    },
  );
};
