/**
 * /runs/<id>: one run, live. Its summary (status, duration, trigger, version, input, output,
 * error) and actions; the graph (lazy: React Flow and ELK), the step list, the Gantt and the
 * history in tabs; time travel over the history; the run's artifacts; the step panel for the
 * selected step.
 */
import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { durationBetween, formatDuration, formatTime } from '../../components/format';
import { JsonView } from '../../components/json-view';
import { ErrorState, Loading } from '../../components/states';
import { StatusBadge } from '../../components/status';
import { useInterval } from '../../components/use-async';
import { triggerType, type Step } from '../../data/types';
import { Link, navigate, useLocation } from '../../router';
import type { PageProps } from '../../routes';
import { ArtifactsSection } from './artifacts';
import { Gantt } from './gantt';
import { HistoryList } from './history-list';
import { artifactsAt, spansOf, stateAt } from './history-replay';
import { RunActions } from './run-actions';
import { StepList } from './step-list';
import { StepPanel } from './step-panel';
import { Tabs } from './tabs';
import { TimeTravel } from './time-travel';
import { useRunData } from './use-run-data';

const loadGraphView = () => import('../../graph/graph-view');
const GraphView = lazy(loadGraphView);
type Tab = 'graph' | 'steps' | 'gantt' | 'history';
const TABS: [Tab, string][] = [
  ['graph', 'Graph'],
  ['steps', 'Steps'],
  ['gantt', 'Gantt'],
  ['history', 'History'],
];

