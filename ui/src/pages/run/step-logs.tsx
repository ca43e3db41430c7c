/** A step's log lines, with a live tail: new lines are fetched every second while the step can still write. */
import { useEffect, useRef, useState } from 'react';
import { formatClock } from '../../components/format';
import { ErrorState } from '../../components/states';
import { client, unwrap } from '../../data/http';
import type { LogLine, Page } from '../../data/types';

export function StepLogs({ runId, stepKey, live }: { runId: string; stepKey: string; live: boolean }) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [loaded, setLoaded] = useState(false);
  const cursor = useRef<string | null>(null);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let stop = false;
    cursor.current = null;
    const ctl = new AbortController();
    const pull = async (): Promise<void> => {
      for (;;) {
        const query = { limit: 1000, ...(cursor.current ? { cursor: cursor.current } : {}) };
        const page = (await unwrap(
          client.GET('/v1/runs/{id}/steps/{key}/logs', { params: { path: { id: runId, key: stepKey }, query }, signal: ctl.signal }),
        )) as Page<LogLine>;
        if (stop) return;
        if (page.items.length) setLines((l) => [...l, ...page.items]);
        cursor.current = page.items.at(-1)?.id ?? cursor.current;
        if (!page.nextCursor) break;
      }
    };
    const tick = async (): Promise<void> => {
      try {
        await pull();
        if (!stop) {
          setLoaded(true);
          setError(null);
        }
      } catch (err) {
        if (!stop) setError(err);
      }
      if (!stop && live) timer = window.setTimeout(() => void tick(), 1000);
    };
    let timer = 0;
    setLines([]);
    setLoaded(false);
    void tick();
    return () => {
      stop = true;
      ctl.abort();
      window.clearTimeout(timer);
    };
  }, [runId, stepKey, live]);

  useEffect(() => {
    const el = box.current;
    if (el && el.scrollHeight - el.scrollTop - el.clientHeight < 60) el.scrollTop = el.scrollHeight;
  }, [lines]);

  if (error && !loaded) return <ErrorState error={error} />;
  return (
    <div>
      <p className="muted small-text" aria-live="polite">
        {!loaded ? 'Loading logs…' : `${lines.length} lines${live ? ' · following live' : ''}`}
      </p>
      {loaded && lines.length === 0 ? (
        <p className="state empty">This step has printed nothing{live ? ' yet' : ''}.</p>
      ) : (
        <div className="logs" ref={box} tabIndex={0} role="log" aria-label={`Logs of ${stepKey}`}>
          {lines.map((l) => (
            <div key={l.id} className={`log-line log-${l.stream}`}>
              <span className="muted">{formatClock(l.createdAt)}</span> <span className="muted">[{l.attempt}]</span> {l.message}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
