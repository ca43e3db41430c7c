/**
 * Listening server around `buildApp()`: binds 127.0.0.1 by default, with authentication on (API
 * keys, and OIDC tokens when configured). `insecureLocal` serves without authentication, every
 * caller the local admin, and is refused on any address but loopback.
 */
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../engine/index.js';
import { buildApp, type BuildAppOptions } from './app.js';
import { insecureLocal } from './auth.js';
import { isLoopback } from './loopback.js';

export interface ServerOptions extends BuildAppOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** `--insecure-local`: no authentication (every caller is admin). Loopback addresses only. */
  insecureLocal?: boolean;
}

export interface RunningServer {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

export { isLoopback } from './loopback.js';

export async function startServer(options: ServerOptions & { engine: Engine }): Promise<RunningServer> {
  const { host = '127.0.0.1', port = 8080, ...appOptions } = options;
  const insecure = options.insecureLocal === true || options.authenticate === insecureLocal;
  if (insecure && !isLoopback(host)) {
    throw new Error(
      `refusing to bind ${host} without authentication: --insecure-local serves loopback addresses only. ` +
        'Drop --insecure-local to serve with API keys (an admin key is printed at first start).',
    );
  }
  // A loopback-only server answers loopback Host names only (DNS rebinding; see loopback.ts).
  const { insecureLocal: _flag, ...rest } = appOptions;
  const app = await buildApp({
    ...rest,
    ...(insecure ? { authenticate: insecureLocal } : {}),
    loopbackHostsOnly: appOptions.loopbackHostsOnly ?? isLoopback(host),
  });
  await app.listen({ host, port });
  const addr = app.server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    app,
    url: `http://${shownHost}:${actualPort}`,
    host,
    port: actualPort,
    close: () => app.close(),
  };
}
