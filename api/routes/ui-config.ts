/**
 * `GET /v1/ui/config` (public): what the web UI's sign-in page needs before anyone is signed in:
 * whether single sign-on is offered, and how (oidc-ui.ts). It holds nothing secret: a public client
 * id, scopes and the issuer's public endpoints. Without OPENCLAW_OIDC_UI_CLIENT_ID, `oidc` is null.
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { OidcUi } from '../oidc-ui.js';
import { errors } from '../schemas.js';

const AuthorizationServer = Type.Object(
  {
    issuer: Type.String(),
    authorization_endpoint: Type.String(),
    token_endpoint: Type.String(),
    authorization_response_iss_parameter_supported: Type.Optional(Type.Boolean()),
  },
  { description: "The issuer's metadata from its discovery document (RFC 8414 names)." },
);

const UiConfig = Type.Object({
  oidc: Type.Union(
    [
      Type.Object({
        clientId: Type.String({ description: 'The web UI as a public OAuth client (PKCE, no secret) at the identity provider.' }),
        scope: Type.String({ description: 'Scopes the UI asks for, space-separated.' }),
        authorizationParams: Type.Record(Type.String(), Type.String(), {
          description: 'Extra parameters of the authorization request (e.g. `audience`).',
        }),
        authorizationServer: AuthorizationServer,
      }),
      Type.Null(),
    ],
    { description: 'Single sign-on (authorization code with PKCE) when configured; null otherwise.' },
  ),
});

export const uiConfigRoutes: FastifyPluginAsyncTypebox<{ oidcUi?: OidcUi | undefined }> = async (app, { oidcUi }) => {
  app.get(
    '/v1/ui/config',
    {
      config: { public: true },
      schema: {
        tags: ['system'],
        summary: "The web UI's sign-in options (public)",
        security: [],
        response: { 200: UiConfig, ...errors(503) },
      },
    },
    async () => ({ oidc: oidcUi ? await oidcUi.config() : null }),
  );
};
