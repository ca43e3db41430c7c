/**
 * /workflows/<name>: one workflow. Its latest version (or `?version=N`): the spec as registered, its
 * graph, the versions with a diff between two, its schedules and webhooks, its recent runs, and
 * (operator) a form to start a run generated from its `inputs` schema, and archiving.
 */
import type { RJSFSchema } from '@rjsf/utils';
import { useSession } from '../../auth/session-context';
import { formatTime } from '../../components/format';
import { ErrorState, errorMessage, Loading } from '../../components/states';
import { useAsync } from '../../components/use-async';
import type { Workflow } from '../../data/client-types';
import { api, get } from '../../data/http';
import type { CompiledGraph } from '../../data/types';
import { SpecGraph } from '../../graph/spec-graph';
import { Link, navigate, useLocation } from '../../router';
import type { PageProps } from '../../routes';
import { Tabs } from '../run/tabs';
import { StartRun } from './start-run';
import { VersionDiff } from './version-diff';
import { WorkflowTriggers } from './workflow-triggers';
import '../pages.css';

type Tab = 'spec' | 'graph' | 'versions' | 'triggers' | 'start';

export default function WorkflowPage({ params }: PageProps) {
  const name = params.name!;
  const { search } = useLocation();
  const { can } = useSession();
  const version = Number(search.get('version')) || null;
  const base = `/v1/workflows/${encodeURIComponent(name)}`;
  const wf = useAsync((signal) => get<Workflow>(version ? `${base}/versions/${version}` : base, undefined, signal), [name, version]);
  const tabs: [Tab, string][] = [
    ['spec', 'Spec'],
    ['graph', 'Graph'],
    ['versions', 'Versions'],
    ['triggers', 'Schedules and webhooks'],
    ...(can('operator') ? ([['start', 'Start a run']] as [Tab, string][]) : []),
  ];
  const tab = (tabs.find(([k]) => k === search.get('tab'))?.[0] ?? 'spec') as Tab;
  const setQuery = (patch: Record<string, string | null>): void => {
    const q = new URLSearchParams(search);
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) q.delete(k);
      else q.set(k, v);
    }
    navigate(`/workflows/${encodeURIComponent(name)}${q.size ? `?${q}` : ''}`, { replace: true });
  };

  if (wf.error !== null && wf.data === undefined) return <ErrorState error={wf.error} retry={wf.reload} />;
  if (wf.data === undefined) return <Loading what={`Loading workflow ${name}`} />;
  const w = wf.data;
  const spec = w.spec as Record<string, unknown>;
  const inputs = spec.inputs && typeof spec.inputs === 'object' ? (spec.inputs as RJSFSchema) : null;

  const archive = async (): Promise<void> => {
    if (!window.confirm(`Archive ${name}? No new runs start and its schedules stop; registering it again restores it.`)) return;
    try {
      await api('DELETE', base);
      wf.reload();
    } catch (err) {
      window.alert(`Refused: ${errorMessage(err)}`);
    }
  };

  return (
    <section aria-labelledby="workflow-title" className="workflow-page">
      <p className="breadcrumbs">
        <Link to="/workflows">Workflows</Link> /
      </p>
      <div className="page-head">
        <h1 id="workflow-title">
          {w.name} <span className="muted">v{w.version}</span>
          {w.archived && <span className="tag">archived</span>}
        </h1>
        <div className="toolbar">
          <Link to={`/runs?workflow=${encodeURIComponent(name)}`}>Runs of {name}</Link>
          {can('operator') && (
            <Link to={`/editor?from=${encodeURIComponent(name)}`} className="button-link secondary">
              Edit in the editor
            </Link>
          )}
          {can('operator') && !w.archived && (
            <button type="button" className="danger small" onClick={() => void archive()}>
              Archive
            </button>
          )}
        </div>
      </div>
      {typeof spec.description === 'string' && <p>{spec.description}</p>}
      <dl className="facts">
        <div>
          <dt>Version</dt>
          <dd>
            v{w.version} of {w.latestVersion}
            {w.version !== w.latestVersion && (
              <>
                {' '}
                (<Link to={`/workflows/${encodeURIComponent(name)}`}>latest</Link>)
              </>
            )}
          </dd>
        </div>
        <div>
          <dt>Registered</dt>
          <dd>{formatTime(w.createdAt)}</dd>
        </div>
        <div>
          <dt>Model</dt>
          <dd>{(w.graph as CompiledGraph | undefined)?.model === 'sm' ? 'state machine' : 'DAG'}</dd>
        </div>
        <div>
          <dt>Content hash</dt>
          <dd className="mono">{w.contentHash.slice(0, 12)}</dd>
        </div>
      </dl>
      <Tabs label="Workflow views" tabs={tabs} value={tab} onChange={(t) => setQuery({ tab: t })}>
        {tab === 'spec' && <pre className="spec-text">{w.specText ?? JSON.stringify(w.spec, null, 2)}</pre>}
        {tab === 'graph' &&
          (w.graph ? <SpecGraph graph={w.graph as unknown as CompiledGraph} label={`${name} v${w.version}`} /> : <p>No graph.</p>)}
        {tab === 'versions' && (
          <>
            <ul className="version-list">
              {Array.from({ length: w.latestVersion }, (_, i) => w.latestVersion - i).map((v) => (
                <li key={v}>
                  <Link
                    to={`/workflows/${encodeURIComponent(name)}?version=${v}&tab=spec`}
                    aria-current={v === w.version ? 'page' : undefined}
                  >
                    v{v}
                  </Link>
                  {v === w.latestVersion && <span className="muted"> latest</span>}
                </li>
              ))}
            </ul>
            {w.latestVersion > 1 ? (
              <VersionDiff name={name} latest={w.latestVersion} />
            ) : (
              <p className="state empty">Only one version so far.</p>
            )}
          </>
        )}
        {tab === 'triggers' && <WorkflowTriggers name={name} spec={spec} />}
        {tab === 'start' && can('operator') && <StartRun name={name} version={w.version} inputs={inputs} />}
      </Tabs>
    </section>
  );
}
