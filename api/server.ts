/**
 * Listening server around `buildApp()`: binds 127.0.0.1 by default. Until API keys exist, binding
 * any other address is refused unless the caller says so explicitly (`allowUnauthenticated`),
 * because every route would be open to the network.
 */
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../engine/index.js';
import { buildApp, type BuildAppOptions } from './app.js';
import { isLoopback } from './loopback.js';

export interface ServerOptions extends BuildAppOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Required to bind a non-loopback address while the API has no keys. */
  allowUnauthenticated?: boolean;
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
  const { host = '127.0.0.1', port = 8080, allowUnauthenticated = false, ...appOptions } = options;
  if (!isLoopback(host) && !allowUnauthenticated) {
    throw new Error(
      `refusing to bind ${host}: the API has no authentication yet, so only loopback addresses are allowed. ` +
        'Pass --allow-unauthenticated (OPENCLAW_ALLOW_UNAUTHENTICATED=1) to expose it anyway, e.g. inside a private network.',
    );
  }
  // A loopback-only server answers loopback Host names only (DNS rebinding; see loopback.ts).
  const app = await buildApp({ ...appOptions, loopbackHostsOnly: appOptions.loopbackHostsOnly ?? isLoopback(host) });
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