export default function RunPage({ params }: PageProps) {
  const id = params.id!;
  const { search } = useLocation();
  const data = useRunData(id);
  const [at, setAt] = useState<number | null>(null);
  const [, setNow] = useState(0);
  const tab = (TABS.find(([k]) => k === search.get('tab'))?.[0] ?? 'graph') as Tab;
  const selected = search.get('step');
  const setQuery = (patch: Record<string, string | null>): void => {
    const q = new URLSearchParams(search);
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) q.delete(k);
      else q.set(k, v);
    }
    navigate(`/runs/${id}?${q}`, { replace: true });
  };
  // The Graph tab's chunk (React Flow, ELK) loads while the run is read, not after (bench P9).
  useEffect(() => {
    if (tab === 'graph') void loadGraphView();
  }, [tab]);
  const { run, events } = data;
  const active = run ? ['queued', 'running', 'waiting'].includes(run.status) : false;
  useInterval(() => setNow(Date.now()), 1000, active && at === null);

  const replayed = useMemo(() => (at === null ? null : stateAt(events, at)), [events, at]);
  const until = replayed
    ? Date.parse(replayed.at)
    : active
      ? Date.now()
      : Date.parse(run?.finishedAt ?? events.at(-1)?.createdAt ?? new Date().toISOString());
  const spans = useMemo(() => spansOf(events, at ?? events.length - 1), [events, at]);
  const steps: Step[] = useMemo(() => {
    const all = run?.steps ?? [];
    if (!replayed) return all;
    return all.filter((s) => replayed.steps.has(s.key)).map((s) => ({ ...s, status: replayed.steps.get(s.key) as Step['status'] }));
  }, [run, replayed]);
  // By key: the step list asks for each of a run's (up to thousands of) steps on every re-read.
  const liveStatus = useMemo(() => new Map((run?.steps ?? []).map((s) => [s.key, s.status])), [run]);
  const statusOf = (key: string): string | undefined => (replayed ? replayed.steps.get(key) : liveStatus.get(key));

  const artifacts = useMemo(
    () => (at === null ? (run?.artifacts ?? []) : artifactsAt(run?.artifacts ?? [], events, at)),
    [run, events, at],
  );

  if (data.error !== null && !run) return <ErrorState error={data.error} retry={data.refresh} />;
  if (!run) return <Loading what="Loading the run" />;
  const selectedStep = run.steps.find((s) => s.key === selected);
  const runStatus = replayed?.runStatus ?? run.status;
  const select = (key: string): void => setQuery({ step: key });

  return (
    <div className={`run-page${selectedStep ? ' with-panel' : ''}`}>
      <section aria-labelledby="run-title" className="run-main">
        <p className="breadcrumbs">
          <Link to="/runs">Runs</Link> / <Link to={`/runs?workflow=${encodeURIComponent(run.workflow)}`}>{run.workflow}</Link>
        </p>
        <h1 id="run-title">
          {run.workflow} <span className="mono muted">{run.id.slice(0, 8)}</span> <StatusBadge status={runStatus} />
        </h1>
        <p className="muted small-text" aria-live="polite">
          {data.following ? 'Following live.' : active ? 'Connecting…' : 'Finished.'}
        </p>
        <dl className="facts">
          <div>
            <dt>Duration</dt>
            <dd>{formatDuration(durationBetween(run.startedAt, run.finishedAt))}</dd>
          </div>
          <div>
            <dt>Trigger</dt>
            <dd>
              {triggerType(run)}
              {run.parentRunId && (
                <>
                  {' '}
                  (<Link to={`/runs/${run.parentRunId}`}>parent run</Link>)
                </>
              )}
            </dd>
          </div>
          <div>
            <dt>Version</dt>
            <dd>
              <Link to={`/workflows/${encodeURIComponent(run.workflow)}`}>v{run.version}</Link>
            </dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>{formatTime(run.createdAt)}</dd>
          </div>
          <div>
            <dt>Finished</dt>
            <dd>{formatTime(run.finishedAt)}</dd>
          </div>
          {run.idempotencyKey && (
            <div>
              <dt>Idempotency key</dt>
              <dd className="mono">{run.idempotencyKey}</dd>
            </div>
          )}
        </dl>
        <RunActions run={run} graph={data.graph} onChanged={data.refresh} />
        {run.error ? (
          <div className="run-error" role="group" aria-label="Run error">
            <h2>Error</h2>
            <JsonView value={run.error} label="run error" />
          </div>
        ) : null}
        <details className="io">
          <summary>Input and output</summary>
          <h2>Input</h2>
          <JsonView value={run.input ?? null} label="run input" />
          <h2>Output</h2>
          <JsonView value={run.output ?? null} label="run output" />
        </details>
        <TimeTravel events={events} at={at} onChange={setAt} />
        <Tabs label="Run views" tabs={TABS} value={tab} onChange={(t) => setQuery({ tab: t })}>
          {tab === 'graph' &&
            (data.graph ? (
              <Suspense fallback={<Loading what="Loading the graph" />}>
                <GraphView graph={data.graph} steps={steps} selected={selected} onSelect={select} />
                <p className="muted small-text">
                  The same steps as a list: the{' '}
                  <button type="button" className="link-button" onClick={() => setQuery({ tab: 'steps' })}>
                    Steps
                  </button>{' '}
                  tab.
                </p>
              </Suspense>
            ) : (
              <Loading what="Loading the workflow's graph" />
            ))}
          {tab === 'steps' && <StepList steps={steps} statusOf={statusOf} selected={selected} onSelect={select} />}
          {tab === 'gantt' && (
            <Gantt spans={spans} graph={data.graph} steps={run.steps} until={until} selected={selected} onSelect={select} />
          )}
          {tab === 'history' && <HistoryList events={events} at={at} onTravel={setAt} />}
        </Tabs>
        <ArtifactsSection
          artifacts={artifacts}
          steps={run.steps}
          travelling={replayed !== null}
          error={data.error}
          retry={data.refresh}
          onSelectStep={select}
        />
      </section>
      {selectedStep && (
        <StepPanel
          key={selectedStep.key}
          runId={run.id}
          step={
            replayed ? { ...selectedStep, status: (replayed.steps.get(selectedStep.key) ?? 'pending') as Step['status'] } : selectedStep
          }
          events={events}
          artifacts={artifacts.filter((a) => a.stepKey === selectedStep.key)}
          deadLetter={data.deadLetters.find((d) => d.stepKey === selectedStep.key)}
          onClose={() => setQuery({ step: null })}
          onChanged={data.refresh}
        />
      )}
    </div>
  );
}
