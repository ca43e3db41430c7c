/**
 * What every list page repeats: the loading / error / empty / items switch over a loaded page of
 * items (`PageState`), cursor paging with Newer / Older buttons (`useCursorPages`, `Pager`), and the
 * `?workflow=` filter (`WorkflowFilter`).
 */
import { useState, type ReactNode } from 'react';
import type { Page } from '../data/types';
import { navigate } from '../router';
import { Empty, ErrorState, Loading } from './states';
import type { Async } from './use-async';

/** The error (before anything loaded), loading, empty or items state of a loaded page. */
export function PageState<T>({
  list,
  loading,
  empty,
  children,
}: {
  list: Async<Page<T>>;
  /** What is loading ("Loading schedules"). */
  loading: string;
  /** The empty state's content. */
  empty: ReactNode;
  children: (items: T[]) => ReactNode;
}) {
  if (list.error !== null && list.data === undefined) return <ErrorState error={list.error} retry={list.reload} />;
  if (list.data === undefined) return <Loading what={loading} />;
  if (list.data.items.length === 0) return <Empty>{empty}</Empty>;
  return <>{children(list.data.items)}</>;
}

/** Cursor pages in component state: the cursors that led to the current page (none: the first). */
export function useCursorPages(): {
  cursor: string | null;
  atFirst: boolean;
  older: (next: string) => void;
  newer: () => void;
  reset: () => void;
} {
  const [cursors, setCursors] = useState<string[]>([]);
  return {
    cursor: cursors.at(-1) ?? null,
    atFirst: cursors.length === 0,
    older: (next) => setCursors((c) => [...c, next]),
    newer: () => setCursors((c) => c.slice(0, -1)),
    reset: () => setCursors([]),
  };
}

/** Newer / Older buttons: `next` is the loaded page's `nextCursor`. */
export function Pager({
  atFirst,
  next,
  onNewer,
  onOlder,
  label = 'Pages',
  labels = ['Newer', 'Older'],
}: {
  atFirst: boolean;
  next: string | null | undefined;
  onNewer: () => void;
  onOlder: (next: string) => void;
  label?: string;
  labels?: [string, string];
}) {
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" className="secondary" disabled={atFirst} onClick={onNewer}>
        {labels[0]}
      </button>
      <button type="button" className="secondary" disabled={!next} onClick={() => next && onOlder(next)}>
        {labels[1]}
      </button>
    </nav>
  );
}

/** The `?workflow=` filter of a list page: submitting it navigates to `path` with the new filter. */
export function WorkflowFilter({ path, workflow, onApply }: { path: string; workflow: string; onApply?: () => void }) {
  return (
    <form
      className="filters"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        const v = String(new FormData(e.currentTarget).get('workflow') ?? '').trim();
        onApply?.();
        navigate(v ? `${path}?workflow=${encodeURIComponent(v)}` : path);
      }}
    >
      <label>
        Workflow <input name="workflow" defaultValue={workflow} key={workflow} placeholder="all" />
      </label>
      <button type="submit" className="secondary">
        Filter
      </button>
    </form>
  );
}
