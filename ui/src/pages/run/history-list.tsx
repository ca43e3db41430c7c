/** The run's history, oldest first; "Show the run here" time-travels to an event. */
import { useState } from 'react';
import { formatClock } from '../../components/format';
import type { RunEvent } from '../../data/types';

/** The latest events first shown; more on request (a 1,000-item forEach has ~4,000). */
const PAGE = 500;

export function HistoryList({ events, at, onTravel }: { events: RunEvent[]; at: number | null; onTravel(index: number): void }) {
  const [shown, setShown] = useState(PAGE);
  if (events.length === 0) return <p className="state empty">No history yet.</p>;
  let start = Math.max(0, events.length - shown);
  if (at !== null && at < start) start = at; // the event travelled to stays listed
  return (
    <div className="history-scroll">
      {start > 0 && (
        <p className="muted">
          {start} earlier events are not listed.{' '}
          <button type="button" className="small" onClick={() => setShown((n) => n + 2000)}>
            Show earlier events
          </button>
        </p>
      )}
      <table className="history">
        <caption className="visually-hidden">History of this run, oldest first</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Time</th>
            <th scope="col">Event</th>
            <th scope="col">Step</th>
            <th scope="col">Data</th>
            <th scope="col">
              <span className="visually-hidden">Time travel</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {events.slice(start).map((e, i) => (
            <tr key={e.id} className={at === start + i ? 'selected' : undefined}>
              <td className="mono">{e.id}</td>
              <td className="mono">{formatClock(e.createdAt)}</td>
              <td>{e.type}</td>
              <td className="mono">{e.stepKey ?? ''}</td>
              <td className="mono small-text">{e.data === null || e.data === undefined ? '' : JSON.stringify(e.data).slice(0, 160)}</td>
              <td>
                <button type="button" className="small" onClick={() => onTravel(start + i)}>
                  Show the run here<span className="visually-hidden"> (event {e.id})</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
