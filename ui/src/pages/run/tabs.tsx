/** Tabs with the ARIA tabs pattern: arrow keys, Home and End move between them. */
import type { KeyboardEvent, ReactNode } from 'react';

export function Tabs<T extends string>(props: { label: string; tabs: [T, string][]; value: T; onChange(v: T): void; children: ReactNode }) {
  const keys = props.tabs.map(([k]) => k);
  const onKey = (e: KeyboardEvent): void => {
    const i = keys.indexOf(props.value);
    const next =
      e.key === 'ArrowRight'
        ? (i + 1) % keys.length
        : e.key === 'ArrowLeft'
          ? (i - 1 + keys.length) % keys.length
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? keys.length - 1
              : -1;
    if (next < 0) return;
    e.preventDefault();
    props.onChange(keys[next]!);
    document.getElementById(`tab-${keys[next]}`)?.focus();
  };
  return (
    <div className="tabs">
      <div role="tablist" aria-label={props.label} onKeyDown={onKey}>
        {props.tabs.map(([k, label]) => (
          <button
            key={k}
            id={`tab-${k}`}
            type="button"
            role="tab"
            aria-selected={props.value === k}
            aria-controls={`panel-${k}`}
            tabIndex={props.value === k ? 0 : -1}
            className={props.value === k ? 'tab active' : 'tab'}
            onClick={() => props.onChange(k)}
          >
            {label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${props.value}`} aria-labelledby={`tab-${props.value}`} tabIndex={0}>
        {props.children}
      </div>
    </div>
  );
}
