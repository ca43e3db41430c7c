/** A real local HTTP server for HTTP-task tests: routes are plain handlers; requests are recorded. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body's bytes (binary uploads). */
  raw: Buffer;
}

export interface TestServer {
  url: string;
  port: number;
  requests: Recorded[];
  route(path: string, handler: (req: Recorded, res: http.ServerResponse) => void): void;
  close(): Promise<void>;
}

export async function startTestServer(host = '127.0.0.1'): Promise<TestServer> {
  const routes = new Map<string, (req: Recorded, res: http.ServerResponse) => void>();
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const rec: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: raw.toString(), raw };
      requests.push(rec);
      const handler = routes.get((req.url ?? '').split('?')[0] ?? '');
      if (!handler) {
        res.writeHead(404).end('no such route');
        return;
      }
      handler(rec, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    requests,
    route: (path, handler) => routes.set(path, handler),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
