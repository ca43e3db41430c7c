/**
 * An HTTP endpoint the scenarios' `http:` tasks call (workers need OPENCLAW_HTTP_ALLOW=127.0.0.1:<port>):
 * the scenario decides each answer, and when to give it, so a task can be held in flight on the
 * worker chosen to freeze. Each request carries the task's `Idempotency-Key: <run id>:<step key>`.
 */
import http from 'node:http';
import type net from 'node:net';

export interface TaskRequest {
  path: string;
  runId: string;
  stepKey: string;
  body: unknown;
  /** This process's clock when it arrived. */
  at: number;
}

export type TaskAnswer = { status: number; body: unknown };

export class TaskServer {
  private server: http.Server | null = null;
  readonly requests: TaskRequest[] = [];
  port = 0;

  constructor(private readonly answer: (req: TaskRequest) => Promise<TaskAnswer>) {}

  async listen(): Promise<number> {
    const server = http.createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => (raw += d));
      req.on('end', () => {
        const key = String(req.headers['idempotency-key'] ?? '');
        const colon = key.indexOf(':');
        let body: unknown = raw;
        try {
          body = raw ? JSON.parse(raw) : null;
        } catch {
          // text body
        }
        const task: TaskRequest = {
          path: req.url ?? '/',
          runId: colon > 0 ? key.slice(0, colon) : '',
          stepKey: colon > 0 ? key.slice(colon + 1) : '',
          body,
          at: Date.now(),
        };
        this.requests.push(task);
        this.answer(task).then(
          (a) => {
            res.writeHead(a.status, { 'content-type': 'application/json' });
            res.end(JSON.stringify(a.body));
          },
          (err: unknown) => {
            res.writeHead(500, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ error: String(err) }));
          },
        );
      });
    });
    server.keepAliveTimeout = 60_000;
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  get allow(): string {
    return `127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
