/**
 * Follows a run's history live: `GET /v1/runs/{id}/events?follow=1` (server-sent events). Read with
 * fetch, not EventSource, because the key goes in the Authorization header (never in a URL). On a
 * dropped connection it reconnects with `Last-Event-ID`, so no event is missed or repeated; it stops
 * at `event: end` (the run finished) or when `signal` aborts.
 */
import type { RunEvent } from './types';
import { authHeaders, errorFrom } from './http';

export interface FollowHandlers {
  onEvent(e: RunEvent): void;
  onEnd(status: string): void;
  onError?(err: unknown): void;
}

export async function followRun(runId: string, after: string | null, h: FollowHandlers, signal: AbortSignal): Promise<void> {
  let last = after;
  for (let attempt = 0; !signal.aborted; attempt++) {
    try {
      const res = await fetch(`/v1/runs/${encodeURIComponent(runId)}/events?follow=1`, {
        headers: authHeaders({ accept: 'text/event-stream', ...(last ? { 'last-event-id': last } : {}) }),
        signal,
      });
      if (!res.ok) throw await errorFrom(res);
      if (!res.body) throw new Error('no response body');
      const ended = await readStream(res.body, signal, (type, id, data) => {
        if (type === 'end') {
          h.onEnd((JSON.parse(data) as { status: string }).status);
          return true;
        }
        if (id) {
          last = id;
          h.onEvent(JSON.parse(data) as RunEvent);
        }
        return false;
      });
      if (ended) return;
      attempt = 0;
    } catch (err) {
      if (signal.aborted) return;
      h.onError?.(err);
      if ((err as { status?: number }).status === 404 || (err as { status?: number }).status === 401) return;
    }
    await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** attempt, 10_000)));
  }
}

/** Parses server-sent events; `on` returns true to stop. Resolves true when stopped by `on`. */
async function readStream(
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal,
  on: (type: string, id: string | null, data: string) => boolean,
): Promise<boolean> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  try {
    while (!signal.aborted) {
      const { value, done } = await reader.read();
      if (done) return false;
      buf += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        let type = 'message';
        let id: string | null = null;
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const i = line.indexOf(':');
          const field = i < 0 ? line : line.slice(0, i);
          const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
          if (field === 'event') type = value;
          else if (field === 'id') id = value;
          else if (field === 'data') data.push(value);
        }
        if (data.length > 0 && on(type, id, data.join('\n'))) return true;
      }
    }
    return false;
  } finally {
    reader.releaseLock();
    void body.cancel().catch(() => undefined);
  }
}
