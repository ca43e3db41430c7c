/**
 * The web UI on the API's origin: the static assets that `npm run build` makes from ui/ (Vite, into
 * dist/ui), and index.html for each of the UI's stable paths (the app routes in the browser).
 *
 * These routes are public and hidden from the OpenAPI document: static files hold no data, and the
 * pages call the API with the key the user signed in with. Files are read into memory once (a few
 * hundred KB, gzipped once too) and looked up by exact name, so no request path ever reaches the
 * file system. Every UI response carries a CSP without inline scripts, `frame-ancestors 'none'`
 * and `X-Content-Type-Options: nosniff`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { OidcUi } from './oidc-ui.js';

/** The UI's stable paths (links users share); each answers index.html. Keep in step with ui/src/routes.tsx. */
export const UI_PATHS = [
  '/',
  '/runs',
  '/runs/:id',
  '/workflows',
  '/workflows/:name',
  '/editor',
  '/schedules',
  '/dead-letters',
  '/workers',
  '/settings',
  // Single sign-on returns here from the identity provider (oidc-ui.ts); the page trades the code for a token.
  '/auth/callback',
] as const;

/**
 * The UI's Content-Security-Policy: nothing inline, nothing from another origin, except that pages
 * may connect to the extra origins given (the OIDC issuer and its token endpoint, for single sign-on).
 */
export function uiCsp(connectOrigins: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    ["connect-src 'self'", ...connectOrigins].join(' '),
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': uiCsp(),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

interface Asset {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  /** Content-hashed names (assets/) never change: cache them for a year. */
  immutable: boolean;
}

/**
 * Where the built UI is: dist/ui next to the compiled API (dist/api), or the repository's
 * dist/ui when the API runs from source (tests, tsx). A folder counts only with Vite's manifest
 * in it, so ui/ (the sources, which have an index.html too) is never served.
 */
export function findUiDir(): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const dir of [path.join(here, '../ui'), path.join(here, '../dist/ui')]) {
    if (existsSync(path.join(dir, '.vite/manifest.json')) && existsSync(path.join(dir, 'index.html'))) return dir;
  }
  return null;
}

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(dir, rel))) {
      if (name.startsWith('.')) continue; // .vite/manifest.json is for the build, not for browsers
      const relPath = rel ? `${rel}/${name}` : name;
      const full = path.join(dir, relPath);
      if (statSync(full).isDirectory()) {
        walk(relPath);
        continue;
      }
      const type = TYPES[path.extname(name)] ?? 'application/octet-stream';
      const body = readFileSync(full);
      const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 1024;
      assets.set(`/${relPath}`, {
        body,
        gzip: compressible ? gzipSync(body, { level: 9 }) : null,
        type,
        immutable: relPath.startsWith('assets/'),
      });
    }
  };
  walk('');
  return assets;
}

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset, csp?: string): FastifyReply {
  void reply.headers(SECURITY_HEADERS);
  if (csp) void reply.header('content-security-policy', csp);
  void reply.header('content-type', asset.type);
  void reply.header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  void reply.header('vary', 'accept-encoding');
  const gzipOk = asset.gzip !== null && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
  if (gzipOk) void reply.header('content-encoding', 'gzip');
  return reply.send(gzipOk ? asset.gzip : asset.body);
}

/** Registers the UI routes; `dir` null (the UI was not built) serves a page saying so. */
export const uiRoutes: FastifyPluginAsync<{ dir: string | null; oidcUi?: OidcUi | undefined }> = async (app, { dir, oidcUi }) => {
  const assets = dir ? loadAssets(dir) : new Map<string, Asset>();
  const index = assets.get('/index.html');
  const route = { config: { public: true }, schema: { hide: true } } as const;

  const page = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    // `/runs/` (an empty id) is no UI path: exact paths only.
    if (Object.values((request.params ?? {}) as Record<string, string>).some((v) => v === '')) {
      void reply.headers(SECURITY_HEADERS);
      return reply.status(404).type('text/plain; charset=utf-8').send('not found\n');
    }
    // With single sign-on, pages may reach the issuer (its token endpoint: the callback page trades the code there).
    if (index) return send(request, reply, { ...index, immutable: false }, oidcUi && uiCsp(await oidcUi.connectOrigins()));
    void reply.headers(SECURITY_HEADERS);
    return reply
      .status(503)
      .type('text/plain; charset=utf-8')
      .send('The OpenClaw web UI is not built: `npm run build` builds it into dist/ui.\n');
  };
  for (const p of UI_PATHS) app.get(p, route, page);

  app.get('/assets/:file', route, (request, reply) => {
    const asset = assets.get(`/assets/${(request.params as { file: string }).file}`);
    if (!asset) {
      void reply.headers(SECURITY_HEADERS);
      return reply.status(404).type('text/plain; charset=utf-8').send('not found\n');
    }
    return send(request, reply, asset);
  });
  // Other top-level files of the build (favicon): one exact route each.
  for (const [name, asset] of assets) {
    if (name === '/index.html' || name.startsWith('/assets/') || name.slice(1).includes('/')) continue;
    app.get(name, route, (request, reply) => send(request, reply, asset));
  }
};
