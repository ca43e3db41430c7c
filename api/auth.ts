/**
 * The auth hook point: one `onRequest` hook on the root instance that every route passes through.
 * A route marked `config: { public: true }` (/healthz, /readyz, and the webhook endpoint, which
 * authenticates by signature) skips it. API keys with roles (api.md) plug in as the `authenticate`
 * function; until they exist the default lets every request through as the local operator, which
 * is why the server only binds loopback addresses unless told otherwise (see server.ts).
 */
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { EngineError } from '../engine/index.js';

export interface Principal {
  /** Who the caller is: an API key id, or `local` while keys do not exist. */
  id: string;
  role: 'admin' | 'operator' | 'viewer';
}

/** Returns the caller, or null for "no valid credentials" (401). May throw EngineError('forbidden'). */
export type Authenticate = (request: FastifyRequest) => Promise<Principal | null> | Principal | null;

export const allowLocal: Authenticate = () => ({ id: 'local', role: 'admin' });

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Served without credentials (health checks, signature-authenticated webhooks). */
    public?: boolean;
  }
}

export const authPlugin = fp<{ authenticate: Authenticate }>(
  (app, opts, done) => {
    app.decorateRequest('principal', null);
    app.addHook('onRequest', async (request) => {
      // Unknown paths pass through here too, so without credentials they answer 401, not 404.
      if (request.routeOptions.config.public === true) return;
      const principal = await opts.authenticate(request);
      if (!principal) throw new EngineError('unauthorized', 'missing or invalid API key; send Authorization: Bearer <key>');
      request.principal = principal;
    });
    done();
  },
  { name: 'openclaw-auth' },
);
