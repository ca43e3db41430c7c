/** Dead letters: steps that ran out of attempts, and their replay. */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Engine } from '../../engine/index.js';
import { scopeOf } from '../namespace.js';
import { errors, PageQuery, ref } from '../schemas.js';

export const deadLetterRoutes: FastifyPluginAsyncTypebox<{ engine: Engine }> = async (app, { engine }) => {
  app.get(
    '/v1/dead-letters',
    {
      schema: {
        tags: ['dead letters'],
        summary: 'Dead-lettered steps with their last error, newest first',
        querystring: Type.Object({
          ...PageQuery,
          workflow: Type.Optional(Type.String({ maxLength: 200 })),
          runId: Type.Optional(Type.String({ format: 'uuid', description: 'Only the dead letters of this run.' })),
        }),
        response: { 200: ref('DeadLetterPage'), ...errors(400) },
      },
    },
    (request) => scopeOf(engine, request).queries.listDeadLetters(request.query),
  );

  app.post(
    '/v1/dead-letters/:id/replay',
    {
      schema: {
        tags: ['dead letters'],
        summary: 'Queue the step again with a fresh attempt budget',
        params: Type.Object({ id: Type.String({ format: 'uuid', description: 'Dead letter id' }) }),
        response: {
          202: Type.Object({ runId: Type.String({ format: 'uuid' }), deadLetterId: Type.String() }),
          ...errors(400, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const { runId } = await scopeOf(engine, request).replayDeadLetter(request.params.id);
      return reply.status(202).send({ runId, deadLetterId: request.params.id });
    },
  );
};
