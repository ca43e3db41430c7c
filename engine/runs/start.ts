/**
 * Starting runs from the API: group commit. Concurrent starts queue up and each free starter
 * (at most `MAX_STARTERS` transactions at once) creates the queued runs in ONE transition
 * transaction: one BEGIN/COMMIT, one history INSERT and one wake-up for the batch instead of one
 * per run, and the workflow row read once per workflow. A start that is refused before it wrote
 * anything (unknown workflow, bad input, a reused idempotency key) gets its error and the others
 * go on; anything else fails the batch, which is then started again one run at a time.
 */
import type { EngineCore } from '../core/engine-core.js';
import { GroupCommit } from '../core/group-commit.js';
import type { EngineError } from '../errors.js';
import { tryCreateRunInTx, type CreatedRun, type CreateRunOptions, type StartRunResult } from './create-run.js';
import { withTransitionTx } from './driver.js';
import { readRunDetails, type RunDetail } from './queries.js';

export type { StartRunOptions, StartRunResult } from './create-run.js';

/** Starts applied in one transaction at most. */
const MAX_BATCH = 64;
/** Start transactions at once per process. */
const MAX_STARTERS = 2;

export interface StartRequest {
  /** Also read the run as the API shows it (with its steps), in the same transaction. */
  detail?: boolean;
}

export type StartedRun = StartRunResult & { detail?: RunDetail };

interface Pending {
  opts: CreateRunOptions;
  detail: boolean;
}

type Outcome = { ok: StartedRun } | { err: unknown };

/** One transition transaction for the whole batch (all-or-nothing, but for starts refused before writing). */
async function applyBatch(core: EngineCore, batch: Pending[]): Promise<Outcome[]> {
  const { value } = await withTransitionTx(core, async (tx) => {
    const results: Array<{ created: CreatedRun } | { refused: EngineError }> = [];
    for (const p of batch) results.push(await tryCreateRunInTx(tx, p.opts));
    await tx.settle();
    const wanted = batch.flatMap((p, i) => {
      const r = results[i];
      return p.detail && r && 'created' in r ? [r.created.runId] : [];
    });
    const details = await readRunDetails(tx.client, core.json, wanted);
    return results.map((r): Outcome => {
      if ('refused' in r) return { err: r.refused };
      const c = r.created;
      // The run context followed every transition made before commit (waiting, finished, ...).
      const started: StartedRun = { runId: c.runId, created: c.created, status: c.rc?.run.status ?? c.status };
      const d = details.get(c.runId);
      return { ok: d ? { ...started, detail: d } : started };
    });
  });
  return value;
}

export class RunStarter {
  private readonly commits: GroupCommit<Pending, Outcome>;

  constructor(core: EngineCore) {
    this.commits = new GroupCommit<Pending, Outcome>({
      what: 'start',
      maxCommitters: MAX_STARTERS,
      maxBatch: MAX_BATCH,
      log: core.log,
      applyBatch: (items) => applyBatch(core, items),
      applyOne: async (item) => (await applyBatch(core, [item]))[0]!,
    });
  }

  /** Starts a run in `opts.namespace` (idempotently when a key is given). Returns the run id and whether it is new. */
  async start(opts: CreateRunOptions, req: StartRequest = {}): Promise<StartedRun> {
    const o = await this.commits.submit({ opts, detail: req.detail === true });
    if ('err' in o) throw o.err;
    return o.ok;
  }
}
