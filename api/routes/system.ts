/** Health, readiness and the published spec schema. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { workflowSchema, type Engine } from '../../engine/index.js';

export const systemRoutes: FastifyPluginAsyncTypebox<{ engine: Engine }> = async (app, { engine }) => {
  app.get(
    '/healthz',
    {
      config: { public: true },
      schema: {
        tags: ['system'],
        summary: 'The process is alive',
        response: { 200: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } } },
      },
    },
    () => ({ status: 'ok' as const }),
  );

  const readiness = {
    type: 'object',
    required: ['status', 'checks'],
    properties: {
      status: { type: 'string', enum: ['ready', 'unavailable'] },
      checks: {
        type: 'object',
        properties: {
          database: { type: 'boolean', description: 'PostgreSQL answered' },
          schema: { type: 'boolean', description: 'the schema is migrated to exactly this version' },
        },
      },
    },
  } as const;

  app.get(
    '/readyz',
    {
      config: { public: true },
      schema: {
        tags: ['system'],
        summary: 'The database is reachable and its schema is current',
        response: { 200: readiness, 503: readiness },
      },
    },
    async (_request, reply) => {
      const { database, schema } = await engine.readiness();
      const ok = database && schema;
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'unavailable', checks: { database, schema } });
    },
  );

  app.get(
    '/v1/schema/workflow.json',
    {
      schema: {
        tags: ['workflows'],
        summary: 'The JSON Schema of workflow specs',
        response: { 200: { type: 'object', additionalProperties: true } },
      },
    },
    () => workflowSchema,
  );
};
