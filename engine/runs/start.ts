import type { EngineCore } from '../core/engine-core.js';
import { createRunInTx, type StartRunOptions, type StartRunResult } from './create-run.js';
import { withTransitionTx } from './driver.js';

export type { StartRunOptions, StartRunResult } from './create-run.js';

/** Starts a run (idempotently when a key is given). Returns the run id and whether it is new. */
export async function startRun(core: EngineCore, opts: StartRunOptions): Promise<StartRunResult> {
  const { value: created } = await withTransitionTx(core, (tx) => createRunInTx(tx, opts));
  // The run context followed every transition made before commit (waiting, finished, ...).
  return { runId: created.runId, created: created.created, status: created.rc?.run.status ?? created.status };
}
