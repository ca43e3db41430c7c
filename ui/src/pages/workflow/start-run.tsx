/**
 * Start a run (operator): a form generated from the workflow's `inputs` JSON Schema by
 * react-jsonschema-form (validated in the page by form-validator.ts, and by the server again), or
 * a JSON box for a workflow without one; an optional idempotency key. The new run opens on success.
 */
// The Form itself: the package's index also exports a test registry that imports the ajv validator.
import Form, { type IChangeEvent } from '@rjsf/core/lib/components/Form.js';
import type { RJSFSchema, UiSchema } from '@rjsf/utils';
import { useState, type FormEvent } from 'react';
import { errorMessage } from '../../components/states';
import type { RunSummary } from '../../data/types';
import { ApiError, post } from '../../data/http';
import { navigate } from '../../router';
import { formValidator } from './form-validator';

const UI_SCHEMA: UiSchema = { 'ui:submitButtonOptions': { norender: true } };

export function StartRun({ name, version, inputs }: { name: string; version: number; inputs: RJSFSchema | null }) {
  const [data, setData] = useState<unknown>(undefined);
  const [json, setJson] = useState('');
  const [key, setKey] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // After a refused submit, errors update as fields change (before that, only on submit).
  const [live, setLive] = useState(false);
  const formId = 'start-run-form';

  const start = async (input: unknown): Promise<void> => {
    setBusy(true);
    setMessage('Starting…');
    try {
      const run = await post<RunSummary>(`/v1/workflows/${encodeURIComponent(name)}/runs`, {
        ...(input === undefined ? {} : { input }),
        version,
        ...(key.trim() ? { idempotencyKey: key.trim() } : {}),
      });
      setMessage(`Started run ${run.id.slice(0, 8)}.`);
      navigate(`/runs/${run.id}`);
    } catch (err) {
      const details = err instanceof ApiError && Array.isArray(err.details) ? ` ${JSON.stringify(err.details)}` : '';
      setMessage(`Refused: ${errorMessage(err)}${details}`);
    } finally {
      setBusy(false);
    }
  };

  const submitJson = (e: FormEvent): void => {
    e.preventDefault();
    if (!json.trim()) return void start(undefined);
    try {
      void start(JSON.parse(json) as unknown);
    } catch (err) {
      setMessage(`The input is not JSON: ${(err as Error).message}`);
    }
  };

  return (
    <div className="start-run">
      <h2 id="start-run-title">Start a run of v{version}</h2>
      {inputs ? (
        <Form
          id={formId}
          schema={inputs}
          uiSchema={UI_SCHEMA}
          validator={formValidator}
          formData={data}
          noHtml5Validate
          showErrorList="top"
          // The errors are shown in the form; rjsf would also log them to the console.
          onError={() => setLive(true)}
          {...(live ? { liveValidate: 'onChange' as const } : {})}
          onChange={(e: IChangeEvent) => setData(e.formData)}
          onSubmit={(e: IChangeEvent) => void start(e.formData ?? {})}
        />
      ) : (
        <form id={formId} onSubmit={submitJson} aria-labelledby="start-run-title">
          <p className="muted">This workflow declares no `inputs` schema: any JSON is accepted.</p>
          <label className="block-label">
            Input (JSON, optional)
            <textarea rows={5} value={json} placeholder='{"orderId": "A-1"}' onChange={(e) => setJson(e.target.value)} />
          </label>
        </form>
      )}
      <div className="start-run-foot">
        <label>
          Idempotency key (optional) <input value={key} maxLength={200} onChange={(e) => setKey(e.target.value)} placeholder="order-A-1" />
        </label>
        <button type="submit" form={formId} disabled={busy}>
          Start run
        </button>
      </div>
      <p role="status">{message}</p>
    </div>
  );
}
