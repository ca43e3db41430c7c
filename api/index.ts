/** The HTTP API: `buildApp()` (no listen; for tests with inject) and `startServer()`. */
export { buildApp, type BuildAppOptions } from './app.js';
export { startServer, isLoopback, type ServerOptions, type RunningServer } from './server.js';
export { insecureLocal, credentialAuthenticator, type Principal, type Authenticate, type TokenVerifier } from './auth.js';
export { ROUTE_ROLES } from './access.js';
export { createOidcVerifier, oidcFromEnv, type OidcOptions } from './oidc.js';
export { createOidcUi, oidcUiFromEnv, type OidcUi, type OidcUiOptions } from './oidc-ui.js';
