/** The scrubber: pick any event of the history to see the graph, steps and Gantt as they were then. */
import { formatClock } from '../../components/format';
import type { RunEvent } from '../../data/types';

export function TimeTravel({ events, at, onChange }: { events: RunEvent[]; at: number | null; onChange(index: number | null): void }) {
  if (events.length === 0) return null;
  const max = events.length - 1;
  const index = at ?? max;
  const e = events[index]!;
  return (
    <div className={`time-travel${at !== null ? ' travelling' : ''}`}>
      <label htmlFor="time-travel">Time travel</label>
      <button
        type="button"
        className="small"
        aria-label="One event earlier"
        disabled={index === 0}
        onClick={() => onChange(Math.max(0, index - 1))}
      >
        ◀
      </button>
      <input
        id="time-travel"
        type="range"
        min={0}
        max={max}
        value={index}
        onChange={(ev) => {
          const v = Number(ev.target.value);
          onChange(v >= max ? null : v);
        }}
        aria-valuetext={`event ${index + 1} of ${max + 1}: ${e.type}${e.stepKey ? ` ${e.stepKey}` : ''} at ${formatClock(e.createdAt)}`}
      />
      <button
        type="button"
        className="small"
        aria-label="One event later"
        disabled={at === null}
        onClick={() => onChange(index + 1 >= max ? null : index + 1)}
      >
        ▶
      </button>
      <span className="mono small-text" aria-live="polite">
        {at === null
          ? 'live'
          : `as at ${formatClock(e.createdAt)} · event ${index + 1}/${max + 1}: ${e.type}${e.stepKey ? ` ${e.stepKey}` : ''}`}
      </span>
      {at !== null && (
        <button type="button" className="small" onClick={() => onChange(null)}>
          Back to live
        </button>
      )}
    </div>
  );
}
