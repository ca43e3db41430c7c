/**
 * The route × role table: the least role each route needs (docs/security.md shows the same table,
 * and test/api/access.test.ts checks both against what every route does for every role). Every
 * non-public route must be listed: the server refuses to start with a route missing here, so a new
 * route cannot ship without a decision.
 *
 * viewer reads; operator also starts, cancels, retries and signals runs, replays dead letters,
 * pauses schedules, registers and archives workflows, and writes secrets and skills; admin also
 * manages API keys, reads the audit log and purges runs.
 */
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import type { Role } from '../engine/index.js';

export const ROUTE_ROLES: Readonly<Record<string, Role>> = {
  'GET /v1/schema/workflow.json': 'viewer',
  'GET /metrics': 'viewer',
  'POST /v1/workflows': 'operator',
  'POST /v1/workflows/validate': 'viewer',
  'GET /v1/workflows': 'viewer',
  'GET /v1/workflows/{name}': 'viewer',
  'DELETE /v1/workflows/{name}': 'operator',
  'GET /v1/workflows/{name}/versions/{version}': 'viewer',
  'POST /v1/workflows/{name}/runs': 'operator',
  'GET /v1/runs': 'viewer',
  'GET /v1/runs/{id}': 'viewer',
  'GET /v1/runs/{id}/events': 'viewer',
  'GET /v1/runs/{id}/steps/{key}/logs': 'viewer',
  'GET /v1/runs/{id}/artifacts': 'viewer',
  'GET /v1/artifacts/{id}': 'viewer',
  'POST /v1/runs/{id}/cancel': 'operator',
  'POST /v1/runs/{id}/retry': 'operator',
  'POST /v1/runs/{id}/signals/{name}': 'operator',
  'POST /v1/runs/purge': 'admin',
  'GET /v1/dead-letters': 'viewer',
  'POST /v1/dead-letters/{id}/replay': 'operator',
  'GET /v1/schedules': 'viewer',
  'GET /v1/schedules/{id}': 'viewer',
  'POST /v1/schedules/{id}/pause': 'operator',
  'POST /v1/schedules/{id}/resume': 'operator',
  'PUT /v1/secrets/{name}': 'operator',
  'DELETE /v1/secrets/{name}': 'operator',
  'GET /v1/secrets': 'viewer',
  'POST /v1/skills': 'operator',
  'GET /v1/skills': 'viewer',
  'POST /v1/api-keys': 'admin',
  'GET /v1/api-keys': 'admin',
  'DELETE /v1/api-keys/{id}': 'admin',
  'GET /v1/audit': 'admin',
  'GET /v1/workers': 'viewer',
  'GET /v1/stats': 'viewer',
  'GET /v1/whoami': 'viewer',
};

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least role this route needs (set from ROUTE_ROLES when the route is added). */
    role?: Role;
  }
}

/** fastify writes `/v1/runs/:id`; the table and the OpenAPI document write `/v1/runs/{id}`. */
export const routeKey = (method: string, url: string): string => `${method === 'HEAD' ? 'GET' : method} ${url.replace(/:(\w+)/g, '{$1}')}`;

/** Sets each route's role from ROUTE_ROLES as it is added; a non-public route missing from the table is a start-up error. */
export function installRouteRoles(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const config = (route.config ?? {}) as { public?: boolean; role?: Role };
    if (config.public === true) return;
    // The API's own description is public: it holds no data, and tools fetch it before they have a key.
    if (route.url === '/openapi.json' || route.url === '/docs' || route.url.startsWith('/docs/')) {
      route.config = { ...config, public: true };
      return;
    }
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) {
      const role = ROUTE_ROLES[routeKey(m, route.url)];
      if (!role) throw new Error(`route ${routeKey(m, route.url)} has no role in api/access.ts (ROUTE_ROLES)`);
      config.role = role;
    }
    route.config = config;
  });
}

/** The least role the matched route needs; null when no route matched (the request will be a 404). */
export function routeRole(request: FastifyRequest): Role | null {
  if (!request.routeOptions.url) return null;
  return request.routeOptions.config.role ?? 'admin';
}
