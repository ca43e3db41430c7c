/**
 * `run --wait` following: against a stand-in HTTP server that drops the event stream mid-run, the
 * CLI reconnects with Last-Event-ID and delivers every event once, in order; against a server that
 * does not stream, it polls the JSON history.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../../cli/client.js';
import { followRun } from '../../cli/follow.js';
import type { RunEvent } from '../../cli/run-events.js';

const RUN = '00000000-0000-4000-8000-000000000001';
const event = (id: number, type: string, stepKey: string | null = null): RunEvent => ({
  id: String(id),
  type,
  stepKey,
  data: null,
  createdAt: '',
});
const sse = (e: RunEvent): string => `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;

let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

async function serve(handler: http.RequestListener): Promise<string> {
  server = http.createServer(handler);
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('followRun', () => {
  it('reconnects a dropped stream with Last-Event-ID and delivers each event once, in order', async () => {
    const history = [event(1, 'run.started'), event(2, 'step.started', 'a'), event(3, 'step.succeeded', 'a'), event(4, 'run.succeeded')];
    const lastEventIds: Array<string | undefined> = [];
    let streams = 0;
    const url = await serve((req, res) => {
      if (req.url === `/v1/runs/${RUN}`) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: RUN, status: streams < 2 ? 'running' : 'succeeded' }));
        return;
      }
      streams++;
      lastEventIds.push(req.headers['last-event-id'] as string | undefined);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('retry: 50\n\n');
      if (streams === 1) {
        // Two events, then the connection drops without `end`.
        res.write(sse(history[0]!) + sse(history[1]!));
        setTimeout(() => res.destroy(), 50);
        return;
      }
      // Resumes after Last-Event-ID, deliberately repeating the last one seen.
      const after = Number(req.headers['last-event-id'] ?? 0);
      for (const e of history.filter((x) => Number(x.id) >= after)) res.write(sse(e));
      res.end('event: end\ndata: {"status":"succeeded"}\n\n');
    });
    const seen: string[] = [];
    await followRun(new ApiClient(url), RUN, (e) => seen.push(`${e.id} ${e.type}`));
    expect(seen).toEqual(['1 run.started', '2 step.started', '3 step.succeeded', '4 run.succeeded']);
    expect(lastEventIds).toEqual([undefined, '2']);
  });

  it('polls the JSON history when the server does not stream', async () => {
    let polls = 0;
    const url = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === `/v1/runs/${RUN}`) {
        polls++;
        res.end(JSON.stringify({ id: RUN, status: polls >= 2 ? 'failed' : 'running' }));
      } else {
        const items =
          polls >= 2 ? [event(1, 'run.started'), event(2, 'step.dead', 'a'), event(3, 'run.failed')] : [event(1, 'run.started')];
        res.end(JSON.stringify({ items }));
      }
    });
    const seen: string[] = [];
    await followRun(new ApiClient(url), RUN, (e) => seen.push(e.type), { pollMs: 20 });
    expect(seen).toEqual(['run.started', 'step.dead', 'run.failed']);
  });

  it('fails at once for a run that does not exist', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'not_found', message: 'run not found' } }));
    });
    await expect(followRun(new ApiClient(url), RUN, () => {})).rejects.toThrow('not_found: run not found');
  });
});
