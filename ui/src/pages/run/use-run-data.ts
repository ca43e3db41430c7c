/**
 * A run, its compiled graph, its history and its dead letters, kept live: the history is read in
 * pages (while the run is read), then followed over SSE from the last event (batched into state
 * every 200 ms); each batch re-reads the run (its steps' statuses, inputs and outputs), at most
 * every 500 ms.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ACTIVE_RUN } from '../../components/status';
import { followRun } from '../../data/follow';
import { client, unwrap } from '../../data/http';
import type { CompiledGraph, DeadLetter, Page, Run, RunEvent } from '../../data/types';

export interface RunData {
  run: Run | undefined;
  error: unknown;
  graph: CompiledGraph | undefined;
  events: RunEvent[];
  deadLetters: DeadLetter[];
  following: boolean;
  refresh(): void;
}

export function useRunData(id: string): RunData {
  const [run, setRun] = useState<Run | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [graph, setGraph] = useState<CompiledGraph | undefined>(undefined);
  const [events, setEvents] = useState<RunEvent[]>([]);
  const [deadLetters, setDeadLetters] = useState<DeadLetter[]>([]);
  const [following, setFollowing] = useState(false);
  const [restart, setRestart] = useState(0);
  const lastRead = useRef(0);
  const lastStatus = useRef<string | null>(null);
  const pending = useRef<number | null>(null);

  const readRun = useCallback(async (): Promise<Run> => {
    const r = await unwrap(client.GET('/v1/runs/{id}', { params: { path: { id } } }));
    setRun(r);
    lastStatus.current = r.status;
    setError(null);
    if (r.steps.some((s) => s.status === 'dead')) {
      const dl = await unwrap(client.GET('/v1/dead-letters', { params: { query: { runId: id, limit: 500 } } }));
      setDeadLetters(dl.items);
    }
    return r;
  }, [id]);

  /** Re-reads the run soon (coalesced: at most every 500 ms). */
  const refreshSoon = useCallback(() => {
    if (pending.current !== null) return;
    const wait = Math.max(0, 500 - (Date.now() - lastRead.current));
    pending.current = window.setTimeout(() => {
      pending.current = null;
      lastRead.current = Date.now();
      readRun().catch((err: unknown) => setError(err));
    }, wait);
  }, [readRun]);

  useEffect(() => {
    const ctl = new AbortController();
    let buffer: RunEvent[] = [];
    let flushTimer = 0;
    const flush = (): void => {
      flushTimer = 0;
      const batch = buffer;
      buffer = [];
      // The stream's end with nothing new, and the run as read has ended too: nothing to re-read.
      if (batch.length === 0 && lastStatus.current !== null && !ACTIVE_RUN.has(lastStatus.current)) return;
      setEvents((prev) => {
        const lastId = prev.length ? BigInt(prev.at(-1)!.id) : -1n;
        return [...prev, ...batch.filter((e) => BigInt(e.id) > lastId)];
      });
      refreshSoon();
    };
    const readHistory = async (): Promise<RunEvent[]> => {
      const all: RunEvent[] = [];
      let after: string | null = null;
      for (;;) {
        const query: { after?: string } = after ? { after } : {};
        const page = (await unwrap(
          client.GET('/v1/runs/{id}/events', { params: { path: { id }, query }, signal: ctl.signal }),
        )) as Page<RunEvent>;
        all.push(...page.items);
        if (!page.nextCursor) return all;
        after = page.nextCursor;
      }
    };
    (async () => {
      // The run and its history are read at once; the stream then follows from the history's last event.
      const history = readHistory();
      history.catch(() => undefined); // awaited below; a failure then is the one reported
      const r = await readRun();
      unwrap(client.GET('/v1/workflows/{name}/versions/{version}', { params: { path: { name: r.workflow, version: r.version } } })).then(
        (v) => setGraph(v.graph as CompiledGraph | undefined),
        () => setGraph(undefined),
      );
      const all = await history;
      if (ctl.signal.aborted) return;
      setEvents(all);
      setFollowing(true);
      await followRun(
        id,
        all.at(-1)?.id ?? null,
        {
          onEvent: (e) => {
            buffer.push(e);
            if (!flushTimer) flushTimer = window.setTimeout(flush, 200);
          },
          onEnd: () => {
            window.clearTimeout(flushTimer);
            flush();
          },
        },
        ctl.signal,
      );
      if (!ctl.signal.aborted) setFollowing(false);
    })().catch((err: unknown) => {
      if (!ctl.signal.aborted) setError(err);
    });
    return () => {
      ctl.abort();
      window.clearTimeout(flushTimer);
      if (pending.current !== null) window.clearTimeout(pending.current);
      pending.current = null;
    };
  }, [id, readRun, refreshSoon, restart]);

  /** After an action (cancel, retry, signal, replay): read the run now and follow it again if it had ended. */
  const refresh = useCallback(() => {
    readRun().then(
      () => {
        if (!following) setRestart((n) => n + 1);
      },
      (err: unknown) => setError(err),
    );
  }, [readRun, following]);

  return { run, error, graph, events, deadLetters, following, refresh };
}
