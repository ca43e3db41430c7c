/**
 * /workflows: the registered workflows of the namespace, by name (cursor pages): each one's latest
 * version, description and last change, linking to /workflows/<name>. Archived ones are marked.
 */
import { useState } from 'react';
import { useSession } from '../../auth/session-context';
import { formatTime } from '../../components/format';
import { Empty, ErrorState, Loading } from '../../components/states';
import { useAsync } from '../../components/use-async';
import type { WorkflowSummary } from '../../data/client-types';
import { get } from '../../data/http';
import type { Page } from '../../data/types';
import { Link } from '../../router';
import '../pages.css';

const PAGE_SIZE = 100;

export default function WorkflowsPage() {
  const { can } = useSession();
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1) ?? null;
  const page = useAsync((signal) => get<Page<WorkflowSummary>>('/v1/workflows', { limit: PAGE_SIZE, cursor }, signal), [cursor]);
  const items = page.data?.items ?? [];

  return (
    <section aria-labelledby="workflows-title">
      <div className="page-head">
        <h1 id="workflows-title">Workflows</h1>
        {can('operator') && (
          <Link to="/editor" className="button-link">
            New workflow in the editor
          </Link>
        )}
      </div>
      {page.error !== null && page.data === undefined ? (
        <ErrorState error={page.error} retry={page.reload} />
      ) : page.data === undefined ? (
        <Loading what="Loading workflows" />
      ) : items.length === 0 ? (
        <Empty>
          <p>No workflows in this namespace yet.</p>
          <p className="muted">
            Write one in the <Link to="/editor">editor</Link>, or register a file with <code>openclaw register flow.yaml</code>.
          </p>
        </Empty>
      ) : (
        <table className="workflows">
          <caption className="visually-hidden">Workflows, by name</caption>
          <thead>
            <tr>
              <th scope="col">Workflow</th>
              <th scope="col">Latest version</th>
              <th scope="col">Description</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {items.map((w) => (
              <tr key={w.name}>
                <th scope="row">
                  <Link to={`/workflows/${encodeURIComponent(w.name)}`}>{w.name}</Link>
                  {w.archived && <span className="tag">archived</span>}
                </th>
                <td>v{w.latestVersion}</td>
                <td>{w.description ?? <span className="muted">—</span>}</td>
                <td>{formatTime(w.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav className="pager" aria-label="Pages">
        <button type="button" className="secondary" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Previous
        </button>
        <button
          type="button"
          className="secondary"
          disabled={!page.data?.nextCursor}
          onClick={() => page.data?.nextCursor && setCursors((c) => [...c, page.data!.nextCursor!])}
        >
          Next
        </button>
      </nav>
    </section>
  );
}
