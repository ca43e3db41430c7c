/** Starts the HTTP API for `dev` and `server`, with start-up errors a person can act on. */
import net from 'node:net';
import { isLoopback, oidcFromEnv, oidcUiFromEnv, startServer, type RunningServer } from '../../api/index.js';
import type { Engine } from '../../engine/index.js';
import { CliError } from '../errors.js';
import type { Printer } from '../output.js';

export interface ApiServerOptions {
  engine: Engine;
  host: string;
  port: number;
  insecureLocal: boolean;
}

/**
 * Fails early, before the database and the worker start, for the two mistakes seen most:
 * --insecure-local on a non-loopback address, and a port already taken.
 */
export async function preflightListen(options: Omit<ApiServerOptions, 'engine'>): Promise<void> {
  if (!isLoopback(options.host) && options.insecureLocal) {
    throw new CliError(`refusing to bind ${options.host} without authentication: --insecure-local serves loopback addresses only`, {
      lines: ['Drop --insecure-local (and OPENCLAW_INSECURE_LOCAL) to serve with API keys; an admin key is printed at first start.'],
    });
  }
  if (options.port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err) => reject(listenError(err, options)));
    probe.listen({ host: options.host, port: options.port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

function listenError(err: unknown, options: { host: string; port: number }): Error {
  const code = (err as { code?: unknown }).code;
  if (code === 'EADDRINUSE') {
    return new CliError(`port ${options.port} on ${options.host} is already in use`, {
      lines: ['Pass another --port (or --port 0 for any free one), or stop what is listening there.'],
      cause: err,
    });
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new CliError(`cannot listen on ${options.host}: no such local address`, { cause: err });
  }
  if (code === 'EACCES') {
    return new CliError(`not allowed to listen on port ${options.port} (ports below 1024 need privileges)`, { cause: err });
  }
  return new CliError(err instanceof Error ? err.message : String(err), { cause: err });
}

/** Listens, with OIDC tokens accepted when OPENCLAW_OIDC_* configure an issuer, and the UI's SSO when OPENCLAW_OIDC_UI_CLIENT_ID names its client (each said on one line). */
export async function startApi(options: ApiServerOptions, print: Printer): Promise<RunningServer> {
  const oidc = oidcFromEnv(process.env, { log: options.engine.log.child({ component: 'oidc' }) });
  if (oidc) print.out(`  OIDC      tokens from ${process.env.OPENCLAW_OIDC_ISSUER}`);
  const oidcUi = oidcUiFromEnv(process.env);
  if (oidcUi) print.out(`  SSO       the UI signs in at ${oidcUi.issuer} as client ${oidcUi.clientId}`);
  try {
    return await startServer({ ...options, ...(oidc ? { oidc } : {}), ...(oidcUi ? { oidcUi } : {}) });
  } catch (err) {
    throw listenError(err, options);
  }
}

/** Said loudly at start: a server without authentication. */
export function warnInsecure(print: Printer, url: string): void {
  print.err('WARNING: --insecure-local: the API serves WITHOUT authentication; every local process and user is an admin.');
  print.err(`WARNING: only loopback is served (${url}). Drop --insecure-local to use API keys.`);
}

/** Where the API and its docs are, then the one line scripts wait for: `OpenClaw ready at URL`. */
export function printReady(print: Printer, url: string): void {
  print.out(`  API       ${url}/v1`);
  print.out(`  docs      ${url}/docs`);
  print.out(`  OpenAPI   ${url}/openapi.json`);
  print.out(`OpenClaw ready at ${url}`);
}
