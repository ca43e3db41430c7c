/**
 * The transition transaction: the one mechanism by which run state changes.
 *
 * A `TransitionTx` owns everything one transaction touches: its client, the runs it has locked
 * (one `RunCtx` per run, so every handler sees the same row state), the history events to write,
 * the steps it made ready, and a queue of follow-ups. Handlers never call each other across
 * modules: when a step succeeds, dies or is skipped, a scope ends, a run must begin or finish, or
 * a child run starts or ends, they queue a follow-up. The driver (`runs/driver.ts`) drains the
 * queue inside the transaction and then settles it (run wait status, history) before COMMIT, and
 * wakes workers after. Which module handles which follow-up is wired in by the driver, so this
 * file knows no model and nothing here imports the handlers.
 */
import type pg from 'pg';
import type { ErrorInfo } from '../errors.js';
import type { CompiledWorkflow, NodeCommon, TaskFields } from '../spec/types.js';
import type { HistoryEventType } from '../vocabulary/history-events.js';
import type { TerminalRunStatus } from '../vocabulary/statuses.js';
import { TxMetrics } from '../telemetry/tx-metrics.js';
import { TxSpans } from '../telemetry/tx-spans.js';
import type { EngineCore } from './engine-core.js';
import type { RunRow, StepRow } from './rows.js';

/** A run's error, with the step that caused it when there is one. */
export type RunErrorInfo = ErrorInfo & { step?: string };

/** A task node (DAG step or state-machine task state) as the transition code needs it. */
export type TaskNode = TaskFields & NodeCommon & { type: 'task' };

/** One run inside a transaction: its row (locked), its compiled workflow and the model that drives it. */
export interface RunCtx {
  tx: TransitionTx;
  run: RunRow;
  wf: CompiledWorkflow;
  model: GraphModel;
  /** The run's input, read at most once per transaction (see runs/scope.ts). */
  input?: unknown;
  /** Inline transitions of this run in the current unit of work (see MAX_INLINE_HOPS). */
  hops: number;
}

/** What a handler asks the driver to do next, inside the same transaction. */
export type FollowUp =
  | { type: 'step.succeeded'; rc: RunCtx; step: StepRow }
  | { type: 'step.skipped'; rc: RunCtx; step: StepRow }
  | { type: 'step.dead'; rc: RunCtx; step: StepRow; error: ErrorInfo }
  /** `output`: the output column of the state that ended the scope, as stored. */
  | { type: 'scope.ended'; rc: RunCtx; step: StepRow; output: unknown }
  | { type: 'run.begin'; rc: RunCtx }
  /** `output`: the model's default output, step columns passed on (a StoredJson or JoinedJson: runs/json-columns.ts). */
  | { type: 'run.finish'; rc: RunCtx; status: TerminalRunStatus; output?: unknown; error?: RunErrorInfo }
  | { type: 'child.start'; rc: RunCtx; step: StepRow; workflow: string; version: number | null; input: unknown }
  /** `output`: the child run's output column as stored (a StoredJson), or null. */
  | { type: 'child.finished'; child: RunCtx; status: TerminalRunStatus; output: unknown; error: RunErrorInfo | null };

/** A field of the expression scope: `steps` (DAG) or `states` (state machine), keyed as authors wrote them. */
export interface ScopeView {
  name: string;
  status: string;
  output: unknown;
  error: unknown;
}

/**
 * A workflow model (DAG or state machine): how its runs begin, react to their steps, resume after
 * a failure (`retry`) and are repaired by the liveness check. The only code that knows what a
 * model is; `runs/models/index.ts` picks one per compiled graph.
 */
export interface GraphModel {
  readonly kind: CompiledWorkflow['graph']['model'];
  /** The task node behind a step name, or undefined. */
  taskNode(wf: CompiledWorkflow, name: string): TaskNode | undefined;
  /** The expression scope's name for other steps and how each is keyed, as seen from `node`. */
  scopeField(wf: CompiledWorkflow, node: NodeCommon, views: ScopeView[]): { field: 'steps' | 'states'; byName: Record<string, unknown> };
  begin(rc: RunCtx): Promise<void>;
  stepSucceeded(rc: RunCtx, step: StepRow): Promise<void>;
  stepSkipped(rc: RunCtx, step: StepRow): Promise<void>;
  stepDead(rc: RunCtx, step: StepRow, error: ErrorInfo): Promise<void>;
  scopeEnded(rc: RunCtx, step: StepRow, output: unknown): Promise<void>;
  /** A `wait` step's timer fired (step already succeeded, or failed with WaitTimeout). */
  timerFired(rc: RunCtx, step: StepRow): Promise<void>;
  /** Resumes a failed or cancelled run from the point of failure (the run row is `running` again). */
  retry(rc: RunCtx): Promise<void>;
  /** Liveness repair of what only this model knows; returns what it did, or null. */
  repair(rc: RunCtx): Promise<string | null>;
}

/** What the driver wires into every transaction. */
export interface TransitionWiring {
  modelFor(wf: CompiledWorkflow): GraphModel;
  dispatch(tx: TransitionTx, followUp: FollowUp): Promise<void>;
  /** Flips a run between running and waiting after its durable waits changed. */
  refreshWaits(rc: RunCtx): Promise<void>;
}

interface PendingEvent {
  runId: string;
  stepKey: string | null;
  type: HistoryEventType;
  data: unknown;
}

