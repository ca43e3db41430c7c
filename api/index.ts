/** The HTTP API: `buildApp()` (no listen; for tests with inject) and `startServer()`. */
export { buildApp, type BuildAppOptions } from './app.js';
export { startServer, isLoopback, type ServerOptions, type RunningServer } from './server.js';
export { createOidcVerifier, oidcFromEnv, type OidcOptions } from './oidc.js';
