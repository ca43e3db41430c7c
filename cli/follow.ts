/**
 * Follows a run's history live: `GET /v1/runs/{id}/events?follow=1` as server-sent events until
 * the server sends `event: end` (the run is terminal). A dropped stream is reopened with
 * `Last-Event-ID`, and events already seen are skipped, so every event is delivered once and in
 * order. A server that answers with JSON instead of a stream is polled.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, ApiUnreachableError, type ApiClient } from './client.js';
import { CliError } from './errors.js';
import { TERMINAL_RUN_STATUSES, type RunEvent } from './run-events.js';
import { SseParser } from './sse.js';

export interface FollowOptions {
  /** How long to keep trying to reconnect without getting anything through (default 60 s). */
  giveUpAfterMs?: number;
  /** Poll interval when the server does not stream (default 1 s). */
  pollMs?: number;
}

/** Event ids are increasing integers (bigint in the database); compare them as such. */
function after(id: string, last: string | null): boolean {
  if (last === null) return true;
  try {
    return BigInt(id) > BigInt(last);
  } catch {
    return id !== last;
  }
}

function parseEvent(data: string, id: string | undefined): RunEvent | null {
  try {
    const e = JSON.parse(data) as Partial<RunEvent>;
    if (typeof e.type !== 'string') return null;
    return {
      id: String(e.id ?? id ?? ''),
      type: e.type,
      stepKey: e.stepKey ?? null,
      data: e.data ?? null,
      createdAt: e.createdAt ?? '',
    };
  } catch {
    return null;
  }
}

async function runIsTerminal(client: ApiClient, runId: string): Promise<boolean> {
  const { body } = await client.GET('/v1/runs/{id}', { params: { path: { id: runId } } });
  return TERMINAL_RUN_STATUSES.has(body.status);
}

/** Calls `onEvent` for each event of the run, in order, until the run is terminal. */
export async function followRun(
  client: ApiClient,
  runId: string,
  onEvent: (e: RunEvent) => void,
  options: FollowOptions = {},
): Promise<void> {
  const giveUpAfterMs = options.giveUpAfterMs ?? 60_000;
  let lastId: string | null = null;
  let retryMs = 500;
  let failingSince: number | null = null;
  const deliver = (e: RunEvent): void => {
    if (e.id !== '' && !after(e.id, lastId)) return;
    if (e.id !== '') lastId = e.id;
    onEvent(e);
  };

  for (;;) {
    let progressed = false;
    try {
      const res = await client.openStream('/v1/runs/{id}/events', {
        params: { path: { id: runId }, query: { follow: '1' }, ...(lastId === null ? {} : { header: { 'last-event-id': lastId } }) },
      });
      if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
        await res.body?.cancel();
        return await pollRun(client, runId, deliver, options.pollMs ?? 1000);
      }
      failingSince = null;
      if (!res.body) throw new Error('empty response body');
      const parser = new SseParser();
      const decoder = new TextDecoder();
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        const messages = parser.push(decoder.decode(chunk, { stream: true }));
        if (parser.retryMs !== undefined) retryMs = Math.min(Math.max(parser.retryMs, 100), 10_000);
        for (const msg of messages) {
          if (msg.event === 'end') return;
          // The server hit a problem mid-stream and asks to reconnect with Last-Event-ID.
          if (msg.event === 'error') break;
          const e = parseEvent(msg.data, msg.id);
          if (e) {
            progressed = true;
            deliver(e);
          }
        }
      }
      // The stream closed without `end`: finished, or dropped?
      if (await runIsTerminal(client, runId)) return;
    } catch (err) {
      // A 4xx (no such run, bad request) will not get better by retrying.
      if (err instanceof ApiError && err.status < 500) throw err;
      if (err instanceof CliError && !(err instanceof ApiError) && !(err instanceof ApiUnreachableError)) throw err;
      failingSince ??= Date.now();
      if (Date.now() - failingSince > giveUpAfterMs) {
        throw err instanceof Error ? err : new CliError(String(err));
      }
    }
    if (progressed) failingSince = null;
    await sleep(retryMs);
  }
}

/** Fallback for a server without streaming: the JSON history, polled until the run is terminal. */
async function pollRun(client: ApiClient, runId: string, deliver: (e: RunEvent) => void, pollMs: number): Promise<void> {
  for (;;) {
    const terminal = await runIsTerminal(client, runId);
    const { body } = await client.GET('/v1/runs/{id}/events', { params: { path: { id: runId } } });
    for (const e of body.items) deliver({ ...e, id: String(e.id) });
    if (terminal) return;
    await sleep(pollMs);
  }
}
