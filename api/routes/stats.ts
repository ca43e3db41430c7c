/**
 * `GET /v1/stats` (viewer): per namespace, the queue depth (steps ready or retrying and due now),
 * how long the oldest of them has waited, running steps and active runs by status — for every
 * namespace the credential may see: with `*`, each namespace that has an active run; with a list,
 * each listed namespace (zeros included). The request's own namespace does not narrow it. One
 * bounded statement (engine/fleet/stats.ts; its cost: docs/operations.md, "The worker fleet").
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Engine } from '../../engine/index.js';
import { errors } from '../schemas.js';

const count = (description: string) => Type.Integer({ minimum: 0, description });

const NamespaceStats = Type.Object({
  namespace: Type.String(),
  queueDepth: count('Steps ready or retrying whose due time has passed: what workers could claim now.'),
  oldestReadySeconds: Type.Union([Type.Number(), Type.Null()], {
    description: 'Seconds the oldest due step has waited (database clock); null when none is due.',
  }),
  runningSteps: count('Steps leased by a worker.'),
  activeRuns: Type.Object({ queued: count('Queued runs'), running: count('Running runs'), waiting: count('Waiting runs') }),
});

export const statsRoutes: FastifyPluginAsyncTypebox<{ engine: Engine }> = async (app, { engine }) => {
  app.get(
    '/v1/stats',
    {
      schema: {
        tags: ['workers'],
        summary: 'Queue depth, oldest due step, running steps and active runs, per namespace',
        description:
          'Every namespace the credential may see: with access to all, each namespace that has an active run; otherwise each of its ' +
          'namespaces. One bounded query: each part reads at most `scanLimit` rows; `truncated` says the counts are lower bounds.',
        response: {
          200: Type.Object({
            at: Type.String({ format: 'date-time', description: 'The database time the figures are for.' }),
            namespaces: Type.Array(NamespaceStats),
            truncated: Type.Boolean(),
            scanLimit: Type.Integer(),
          }),
          ...errors(400),
        },
      },
    },
    (request) => engine.queueStats(request.principal?.namespaces ?? [request.namespace]),
  );
};
