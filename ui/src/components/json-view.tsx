/**
 * A JSON viewer: objects and arrays fold (native <details>, so keyboard and screen readers work),
 * deep or large values start folded; "Copy" puts the whole value on the clipboard.
 */
import type { ReactNode } from 'react';

function Value({ value, depth, label }: { value: unknown; depth: number; label?: ReactNode }) {
  const prefix = label !== undefined ? <span className="json-key">{label}: </span> : null;
  if (value === null || typeof value !== 'object') {
    const cls = value === null ? 'json-null' : `json-${typeof value}`;
    return (
      <div className="json-row">
        {prefix}
        <span className={cls}>{JSON.stringify(value)}</span>
      </div>
    );
  }
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  const open = depth < 2 && entries.length <= 50;
  const [l, r] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) {
    return (
      <div className="json-row">
        {prefix}
        <span className="json-punct">{`${l}${r}`}</span>
      </div>
    );
  }
  return (
    <details open={open} className="json-node">
      <summary>
        {prefix}
        <span className="json-punct">{l}</span>
        <span className="json-count">
          {' '}
          {entries.length} {Array.isArray(value) ? 'items' : 'keys'}{' '}
        </span>
        <span className="json-punct">{r}</span>
      </summary>
      <div className="json-children">
        {entries.slice(0, 500).map(([k, v]) => (
          <Value key={k} value={v} depth={depth + 1} label={k} />
        ))}
        {entries.length > 500 && <div className="json-row muted">… {entries.length - 500} more (copy to see all)</div>}
      </div>
    </details>
  );
}

export function JsonView({ value, label }: { value: unknown; label: string }) {
  if (value === undefined) return <p className="muted">none</p>;
  return (
    <div className="json-view" role="group" aria-label={label}>
      <button type="button" className="small copy" onClick={() => void navigator.clipboard?.writeText(JSON.stringify(value, null, 2))}>
        Copy {label}
      </button>
      <Value value={value} depth={0} />
    </div>
  );
}
