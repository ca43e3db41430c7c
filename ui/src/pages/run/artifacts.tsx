/**
 * A run's artifacts (docs/artifacts.md): the files its steps wrote, from `artifacts` of
 * `GET /v1/runs/{id}` (re-read with the run while it is live, so a step's outputs appear as it
 * succeeds). The run page's section lists them all; the step panel lists one step's outputs (what a
 * step read is not recorded: its inputs are the outputs of the steps it needs). Each row downloads
 * its artifact (artifact-download.tsx).
 */
import { memo, useState } from 'react';
import type { Artifact } from '../../data/types';
import { formatBytes, formatTime } from '../../components/format';
import { errorMessage } from '../../components/states';
import { useStableCallback } from '../../components/use-stable-callback';
import type { Step } from '../../data/types';
import { Link } from '../../router';
import { ArtifactDownload, Digest } from './artifact-download';
import './artifacts.css';

/** Rows shown before "Show all": a forEach can write one artifact per item. */
const FIRST_ROWS = 100;

/** The run the step cache served a step from (its artifacts' `cachedFrom` name that run's artifacts). */
type CachedSource = NonNullable<Step['cached']>;

export function ArtifactsSection(props: {
  artifacts: Artifact[];
  steps: Step[];
  /** Time travel: only what was attached by the moment shown. */
  travelling: boolean;
  /** The run's last re-read failed: the list may be out of date. */
  error: unknown;
  retry(): void;
  onSelectStep(key: string): void;
}) {
  const { artifacts } = props;
  const onSelectStep = useStableCallback(props.onSelectStep);
  const sources = new Map(props.steps.flatMap((s) => (s.cached ? [[s.key, s.cached] as const] : [])));
  return (
    <section aria-labelledby="artifacts-title" className="artifacts">
      <h2 id="artifacts-title">
        Artifacts <span className="muted">({artifacts.length})</span>
      </h2>
      {props.error !== null && (
        <div className="state error" role="alert">
          <p>The run could not be read again ({errorMessage(props.error)}): this list may be out of date.</p>
          <button type="button" onClick={props.retry}>
            Try again
          </button>
        </div>
      )}
      {props.travelling && <p className="muted small-text">As they were at the moment shown above.</p>}
      {artifacts.length === 0 ? (
        <p className="state empty">No artifacts: no step of this run has written a file{props.travelling ? ' by then' : ' (yet)'}.</p>
      ) : (
        <ArtifactTable artifacts={artifacts} caption="The files this run's steps wrote" sources={sources} onSelectStep={onSelectStep} />
      )}
    </section>
  );
}

/** The step panel's part: the outputs this step wrote (the panel says where a cached step came from). */
export function StepArtifacts({ artifacts }: { artifacts: Artifact[] }) {
  if (artifacts.length === 0) {
    return <p className="muted">None written (a step&apos;s output artifacts are listed once an attempt of it succeeds).</p>;
  }
  return <ArtifactTable artifacts={artifacts} caption="The files this step wrote" sources={NO_SOURCES} compact />;
}

const NO_SOURCES = new Map<string, CachedSource>();

function ArtifactTable(props: {
  artifacts: Artifact[];
  caption: string;
  sources: Map<string, CachedSource>;
  /** The step panel: name (its digest under it), size and download only. */
  compact?: boolean;
  onSelectStep?(key: string): void;
}) {
  const [all, setAll] = useState(false);
  const shown = all ? props.artifacts : props.artifacts.slice(0, FIRST_ROWS);
  const cachedColumn = !props.compact && props.artifacts.some((a) => a.cachedFrom !== null);
  return (
    <div className="artifact-table">
      <table className={props.compact ? 'artifact-list compact' : 'artifact-list'}>
        <caption className="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            {!props.compact && <th scope="col">Step</th>}
            {!props.compact && <th scope="col">Attempt</th>}
            <th scope="col">Size</th>
            {!props.compact && <th scope="col">Media type</th>}
            {!props.compact && <th scope="col">SHA-256</th>}
            {!props.compact && <th scope="col">Created</th>}
            {cachedColumn && <th scope="col">Cached from</th>}
            <th scope="col">Download</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((a) => (
            <ArtifactRow
              key={a.id}
              artifact={a}
              source={a.cachedFrom !== null ? props.sources.get(a.stepKey ?? '') : undefined}
              compact={props.compact === true}
              cachedColumn={cachedColumn}
              onSelectStep={props.onSelectStep}
            />
          ))}
        </tbody>
      </table>
      {shown.length < props.artifacts.length && (
        <button type="button" className="small" onClick={() => setAll(true)}>
          Show all {props.artifacts.length}
        </button>
      )}
    </div>
  );
}

/** An artifact never changes once attached: a row re-renders only when it becomes another. */
const ArtifactRow = memo(
  function ArtifactRow(p: {
    artifact: Artifact;
    source: CachedSource | undefined;
    compact: boolean;
    cachedColumn: boolean;
    onSelectStep: ((key: string) => void) | undefined;
  }) {
    const a = p.artifact;
    return (
      <tr>
        <th scope="row">
          <span className="mono">{a.name}</span>
          {p.compact && (
            <div className="small-text">
              <Digest artifact={a} />
            </div>
          )}
        </th>
        {!p.compact && (
          <td>
            {a.stepKey === null ? (
              '—'
            ) : p.onSelectStep ? (
              <button type="button" className="link-button" onClick={() => p.onSelectStep?.(a.stepKey!)}>
                {a.stepKey}
              </button>
            ) : (
              a.stepKey
            )}
          </td>
        )}
        {!p.compact && <td>{a.attempt ?? '—'}</td>}
        <td className="nowrap" title={`${a.size} bytes`}>
          {formatBytes(a.size)}
        </td>
        {!p.compact && <td className="mono small-text">{a.mediaType}</td>}
        {!p.compact && (
          <td>
            <Digest artifact={a} />
          </td>
        )}
        {!p.compact && <td>{formatTime(a.createdAt)}</td>}
        {p.cachedColumn && (
          <td>
            {a.cachedFrom === null ? (
              '—'
            ) : p.source ? (
              <Link to={`/runs/${p.source.runId}?step=${encodeURIComponent(p.source.stepKey)}`}>run {p.source.runId.slice(0, 8)}</Link>
            ) : (
              <span className="mono small-text" title={`artifact ${a.cachedFrom}`}>
                artifact {a.cachedFrom.slice(0, 8)}
              </span>
            )}
          </td>
        )}
        <td>
          <ArtifactDownload artifact={a} />
        </td>
      </tr>
    );
  },
  (before, after) =>
    before.artifact.id === after.artifact.id &&
    before.source?.runId === after.source?.runId &&
    before.compact === after.compact &&
    before.cachedColumn === after.cachedColumn &&
    before.onSelectStep === after.onSelectStep,
);
