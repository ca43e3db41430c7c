/**
 * `openclaw worker --metrics-port N`: the worker process's own Prometheus metrics on
 * `GET /metrics` (docs/operations.md, "Metrics"), served by a bare node:http server. No
 * authentication: it binds 127.0.0.1 unless `--metrics-host` says otherwise, and bound to loopback
 * it answers only requests whose Host is a loopback name or address (as the API does, against DNS
 * rebinding). On another address, reach it only from the network Prometheus scrapes from (the
 * compose file exposes it on the compose network only). A scrape reads memory: no database query.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLoopback } from '../../api/index.js';
import type { Logger, MetricsEndpoint } from '../../engine/index.js';

export interface MetricsServer {
  /** `http://host:port/metrics` */
  url: string;
  close(): Promise<void>;
}

function hostOf(header: string | undefined): string | null {
  if (!header) return null;
  try {
    return new URL(`http://${header}`).hostname;
  } catch {
    return null;
  }
}

export async function serveMetrics(metrics: MetricsEndpoint, opts: { port: number; host: string; log: Logger }): Promise<MetricsServer> {
  const loopbackOnly = isLoopback(opts.host);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const host = hostOf(req.headers.host);
    if (loopbackOnly && (host === null || !isLoopback(host))) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('this metrics endpoint listens on loopback only\n');
    } else if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the metrics are at GET /metrics\n');
    } else if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    } else {
      metrics.text().then(
        (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(req.method === 'HEAD' ? undefined : text),
        (err: unknown) => {
          opts.log.error({ err }, 'metrics: could not render');
          res.writeHead(500, { 'content-type': 'text/plain' }).end('could not render the metrics; see the worker log\n');
        },
      );
    }
  });
  server.keepAliveTimeout = 65_000; // above Prometheus's scrape interval: one connection per scraper
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shown = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${shown}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
