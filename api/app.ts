/**
 * `buildApp()`: the fastify instance with every route, its schemas, the OpenAPI document
 * (`/openapi.json`, `/docs`), one error shape, body limits, YAML and JSON bodies, and the auth
 * hook. It does not listen (tests use `inject`); server.ts does.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { EngineError, type Engine, type Logger } from '../engine/index.js';
import { installRouteRoles } from './access.js';
import { documentNamespace } from './namespace.js';
import { auditPlugin } from './audit.js';
import { authPlugin, credentialAuthenticator, type Authenticate, type TokenVerifier } from './auth.js';
import { hostOfHeader, isLoopback } from './loopback.js';
import { installErrorHandling } from './errors.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { artifactRoutes } from './routes/artifacts.js';
import { deadLetterRoutes } from './routes/dead-letters.js';
import { hookRoutes } from './routes/hooks.js';
import { metricsRoutes } from './routes/metrics.js';
import { runRoutes } from './routes/runs.js';
import { scheduleRoutes } from './routes/schedules.js';
import { secretRoutes } from './routes/secrets.js';
import { skillRoutes } from './routes/skills.js';
import { statsRoutes } from './routes/stats.js';
import { systemRoutes } from './routes/system.js';
import { workerRoutes } from './routes/workers.js';
import { workflowRoutes } from './routes/workflows.js';
import { whoamiRoutes } from './routes/whoami.js';
import { uiConfigRoutes } from './routes/ui-config.js';
import type { OidcUi } from './oidc-ui.js';
import { findUiDir, uiRoutes } from './ui.js';
import { sharedSchemas } from './schemas.js';

export interface BuildAppOptions {
  engine: Engine;
  /** Request logging: a pino logger (default: the engine's, at its level) or false. */
  logger?: Logger | false;
  /** Largest request body in bytes (default OPENCLAW_MAX_BODY_BYTES or 4 MiB). */
  bodyLimit?: number;
  /**
   * Who is calling. Default: API keys, and OIDC tokens when `oidc` is given (auth.ts).
   * `insecureLocal` (auth.ts) makes everyone the local admin: only for loopback servers.
   */
  authenticate?: Authenticate;
  /** Verifies OIDC bearer tokens (oidc.ts; from OPENCLAW_OIDC_* in the CLI). */
  oidc?: TokenVerifier;
  /** How often a followed event stream checks for new events (ms, default 250). */
  followPollMs?: number;
  /** Refuse requests whose `Host` is not a loopback name or address (set by startServer when bound to loopback). */
  loopbackHostsOnly?: boolean;
  /** The built web UI's folder (api/ui.ts; default: dist/ui when built), or false to serve no UI. */
  uiDir?: string | false;
  /** Single sign-on in the web UI (oidc-ui.ts; from OPENCLAW_OIDC_UI_* in the CLI). */
  oidcUi?: OidcUi;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The request body exactly as received, for JSON and YAML bodies (specs keep their positions). */
    rawBody?: string;
  }
}

const YAML_TYPES = ['application/yaml', 'text/yaml', 'application/x-yaml', 'text/x-yaml'];

export function defaultBodyLimit(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.OPENCLAW_MAX_BODY_BYTES;
  const n = raw ? Number(raw) : 4 * 1024 * 1024;
  if (!Number.isInteger(n) || n <= 0) throw new Error(`OPENCLAW_MAX_BODY_BYTES must be a positive integer, got ${raw}`);
  return n;
}