const RUN_LOCK_SQL = `SELECT id, namespace, workflow, version, version_id, status, parent_run_id, parent_step_id, trace_id, trace_span_id, trace_flags
  FROM openclaw.run WHERE id = $1 FOR NO KEY UPDATE`;

/** Guards against runaway inline transitions (a choice loop) of one run in one unit of work (a start, an outcome, a timer). */
export const MAX_INLINE_HOPS = 1000;

export class TransitionTx {
  /** Steps made ready (the caller wakes workers after commit). */
  readied = 0;
  /** What this transaction counts (Prometheus); applied by the driver after COMMIT, dropped on rollback. */
  readonly metrics: TxMetrics;
  /** The spans this transaction ends (emitted by the driver after COMMIT); null when tracing is off. */
  readonly spans: TxSpans | null;
  private readonly events: PendingEvent[] = [];
  private readonly queue: FollowUp[] = [];
  private readonly runs = new Map<string, RunCtx>();
  private readonly waitsChanged = new Set<RunCtx>();
  private readonly memos = new Map<string, unknown>();

  constructor(
    readonly client: pg.PoolClient,
    readonly core: EngineCore,
    private readonly wiring: TransitionWiring,
  ) {
    this.metrics = new TxMetrics(core.metrics);
    this.spans = core.tracing ? new TxSpans(core.tracing) : null;
  }

  /**
   * Locks a run row for the rest of the transaction and loads its compiled workflow; a run locked
   * before in this transaction is returned as it is (one `RunCtx` per run).
   *
   * Lock order (the deadlock rule): every transition locks the run row FIRST, then its step rows.
   * The lock is FOR NO KEY UPDATE, not FOR UPDATE: inserting a step or run_event row takes FOR KEY
   * SHARE on its run (the foreign key), and FOR UPDATE would make the claim statement (which writes
   * `step.started` events) wait behind any transition of the same run while holding its claimed
   * step rows — a deadlock when that transition cancels those steps. Transitions never change a
   * run's key, so NO KEY UPDATE is enough to serialise them with each other. The claim and
   * heartbeat statements touch only step rows (and skip locked ones), so they never wait on a
   * transition and cannot close a cycle. Child-to-parent propagation locks the child, then the
   * parent; a parent cancelling children locks parent then child — the rare cycle between the two
   * is broken by PostgreSQL's deadlock detector and `withTx` retries the whole transaction.
   */
  async lockRun(runId: string): Promise<RunCtx | null> {
    const known = this.runs.get(runId);
    if (known) return known;
    const { rows } = await this.client.query<RunRow>(RUN_LOCK_SQL, [runId]);
    const run = rows[0];
    if (!run) return null;
    const wf = await this.core.graphs.get(this.client, run.version_id);
    return this.adopt(run, wf);
  }

  /** The run context of a run this transaction has locked already, if any. */
  heldRun(runId: string): RunCtx | undefined {
    return this.runs.get(runId);
  }

  /** A new unit of work for a run this transaction may already hold (its inline-transition count starts again). */
  resetHops(runId: string): void {
    const rc = this.runs.get(runId);
    if (rc) rc.hops = 0;
  }

  /** Registers a run whose row this transaction has just locked (a run it created, or one a fenced completion locked in its own statement). */
  adopt(run: RunRow, wf: CompiledWorkflow): RunCtx {
    const rc: RunCtx = { tx: this, run, wf, model: this.wiring.modelFor(wf), hops: 0 };
    this.runs.set(run.id, rc);
    return rc;
  }

  /** Queues one history event; they are written in one statement before commit. */
  emit(runId: string, type: HistoryEventType, stepKey: string | null = null, data: unknown = null): void {
    this.events.push({ runId, stepKey, type, data });
  }

  /** How many events are queued: a caller compares two marks to learn whether anything was written in between. */
  eventMark(): number {
    return this.events.length;
  }

  /** A value read once per transaction (what the transaction itself does not change, e.g. a workflow's row). */
  async memo<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (this.memos.has(key)) return this.memos.get(key) as T;
    const value = await load();
    this.memos.set(key, value);
    return value;
  }

  followUp(f: FollowUp): void {
    this.queue.push(f);
  }

  /** Notes that a run's durable waits changed; its running/waiting status is refreshed at settle. */
  markWaitsChanged(rc: RunCtx): void {
    this.waitsChanged.add(rc);
  }

  /** Handles queued follow-ups (and those they queue) until none is left, in order. */
  async drain(): Promise<void> {
    for (let f = this.queue.shift(); f; f = this.queue.shift()) await this.wiring.dispatch(this, f);
  }

  /** The last step before COMMIT: drain, refresh the wait status of runs whose waits changed, write the history. */
  async settle(): Promise<void> {
    await this.drain();
    for (const rc of this.waitsChanged) await this.wiring.refreshWaits(rc);
    this.waitsChanged.clear();
    await this.flushEvents();
  }

  private async flushEvents(): Promise<void> {
    const events = this.events;
    if (events.length === 0) return;
    await this.client.query(
      `INSERT INTO openclaw.run_event (run_id, step_key, type, data)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[])`,
      [
        events.map((e) => e.runId),
        events.map((e) => e.stepKey),
        events.map((e) => e.type),
        events.map((e) => (e.data === null || e.data === undefined ? null : JSON.stringify(e.data))),
      ],
    );
    events.length = 0;
  }
}
