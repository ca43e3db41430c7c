/**
 * Webhooks: `POST /v1/hooks/{workflow}/{hook}`. Public (no API key) because the request is
 * authenticated by its HMAC signature over the raw body instead (engine/triggers/signature.ts).
 *
 * This plugin is encapsulated (registered without fastify-plugin): the content-type parsers and the
 * error handler below apply to this route only. Every content type — JSON, text, forms, anything,
 * or none — is read as the raw bytes, because the signature is over exactly those bytes: a body
 * parsed and re-serialised would not verify. Decoding for `input` expressions happens in the
 * engine, after the signature is checked. The body limit is its own (OPENCLAW_MAX_WEBHOOK_BYTES).
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import rateLimit from '@fastify/rate-limit';
import { EngineError, type Engine } from '../../engine/index.js';
import { errorHandler } from '../errors.js';
import { scopeOf } from '../namespace.js';
import { errors } from '../schemas.js';

const Accepted = Type.Object({
  runId: Type.String({ format: 'uuid', description: 'The run this delivery started (or, for a repeated delivery id, started before).' }),
  deliveryId: Type.Union([Type.String(), Type.Null()], {
    description: 'X-OpenClaw-Delivery (or X-GitHub-Delivery); null when none was sent.',
  }),
  duplicate: Type.Boolean({ description: 'true when this delivery id was already accepted: no new run was started.' }),
});

export const hookRoutes: FastifyPluginAsyncTypebox<{ engine: Engine }> = async (app, { engine }) => {
  const bodyLimit = engine.config.maxWebhookBytes;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));

  app.setErrorHandler(
    errorHandler({
      bytes: bodyLimit,
      message: `webhook body is larger than ${bodyLimit} bytes; raise OPENCLAW_MAX_WEBHOOK_BYTES to allow more`,
    }),
  );

  // Per hook (of a namespace), per server process: anyone who can reach a hook can post to it, signed or not.
  const perMinute = engine.config.webhookRateLimit;
  if (perMinute > 0) {
    await app.register(rateLimit, {
      global: false,
      max: perMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => {
        const { workflow, hook } = request.params as { workflow?: string; hook?: string };
        return `${request.namespace}/${workflow ?? ''}/${hook ?? ''}`;
      },
      errorResponseBuilder: (request, context) => {
        engine.metrics.webhookRateLimited();
        const { workflow, hook } = request.params as { workflow?: string; hook?: string };
        return new EngineError(
          'rate_limited',
          `hook ${workflow ?? '?'}/${hook ?? '?'} is over ${context.max} deliveries a minute on this server; retry after ${context.after} ` +
            '(raise OPENCLAW_WEBHOOK_RATE_LIMIT to allow more)',
          { details: { limit: context.max, retryAfterSeconds: Math.ceil(context.ttl / 1000) } },
        );
      },
    });
  }

  app.post(
    '/v1/hooks/:workflow/:hook',
    {
      config: { public: true, ...(perMinute > 0 ? { rateLimit: {} } : {}) },
      bodyLimit,
      schema: {
        tags: ['webhooks'],
        summary: 'Deliver a webhook: verify its signature, then start the workflow (202), at most once per delivery id',
        description:
          'No API key: the request is authenticated by `X-OpenClaw-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` ' +
          'with the hook’s secret (timestamps more than OPENCLAW_WEBHOOK_TOLERANCE_SECONDS, default 300, from the server clock are refused), ' +
          'or GitHub’s `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`. Any content type; the body is signed as sent ' +
          '(at most OPENCLAW_MAX_WEBHOOK_BYTES, default 1 MiB). `X-OpenClaw-Delivery` (or `X-GitHub-Delivery`) makes retries safe: ' +
          'a delivery id starts at most one run, and a repeat answers 202 with that run and `duplicate: true`. ' +
          'The `namespace` query parameter (default `default`) picks the namespace: the workflow, the hook’s secret and the run are ' +
          'that namespace’s. See docs/webhooks.md.',
        params: Type.Object({
          workflow: Type.String({ minLength: 1, maxLength: 200 }),
          hook: Type.String({ minLength: 1, maxLength: 63, description: 'The `webhook.name` of one of the workflow’s triggers.' }),
        }),
        headers: Type.Object({
          'x-openclaw-signature': Type.Optional(Type.String({ description: 't=<unix seconds>,v1=<hex hmac-sha256 of "<t>.<body>">' })),
          'x-openclaw-delivery': Type.Optional(Type.String({ description: 'Delivery id: 1 to 200 visible ASCII characters.' })),
          'x-hub-signature-256': Type.Optional(Type.String({ description: 'GitHub: sha256=<hex hmac-sha256 of the body>' })),
          'x-github-delivery': Type.Optional(Type.String({ description: 'GitHub’s delivery id.' })),
        }),
        response: { 202: Accepted, ...errors(400, 401, 404, 409, 413, 429, 503) },
      },
    },
    async (request, reply) => {
      const raw: unknown = request.body;
      const body = Buffer.isBuffer(raw) ? raw : Buffer.alloc(0);
      const delivery = await scopeOf(engine, request).deliverWebhook({
        workflow: request.params.workflow,
        hook: request.params.hook,
        body,
        headers: request.headers,
        query: request.query as Record<string, unknown>,
      });
      return reply.status(202).send(delivery);
    },
  );
};