export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { engine } = options;
  const bodyLimit = options.bodyLimit ?? defaultBodyLimit();
  const fastifyOptions: FastifyServerOptions = {
    bodyLimit,
    // Request ids are echoed in X-Request-Id and in 500 bodies, to find the log line.
    requestIdHeader: 'x-request-id',
    // Path tricks resolve to one route or to none: no `//` merging, no trailing-slash aliases,
    // exact case (auth and routing see the same path).
    routerOptions: { ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, caseSensitive: true, maxParamLength: 500 },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true } },
  };
  if (options.logger !== false) fastifyOptions.loggerInstance = (options.logger ?? engine.log).child({ component: 'api' });
  const app = Fastify(fastifyOptions).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  if (options.loopbackHostsOnly) {
    app.addHook('onRequest', async (request) => {
      const host = hostOfHeader(request.headers.host);
      if (host === null || !isLoopback(host)) {
        throw new EngineError(
          'forbidden',
          `Host ${JSON.stringify(request.headers.host ?? '')} is not a loopback name or address: this server listens on loopback only and refuses other Host names (DNS rebinding protection)`,
          { details: { field: 'host' } },
        );
      }
    });
  }

  // JSON and YAML bodies keep their raw text (a spec's errors point at its own lines).
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  // Only JSON and YAML bodies: anything else is 415 unsupported_media_type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    request.rawBody = body as string;
    void defaultJson(request, body as string, done);
  });
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (request, body, done) => {
    request.rawBody = body as string;
    done(null, body);
  });

  installErrorHandling(app, bodyLimit);
  for (const s of sharedSchemas) app.addSchema(s);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'OpenClaw API',
        version: '1',
        description:
          'Durable workflows on PostgreSQL. Errors are `{"error": {"code", "message", "details"}}`; codes are in docs/errors.md.',
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key (`ocl_<id>_<secret>`) or a JWT from the configured OIDC issuer.',
          },
        },
      },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  installRouteRoles(app);
  documentNamespace(app);
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(authPlugin, { authenticate: options.authenticate ?? credentialAuthenticator(engine, options.oidc) });
  // Per principal, per server process, after authentication (public routes have their own limits).
  const perMinute = engine.config.apiRateLimit;
  if (perMinute > 0) {
    await app.register(rateLimit, {
      hook: 'preHandler',
      max: perMinute,
      timeWindow: 60_000,
      allowList: (request) => request.routeOptions.config.public === true,
      keyGenerator: (request) => request.principal?.id ?? `ip:${request.ip}`,
      errorResponseBuilder: (request, context) =>
        new EngineError(
          'rate_limited',
          `${request.principal?.id ?? 'this client'} is over ${context.max} requests a minute on this server; retry after ${context.after} ` +
            '(raise OPENCLAW_API_RATE_LIMIT to allow more)',
          { details: { limit: context.max, retryAfterSeconds: Math.ceil(context.ttl / 1000) } },
        ),
    });
  }

  // Before the routes: its onResponse hook must apply to every one of them (api/audit.ts).
  await app.register(auditPlugin, { engine });
  app.get('/openapi.json', { schema: { hide: true }, config: { public: true } }, () => app.swagger());
  await app.register(systemRoutes, { engine });
  await app.register(metricsRoutes, { engine });
  await app.register(workflowRoutes, { engine, yamlTypes: YAML_TYPES });
  await app.register(runRoutes, { engine, followPollMs: options.followPollMs ?? 250 });
  await app.register(artifactRoutes, { engine });
  await app.register(deadLetterRoutes, { engine });
  await app.register(scheduleRoutes, { engine });
  await app.register(secretRoutes, { engine });
  await app.register(skillRoutes, { engine });
  await app.register(apiKeyRoutes, { engine });
  await app.register(workerRoutes, { engine });
  await app.register(statsRoutes, { engine });
  await app.register(whoamiRoutes);
  await app.register(uiConfigRoutes, { oidcUi: options.oidcUi });
  // The web UI: public static files at / and its paths, hidden from the OpenAPI document (api/ui.ts).
  if (options.uiDir !== false) await app.register(uiRoutes, { dir: options.uiDir ?? findUiDir(), oidcUi: options.oidcUi });
  // Its own scope: raw-body parsing for every content type and its own body limit (routes/hooks.ts).
  await app.register(hookRoutes, { engine });
  await app.ready();
  return app;
}
