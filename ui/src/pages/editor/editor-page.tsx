/**
 * /editor: write a spec with completion from the workflow JSON Schema; as you type (debounced), the
 * server checks it (POST /v1/workflows/validate: the same checks as registering) and its problems
 * appear at their line and column, with a live preview of the compiled graph (the last valid one,
 * dimmed, while the text has problems). Operators register it from here (POST /v1/workflows).
 * `?from=<name>` starts from that workflow's latest spec. This page's chunk holds CodeMirror: the
 * editor's weight loads only here.
 */
import { useEffect, useRef, useState } from 'react';
import { useSession } from '../../auth/session-context';
import { ErrorState, errorMessage, Loading } from '../../components/states';
import { useAsync } from '../../components/use-async';
import type { Workflow, WorkflowRegistered, WorkflowValidation } from '../../data/client-types';
import { errorOf, OpenClawError } from '../../../../client/index';
import { signOut } from '../../auth/session';
import { authHeaders, get } from '../../data/http';
import type { CompiledGraph } from '../../data/types';
import { SpecGraph } from '../../graph/spec-graph';
import { Link, useLocation } from '../../router';
import '../pages.css';
import type { JsonSchema } from './schema-completion';
import type { Problem } from './diagnostics';
import { YamlEditor } from './yaml-editor';

const TEMPLATE = `name: my-workflow
description: What it does
steps:
  hello:
    run: echo
    with: { message: hello }
  done:
    needs: [hello]
    run: log
    with: { message: "said \${{ steps.hello.output.message }}" }
`;
const DEBOUNCE_MS = 400;

/** POSTs spec text as YAML (http.ts sends JSON only). */
async function postYaml<T>(path: string, text: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, {
    method: 'POST',
    headers: authHeaders({ 'content-type': 'application/yaml' }),
    body: text,
    ...(signal ? { signal } : {}),
  });
  if (!res.ok) {
    const body: unknown = await res.json().catch(() => null);
    if (res.status === 401) signOut();
    throw new OpenClawError(res.status, errorOf(res.status, body));
  }
  return (await res.json()) as T;
}

export default function EditorPage() {
  const { search } = useLocation();
  const { can } = useSession();
  const from = search.get('from');
  const setup = useAsync(
    async (signal) => {
      const [schema, wf] = await Promise.all([
        get<JsonSchema>('/v1/schema/workflow.json', undefined, signal),
        from ? get<Workflow>(`/v1/workflows/${encodeURIComponent(from)}`, undefined, signal) : Promise.resolve(null),
      ]);
      return { schema, initial: wf ? (wf.specText ?? JSON.stringify(wf.spec, null, 2)) : TEMPLATE };
    },
    [from],
  );
  const [text, setText] = useState<string | null>(null);
  const [result, setResult] = useState<{ text: string; validation: WorkflowValidation } | null>(null);
  const [lastGraph, setLastGraph] = useState<{ graph: CompiledGraph; name: string } | null>(null);
  const [checkError, setCheckError] = useState<unknown>(null);
  const [registered, setRegistered] = useState<string | null>(null);
  const [registeredName, setRegisteredName] = useState<string | null>(null);
  const [registering, setRegistering] = useState(false);
  const current = text ?? setup.data?.initial ?? null;
  const timer = useRef<number | undefined>(undefined);

  useEffect(() => {
    if (current === null) return undefined;
    const ctl = new AbortController();
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => {
      postYaml<WorkflowValidation>('/v1/workflows/validate', current, ctl.signal).then(
        (validation) => {
          setCheckError(null);
          setResult({ text: current, validation });
          if (validation.valid && validation.graph && validation.name) {
            setLastGraph({ graph: validation.graph as unknown as CompiledGraph, name: validation.name });
          }
        },
        (err: unknown) => {
          if (!ctl.signal.aborted) setCheckError(err);
        },
      );
    }, DEBOUNCE_MS);
    return () => {
      ctl.abort();
      window.clearTimeout(timer.current);
    };
  }, [current]);

  if (setup.error !== null && setup.data === undefined) return <ErrorState error={setup.error} retry={setup.reload} />;
  if (setup.data === undefined) return <Loading what="Loading the editor" />;

  const upToDate = result !== null && result.text === current;
  const problems: Problem[] = upToDate ? (result.validation.problems as Problem[]) : [];
  const valid = upToDate && result.validation.valid;

  const register = async (): Promise<void> => {
    if (current === null) return;
    setRegistering(true);
    try {
      const r = await postYaml<WorkflowRegistered>('/v1/workflows', current);
      setRegistered(
        r.created ? `Registered ${r.name} version ${r.version}.` : `Unchanged: ${r.name} version ${r.version} already has this content.`,
      );
      setRegisteredName(r.name);
    } catch (err) {
      setRegistered(`Refused: ${errorMessage(err)}`);
      setRegisteredName(null);
    } finally {
      setRegistering(false);
    }
  };

  return (
    <section aria-labelledby="editor-title">
      <div className="page-head">
        <h1 id="editor-title">Editor{from ? `: ${from}` : ''}</h1>
        <p className="muted small-text">
          Ctrl-Space completes keys from the schema; problems are checked by the server as you type. Tab leaves the editor.
        </p>
      </div>
      <div className="editor-page">
        <div>
          <YamlEditor
            key={from ?? ''}
            initial={setup.data.initial}
            schema={setup.data.schema}
            problems={upToDate ? problems : null}
            problemsFor={upToDate ? result.text : null}
            onChange={(t) => {
              setText(t);
              setRegistered(null);
              setRegisteredName(null);
            }}
          />
          <div className="toolbar">
            <span role="status" className={valid ? 'tag ok' : upToDate ? 'tag bad' : 'tag'}>
              {!upToDate
                ? 'Checking…'
                : valid
                  ? `Valid: ${result.validation.name}`
                  : `${problems.length} problem${problems.length === 1 ? '' : 's'}`}
            </span>
            {can('operator') && (
              <button type="button" disabled={!valid || registering} onClick={() => void register()}>
                Register
              </button>
            )}
          </div>
          {checkError !== null && <ErrorState error={checkError} />}
          {upToDate && problems.length > 0 && (
            <ul className="problems" aria-label="Problems">
              {problems.map((p, i) => (
                <li key={i} className="error-text">
                  {p.line ? `Line ${p.line}, column ${p.column ?? 1}: ` : ''}
                  {p.path && <code>{p.path}</code>} {p.message}
                </li>
              ))}
            </ul>
          )}
          <p role="status" aria-live="polite">
            {registered}
            {registeredName && (
              <>
                {' '}
                <Link to={`/workflows/${encodeURIComponent(registeredName)}?tab=versions`}>Open {registeredName}</Link>
              </>
            )}
          </p>
        </div>
        <div className={valid ? 'preview' : 'preview preview-stale'} aria-label="Graph preview" role="region">
          <h2>Preview{lastGraph ? `: ${lastGraph.name}` : ''}</h2>
          {lastGraph ? (
            <>
              {!valid && <p className="muted small-text">The graph of the last valid text; fix the problems to update it.</p>}
              <SpecGraph graph={lastGraph.graph} label="Preview" />
            </>
          ) : (
            <p className="state empty">The graph appears once the spec is valid.</p>
          )}
        </div>
      </div>
    </section>
  );
}
