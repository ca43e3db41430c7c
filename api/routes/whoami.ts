/**
 * `GET /v1/whoami` (viewer): who the credential is, its role and namespaces, and the namespace the
 * request acts in. The web UI asks it once after sign-in to offer only the actions the role may
 * take (the server enforces them anyway).
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errors } from '../schemas.js';

export const whoamiRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/whoami',
    {
      schema: {
        tags: ['system'],
        summary: 'The caller: principal, kind, role and namespaces',
        response: {
          200: Type.Object({
            principal: Type.String({ description: 'An API key id, `oidc:<sub>`, or `local` (--insecure-local).' }),
            kind: Type.Union([Type.Literal('api_key'), Type.Literal('oidc'), Type.Literal('local')]),
            role: Type.Union([Type.Literal('viewer'), Type.Literal('operator'), Type.Literal('admin')]),
            namespaces: Type.Union([Type.Literal('*'), Type.Array(Type.String())], {
              description: 'The namespaces the credential may use: `*` for every one.',
            }),
            namespace: Type.String({ description: 'The namespace this request acts in.' }),
          }),
          ...errors(401, 403),
        },
      },
    },
    (request) => {
      // The auth hook rejected the request before this handler unless it found a principal.
      const p = request.principal!;
      return { principal: p.id, kind: p.kind, role: p.role, namespaces: p.namespaces, namespace: request.namespace };
    },
  );
};
