/**
 * /workflows: the registered workflows of the namespace, by name (cursor pages): each one's latest
 * version, description and last change, linking to /workflows/<name>. Archived ones are marked.
 */
import { useSession } from '../../auth/session-context';
import { formatTime } from '../../components/format';

import { PageState, Pager, useCursorPages } from '../../components/list-page';
import { useAsync } from '../../components/use-async';
import type { WorkflowSummary } from '../../data/client-types';
import { get } from '../../data/http';
import type { Page } from '../../data/types';
import { Link } from '../../router';
import '../pages.css';

const PAGE_SIZE = 100;

export default function WorkflowsPage() {
  const { can } = useSession();
  const pages = useCursorPages();
  const { cursor } = pages;
  const page = useAsync((signal) => get<Page<WorkflowSummary>>('/v1/workflows', { limit: PAGE_SIZE, cursor }, signal), [cursor]);

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
      <PageState
        list={page}
        loading="Loading workflows"
        empty={
          <>
            <p>No workflows in this namespace yet.</p>
            <p className="muted">
              Write one in the <Link to="/editor">editor</Link>, or register a file with <code>openclaw register flow.yaml</code>.
            </p>
          </>
        }
      >
        {(items) => (
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
      </PageState>
      <Pager
        atFirst={pages.atFirst}
        next={page.data?.nextCursor}
        onNewer={pages.newer}
        onOlder={pages.older}
        labels={['Previous', 'Next']}
      />
    </section>
  );
}
