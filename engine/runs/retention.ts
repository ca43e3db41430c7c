/**
 * Run retention (docs/operations.md, "Retention"). Finished runs are deleted once they are past
 * their retention: the workflow's `retention:` (its latest version's), else its namespace's entry in
 * OPENCLAW_RUN_RETENTION_BY_NAMESPACE, else OPENCLAW_RUN_RETENTION_DAYS (retention-settings.ts),
 * counted from the run's `finished_at` on the database clock. The scheduler leader runs a pass every
 * RUN_RETENTION_INTERVAL_MS (`pruneRuns`); `purgeRuns` is `POST /v1/runs/purge`.
 *
 * What is deleted is a run TREE: a root run (no parent) and its child runs, all together, and only
 * when every run of the tree is finished; a child run is never deleted on its own (its root decides).
 * So active runs, and the parents of active runs, are never touched. With a run go its steps,
 * attempts, history, step logs, signals and dead letters (replayed or not: ON DELETE CASCADE), its
 * webhook delivery record and its cron fire record (explicit DELETEs).
 *
 * The hot path does not notice: each batch (OPENCLAW_RUN_RETENTION_BATCH roots, default 500) is one
 * short transaction that locks its runs `FOR UPDATE SKIP LOCKED` (a run some transition holds is
 * skipped, never waited for; no transition touches a finished run's steps, so the cascades wait on
 * nobody either), and batches are paced to at most OPENCLAW_RUN_RETENTION_RATE runs a second.
 */
import type pg from 'pg';
import type { EngineCore } from '../core/engine-core.js';
import { withTx } from '../db/tx.js';
import { SQL } from '../vocabulary/statuses.js';
import { effectiveRetentionMs } from './retention-settings.js';

/** How often the scheduler leader starts a retention pass. */
export const RUN_RETENTION_INTERVAL_MS = 60_000;

/** A purge call stops starting batches after this long (`more: true`), so an HTTP request stays short. */
export const PURGE_CALL_MS = 10_000;

/** One group of candidates: root runs of one workflow finished before `before`, or more than `secs` ago. */
export interface RetentionRule {
  namespace: string;
  workflow: string;
  before: Date | null;
  secs: number | null;
}

export interface BatchResult {
  /** Runs deleted (roots and their child runs). */
  deleted: number;
  /** Root runs locked as candidates (fewer than the limit: nothing more to find). */
  candidates: number;
  /** Candidate roots kept because a run of their tree is active or locked. */
  kept: string[];
}

const TERMINAL = SQL.terminalRun;

/**
 * The retention rule of every workflow whose runs expire: (namespace, workflow) with the effective
 * retention; workflows kept forever (0) are left out.
 */
export async function retentionRules(core: EngineCore): Promise<RetentionRule[]> {
  const { rows } = await core.pool.query<{ namespace: string; name: string; retention_ms: string | null }>(
    `SELECT w.namespace, w.name, (v.graph->>'retentionMs')::bigint AS retention_ms
       FROM openclaw.workflow w
       JOIN openclaw.workflow_version v ON v.namespace = w.namespace AND v.name = w.name AND v.version = w.latest_version`,
  );
  const rules: RetentionRule[] = [];
  for (const r of rows) {
    const ms = effectiveRetentionMs(core.config, r.namespace, r.retention_ms === null ? null : Number(r.retention_ms));
    if (ms > 0) rules.push({ namespace: r.namespace, workflow: r.name, before: null, secs: ms / 1000 });
  }
  return rules;
}

/** The purge rules of a namespace (or of one of its workflows): root runs finished before `before`. */
async function purgeRules(core: EngineCore, ns: string, before: Date, workflow: string | undefined): Promise<RetentionRule[]> {
  const { rows } = await core.pool.query<{ name: string }>(
    'SELECT name FROM openclaw.workflow WHERE namespace = $1 AND ($2::text IS NULL OR name = $2) ORDER BY name',
    [ns, workflow ?? null],
  );
  return rows.map((r) => ({ namespace: ns, workflow: r.name, before, secs: null }));
}

const rulesParams = (rules: RetentionRule[]): unknown[] => [
  rules.map((r) => r.namespace),
  rules.map((r) => r.workflow),
  rules.map((r) => r.before),
  rules.map((r) => r.secs),
];

