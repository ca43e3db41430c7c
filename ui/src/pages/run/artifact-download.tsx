/**
 * An artifact's download control (ui/src/data/download.ts, download-plan.ts): a button that streams it into the tab,
 * with its progress, Cancel, and what came of it; above the browser limit the CLI command instead,
 * and why. Also the abbreviated SHA-256 with a button that copies all of it.
 */
import { useEffect, useRef, useState } from 'react';
import type { Artifact } from '../../data/types';
import { getNamespace } from '../../auth/session';
import { formatBytes } from '../../components/format';
import { errorMessage } from '../../components/states';
import { fetchArtifact, saveBlob } from '../../data/download';
import { BROWSER_DOWNLOAD_LIMIT, downloadPlan } from '../../data/download-plan';

type State = { kind: 'idle' } | { kind: 'running'; received: number } | { kind: 'done'; text: string } | { kind: 'failed'; text: string };

/** A button that copies `text` ("Copy <what>" to a screen reader), then says so for a moment. */
export function CopyButton({ text, what }: { text: string; what: string }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return undefined;
    const t = window.setTimeout(() => setCopied(false), 2000);
    return () => window.clearTimeout(t);
  }, [copied]);
  const copy = (): void => {
    navigator.clipboard?.writeText(text).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };
  const verb = copied ? 'Copied' : 'Copy';
  return (
    <button type="button" className="small" aria-label={`${verb} ${what}`} onClick={copy}>
      {verb}
    </button>
  );
}

/** The first 12 hex digits; all 64 in the title and on the clipboard. */
export function Digest({ artifact }: { artifact: Pick<Artifact, 'name' | 'sha256'> }) {
  return (
    <span className="digest">
      <code title={`SHA-256 ${artifact.sha256}`}>{artifact.sha256.slice(0, 12)}…</code>{' '}
      <CopyButton text={artifact.sha256} what={`the SHA-256 of ${artifact.name}`} />
    </span>
  );
}

export function ArtifactDownload({ artifact }: { artifact: Artifact }) {
  const [state, setState] = useState<State>({ kind: 'idle' });
  const abort = useRef<AbortController | null>(null);
  // Leaving the page (or closing the step panel) stops a download in progress.
  useEffect(() => () => abort.current?.abort(), []);

  const plan = downloadPlan(artifact, { origin: window.location.origin, namespace: getNamespace() });
  if (plan.kind === 'cli') {
    return (
      <div className="artifact-cli">
        <p className="small-text">
          Over {formatBytes(BROWSER_DOWNLOAD_LIMIT)}: the page would hold all of it in memory. The CLI streams it to disk and checks its
          SHA-256 (with your key in <code>OPENCLAW_API_KEY</code>):
        </p>
        <code className="command">{plan.command}</code>{' '}
        <CopyButton text={plan.command} what={`the command that downloads ${artifact.name}`} />
      </div>
    );
  }

  const start = async (): Promise<void> => {
    const ctl = new AbortController();
    abort.current = ctl;
    setState({ kind: 'running', received: 0 });
    let shown = 0;
    try {
      const got = await fetchArtifact(artifact, {
        signal: ctl.signal,
        // A new state per percent at most: a large artifact arrives in thousands of chunks.
        onProgress: (received) => {
          if (received - shown < artifact.size / 100 && received < artifact.size) return;
          shown = received;
          setState({ kind: 'running', received });
        },
      });
      saveBlob(got.blob, artifact.name);
      const checked = got.digestChecked ? 'size and SHA-256 checked' : 'size checked (no SHA-256 check outside a secure context)';
      setState({ kind: 'done', text: `Saved ${artifact.name} (${formatBytes(artifact.size)}; ${checked}).` });
    } catch (err) {
      const text = ctl.signal.aborted ? 'Download cancelled.' : `Download failed: ${errorMessage(err)}`;
      if (abort.current === ctl) setState({ kind: 'failed', text });
    } finally {
      if (abort.current === ctl) abort.current = null;
    }
  };

  return (
    <div className="artifact-download">
      {state.kind === 'running' ? (
        <>
          <progress max={Math.max(artifact.size, 1)} value={state.received} aria-label={`Downloading ${artifact.name}`} />{' '}
          <button type="button" className="small" onClick={() => abort.current?.abort()}>
            Cancel
          </button>
        </>
      ) : (
        <button type="button" className="small" aria-label={`Download ${artifact.name}`} onClick={() => void start()}>
          Download
        </button>
      )}
      <span role="status" className={`small-text${state.kind === 'failed' ? ' error-text' : ' muted'}`}>
        {state.kind === 'done' || state.kind === 'failed' ? ` ${state.text}` : ''}
      </span>
    </div>
  );
}
