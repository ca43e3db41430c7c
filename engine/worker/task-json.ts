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

/** An output as the completion stores it, and every artifact the completion attaches. */
export interface EncodedOutput {
  output: StoredJson;
  artifacts: ProducedArtifact[];
}

/**
 * Encodes a task's output (see the top of this file); `attached` are the file artifacts it wrote. A
 * cache hit's output is the source's column, passed on as it is, with the source's artifacts: its
 * files and its `json` output, not the `json` input the source had (the step has its own input).
 */
export async function encodeTaskOutput(
  core: EngineCore,
  step: ClaimedStep,
  output: unknown,
  opts: { served: boolean; attached: ProducedArtifact[]; signal: AbortSignal },
): Promise<EncodedOutput> {
  if (opts.served) {
    return { output: StoredJson.of(output), artifacts: opts.attached.filter((a) => a.kind === 'file' || a.name === 'output') };
  }
  const encoded = await core.json.encode(core.pool, output, {
    origin: { namespace: step.namespace, runId: step.run_id, stepId: step.id, leaseToken: step.lease_token },
    what: `output of step ${step.key}`,
    tooLarge: (message) => new NonRetryableError(FAILURES.OutputTooLarge, message),
    // A step that passes its (large) input on, or another step's output, references that object again.
    reuseFrom: [step.run_id],
    signal: opts.signal,
  });
  const json: ProducedArtifact[] = encoded.object ? [{ ...encoded.object, name: 'output', kind: 'json' }] : [];
  return { output: encoded.stored, artifacts: [...opts.attached, ...json] };
}