/** Root runs matching the rules (`$1`-`$4`), skipping `$5`, oldest first per workflow; `{lock}` is the locking clause. */
const CANDIDATES = `
  SELECT c.id FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::float8[]) AS g(namespace, workflow, before, secs)
  CROSS JOIN LATERAL (
    SELECT r.id FROM openclaw.run r
     WHERE r.namespace = g.namespace AND r.workflow = g.workflow
       AND r.status IN (${TERMINAL}) AND r.parent_run_id IS NULL
       AND r.finished_at < coalesce(g.before, now() - make_interval(secs => g.secs))
       AND r.id <> ALL($5::uuid[])
       AND NOT EXISTS (SELECT 1 FROM openclaw.run a WHERE a.parent_run_id = r.id AND a.status NOT IN (${TERMINAL}))
     ORDER BY r.finished_at
     {limit}
  ) c`;

/** The child runs (any depth) of the given roots: (root, id). */
const DESCENDANTS = `
  WITH RECURSIVE tree(root, id) AS (
    SELECT t.id, t.id FROM unnest($1::uuid[]) AS t(id)
    UNION ALL
    SELECT tree.root, c.id FROM tree JOIN openclaw.run c ON c.parent_run_id = tree.id
  )
  SELECT root, id FROM tree WHERE id <> root`;

/**
 * One batch in one transaction: locks up to `limit` candidate roots (SKIP LOCKED), then their
 * child runs (SKIP LOCKED), keeps every tree with an active or locked run, and deletes the rest with
 * their webhook delivery and cron fire records (the foreign keys cascade to everything else).
 */
export async function deleteBatch(core: EngineCore, rules: RetentionRule[], limit: number, skip: string[] = []): Promise<BatchResult> {
  if (rules.length === 0) return { deleted: 0, candidates: 0, kept: [] };
  return await withTx(core.pool, async (client: pg.PoolClient) => {
    const { rows: roots } = await client.query<{ id: string }>(
      `${CANDIDATES.replace('{limit}', 'LIMIT $6 FOR UPDATE SKIP LOCKED')} LIMIT $6`,
      [...rulesParams(rules), skip, limit],
    );
    if (roots.length === 0) return { deleted: 0, candidates: 0, kept: [] };
    const rootIds = roots.map((r) => r.id);
    const kept = new Set<string>();
    const { rows: children } = await client.query<{ root: string; id: string }>(DESCENDANTS, [rootIds]);
    if (children.length > 0) {
      const { rows: locked } = await client.query<{ id: string }>(
        `SELECT id FROM openclaw.run WHERE id = ANY($1::uuid[]) AND status IN (${TERMINAL}) FOR UPDATE SKIP LOCKED`,
        [children.map((c) => c.id)],
      );
      const ok = new Set(locked.map((l) => l.id));
      for (const c of children) if (!ok.has(c.id)) kept.add(c.root);
    }
    const ids = [...rootIds.filter((id) => !kept.has(id)), ...children.filter((c) => !kept.has(c.root)).map((c) => c.id)];
    let deleted = 0;
    if (ids.length > 0) {
      const res = await client.query(
        `WITH wd AS (DELETE FROM openclaw.webhook_delivery WHERE run_id = ANY($1::uuid[])),
              sf AS (DELETE FROM openclaw.schedule_fire WHERE run_id = ANY($1::uuid[]))
         DELETE FROM openclaw.run WHERE id = ANY($1::uuid[])`,
        [ids],
      );
      deleted = res.rowCount ?? 0;
    }
    return { deleted, candidates: roots.length, kept: [...kept] };
  });
}

/** How many runs the rules would delete now (trees with an active run excluded), without deleting. */
export async function countDeletable(core: EngineCore, rules: RetentionRule[]): Promise<number> {
  if (rules.length === 0) return 0;
  const { rows } = await core.pool.query<{ n: string }>(
    `WITH RECURSIVE roots AS (${CANDIDATES.replace('{limit}', '')}),
     tree(root, id) AS (
       SELECT id, id FROM roots
       UNION ALL
       SELECT tree.root, c.id FROM tree JOIN openclaw.run c ON c.parent_run_id = tree.id
     ),
     per AS (
       SELECT t.root, count(*) AS n, bool_and(r.status IN (${TERMINAL})) AS done
         FROM tree t JOIN openclaw.run r ON r.id = t.id GROUP BY t.root
     )
     SELECT coalesce(sum(n), 0) AS n FROM per WHERE done`,
    [...rulesParams(rules), []],
  );
  return Number(rows[0]?.n ?? 0);
}

