/**
 * Namespaces in the routes. The auth hook (auth.ts) resolves and validates every request's
 * namespace (`request.namespace`); a route acts in it through `scopeOf(engine, request)`.
 * `documentNamespace(app)`, called once on the root instance before the routes (app.ts), adds the `namespace` query parameter
 * and the `X-OpenClaw-Namespace` header to the schema of each of its routes, so that the OpenAPI
 * document shows them on every operation (both are optional; the auth hook has already checked
 * them when validation runs).
 */
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { DEFAULT_NAMESPACE, NAMESPACE_PATTERN, type Engine, type NamespaceScope } from '../engine/index.js';
import { NAMESPACE_HEADER } from './auth.js';

/** The engine's operations in the request's namespace. */
export function scopeOf(engine: Engine, request: FastifyRequest): NamespaceScope {
  return engine.inNamespace(request.namespace);
}

const namespaceSchema = (description: string): Record<string, unknown> => ({
  type: 'string',
  pattern: NAMESPACE_PATTERN.source,
  description,
});

const QUERY = namespaceSchema(
  `The namespace to act in (default \`${DEFAULT_NAMESPACE}\`): lower-case letters, digits and -, at most 63 characters. ` +
    'Same as the X-OpenClaw-Namespace header (when both are sent they must agree). Another namespace’s resources are not found.',
);
const HEADER = namespaceSchema(`The namespace to act in (default \`${DEFAULT_NAMESPACE}\`); same as the \`namespace\` query parameter.`);

type ObjectSchema = { type?: unknown; properties?: Record<string, unknown> } & Record<string | symbol, unknown>;

/** `schema` with one more optional property (a copy: route schemas may be shared objects). */
function withProperty(schema: unknown, name: string, property: Record<string, unknown>): ObjectSchema {
  const base = (schema ?? { type: 'object' }) as ObjectSchema;
  return { ...base, properties: { ...(base.properties ?? {}), [name]: property } };
}

/** Routes outside every namespace: the public health checks and the web UI's sign-in options. */
const NAMESPACE_FREE = new Set(['/healthz', '/readyz', '/v1/ui/config']);

/** Documents the namespace parameter and header on every route added after this call (NAMESPACE_FREE aside). */
export function documentNamespace(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema;
    if (!schema || schema.hide || NAMESPACE_FREE.has(route.url)) return;
    route.schema = {
      ...schema,
      querystring: withProperty(schema.querystring, 'namespace', QUERY),
      headers: withProperty(schema.headers, NAMESPACE_HEADER, HEADER),
    };
  });
}
