/**
 * A task's JSON at the worker (docs/artifacts.md, "Large JSON"). Its input is read from its column
 * (a large one from the artifact store, checked against its digest). Its output is encoded before
 * the completion: over OPENCLAW_MAX_JSON_BYTES the attempt fails (OutputTooLarge) and nothing is
 * uploaded; over OPENCLAW_INLINE_JSON_BYTES it is uploaded now, under the attempt's step and lease
 * token, and becomes the `json` artifact `output` that only the fenced completion attaches
 * (runs/complete.ts): a zombie's upload is never referenced, and the sweep removes it.
 */
import { StoredJson } from '../artifacts/json-ref.js';
import type { ProducedArtifact } from '../artifacts/service.js';
import { NonRetryableError } from '../errors.js';
import { FAILURES } from '../vocabulary/failures.js';
import type { ClaimedStep } from './claim.js';
import type { EngineCore } from './runs-api.js';

/** The value of a claimed step's input. */
export async function readTaskInput(core: EngineCore, step: ClaimedStep): Promise<unknown> {
  return await core.json.read(step.namespace, step.input ?? null);
}

/** An output as the completion stores it, and the object to attach when it is kept in the store. */
export interface EncodedOutput {
  output: StoredJson;
  artifact: ProducedArtifact | null;
}

/** Encodes a task's output (see the top of this file). A cache hit's output is the source's column: passed on as it is. */
export async function encodeTaskOutput(
  core: EngineCore,
  step: ClaimedStep,
  output: unknown,
  opts: { served: boolean; signal: AbortSignal },
): Promise<EncodedOutput> {
  if (opts.served) return { output: StoredJson.of(output), artifact: null };
  const encoded = await core.json.encode(core.pool, output, {
    origin: { namespace: step.namespace, runId: step.run_id, stepId: step.id, leaseToken: step.lease_token },
    what: `output of step ${step.key}`,
    tooLarge: (message) => new NonRetryableError(FAILURES.OutputTooLarge, message),
    // A step that passes its (large) input on, or another step's output, references that object again.
    reuseFrom: [step.run_id],
    signal: opts.signal,
  });
  return { output: encoded.stored, artifact: encoded.object ? { ...encoded.object, name: 'output', kind: 'json' } : null };
}