export interface DeleteLoopOptions {
  /** Stop after this many runs (default: until nothing is left). */
  max?: number;
  /** Checked between batches: true stops the loop (leadership lost, shutting down). */
  shouldStop?: () => boolean;
}

export interface DeleteLoopReport {
  deleted: number;
  batches: number;
  /** Roots kept because a run of their tree was active or locked. */
  kept: number;
  /** True when the loop stopped (max, shouldStop) with candidates left. */
  more: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Whether any candidate is left (roots in `skip` aside). */
async function anyLeft(core: EngineCore, rules: RetentionRule[], skip: string[]): Promise<boolean> {
  const { rows } = await core.pool.query(`${CANDIDATES.replace('{limit}', 'LIMIT 1')} LIMIT 1`, [...rulesParams(rules), skip]);
  return rows.length > 0;
}

/** Deletes batch after batch, at most `runRetentionRate` runs a second, until none is left (or `max`, or told to stop). */
export async function deleteInBatches(core: EngineCore, rules: RetentionRule[], opts: DeleteLoopOptions = {}): Promise<DeleteLoopReport> {
  const { runRetentionBatchSize: batch, runRetentionRate: rate } = core.config;
  const report: DeleteLoopReport = { deleted: 0, batches: 0, kept: 0, more: false };
  const skip: string[] = [];
  for (;;) {
    const left = opts.max === undefined ? batch : Math.min(batch, opts.max - report.deleted);
    if (left <= 0 || opts.shouldStop?.()) {
      report.more = await anyLeft(core, rules, skip);
      break;
    }
    const began = performance.now();
    const res = await deleteBatch(core, rules, left, skip);
    report.batches++;
    report.deleted += res.deleted;
    report.kept += res.kept.length;
    skip.push(...res.kept);
    if (res.candidates < left) break;
    // Pace: a batch of n runs takes at least n / rate seconds; sleep what it did not use.
    if (rate > 0) await sleep(Math.max(0, (res.deleted / rate) * 1000 - (performance.now() - began)));
  }
  return report;
}

/** The leader's retention pass: every workflow's expired runs, batch by batch. */
export async function pruneRuns(core: EngineCore, opts: Pick<DeleteLoopOptions, 'shouldStop'> = {}): Promise<DeleteLoopReport> {
  const rules = await retentionRules(core);
  const report = await deleteInBatches(core, rules, opts);
  if (report.deleted > 0 || report.kept > 0) {
    core.log.info(
      { deleted: report.deleted, batches: report.batches, keptForActiveRuns: report.kept, stopped: report.more },
      'run retention: finished runs deleted',
    );
  }
  return report;
}

export interface PurgeOptions {
  /** Root runs that finished before this time. */
  before: Date;
  /** Only runs of this workflow (their child runs go with them). */
  workflow?: string;
  /** Count what would be deleted; delete nothing. */
  dryRun?: boolean;
  /** Delete at most this many runs in this call, and for at most PURGE_CALL_MS (`more` says whether some are left). */
  limit?: number;
}

export type PurgeResult = { wouldDelete: number } | { deleted: number; more: boolean };

/** `POST /v1/runs/purge`: the finished runs of namespace `ns` finished before a time, whatever their retention. */
export async function purgeRuns(core: EngineCore, ns: string, opts: PurgeOptions): Promise<PurgeResult> {
  const rules = await purgeRules(core, ns, opts.before, opts.workflow);
  if (opts.dryRun) return { wouldDelete: await countDeletable(core, rules) };
  const began = performance.now();
  const report = await deleteInBatches(core, rules, {
    max: opts.limit ?? 10_000,
    shouldStop: () => performance.now() - began > PURGE_CALL_MS,
  });
  core.log.info(
    { namespace: ns, workflow: opts.workflow, before: opts.before.toISOString(), deleted: report.deleted, more: report.more },
    'runs purged',
  );
  return { deleted: report.deleted, more: report.more };
}
