/**
 * `GET /metrics`: this server process's Prometheus metrics (docs/operations.md, "Metrics"). Reading
 * them costs no database query: counters live in memory and the database gauges are sampled by the
 * scheduler leader (engine/scheduler/gauge-sampler.ts), not per scrape.
 *
 * Access: a viewer credential of every namespace (the series name every namespace and workflow),
 * or none at all with `OPENCLAW_METRICS_PUBLIC=1` (the route is then public, like /healthz; for a
 * Prometheus on a private network that holds no key). The route × role table of docs/security.md
 * lists it as viewer, with that override noted under it.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { EngineError, type Engine } from '../../engine/index.js';
import { errors } from '../schemas.js';

export const metricsRoutes: FastifyPluginAsyncTypebox<{ engine: Engine }> = async (app, { engine }) => {
  const open = engine.config.metricsPublic;
  app.get(
    '/metrics',
    {
      config: { public: open },
      schema: {
        tags: ['system'],
        summary: "This server process's metrics, in the Prometheus text format",
        description:
          'Counters of what this process committed (runs started and finished, step attempts, dead letters, lease expirations, ' +
          'cron ticks, webhook deliveries), histograms, process and pool metrics, and — from the scheduler leader only — gauges ' +
          'sampled from the database. Needs a viewer credential of every namespace (`namespaces: "*"`); none when the server ' +
          'runs with OPENCLAW_METRICS_PUBLIC=1. No database query per scrape. See docs/operations.md ("Metrics").',
        response: {
          200: { description: 'Prometheus text exposition (version 0.0.4)', content: { 'text/plain': { schema: { type: 'string' } } } },
          ...errors(401, 403),
        },
      },
    },
    async (request, reply) => {
      if (!open && request.principal?.namespaces !== '*') {
        throw new EngineError(
          'forbidden',
          'metrics cover every namespace: they need a credential for every namespace (namespaces "*"), or OPENCLAW_METRICS_PUBLIC=1 on the server',
          { details: { namespace: request.namespace } },
        );
      }
      return reply.type(engine.metrics.contentType).send(await engine.metrics.text());
    },
  );
};
