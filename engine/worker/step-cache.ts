/**
 * The step cache at the worker (docs/caching.md). Before a claimed step with `cache:` executes, its
 * key is looked up in `step_cache` (migrations/0019_step_cache.sql):
 *
 * - the key: `cache.key` as evaluated when the step became ready (hashed into `step.cache`), else
 *   the default key, a sha256 of the evaluated task block (secret placeholders, never values), the
 *   input (a large one by its digest) and the name and sha256 of each input artifact (`defaultCacheKey`);
 * - a live filled entry (not expired, database clock) is a hit: the task is not executed, and the
 *   success reports the source's output and its artifacts as new rows naming the same store
 *   objects (`cached_from` = the source artifact); the completion records where it came from;
 * - otherwise this attempt takes the entry's row as `pending` (its step id and lease token) and
 *   executes; its fenced success fills the entry (runs/task-cache.ts);
 * - a row pending under another attempt that still holds its lease means the same work is running
 *   elsewhere: this step waits (`deferCachedStep`: handed back without spending an attempt) and
 *   looks again later, when it hits. A pending row whose attempt lost its lease (died, failed,
 *   retried) is taken over.
 * - refresh (the run's `cache: refresh`, or `cache.refresh`): no lookup and no pending row; the step
 *   executes and its success replaces the entry.
 *
 * Taking the pending row is one INSERT ... ON CONFLICT DO UPDATE ... WHERE: the conflicting row is
 * locked and its latest version judged, so of two attempts looking up the same key at once exactly
 * one becomes the owner.
 */
import { createHash } from 'node:crypto';
import { isJsonRef, refIdentity } from '../artifacts/json-ref.js';
import type { ProducedArtifact } from '../artifacts/service.js';
import type { Queryable } from '../db/pool.js';
import type { ArtifactRef, Executor } from '../executors/types.js';
import { canonicalJson } from '../spec/content-hash.js';
import type { TaskFields } from '../spec/types.js';
import { releaseLease, type ClaimedStep } from './claim.js';
import type { CacheReport, CachedFrom, EngineCore } from './runs-api.js';

/** A source's artifact served as this step's: the same object, `cached_from` the source artifact's id. */
export type CachedArtifact = ProducedArtifact & { cachedFrom: string };

/** What to do with a claimed step that has `cache:`. */
export type CacheDecision =
  /** Execute; `report` (null when the lease is already gone) makes the success fill the entry. */
  | { kind: 'execute'; report: CacheReport | null }
  | { kind: 'hit'; output: unknown; artifacts: CachedArtifact[]; report: CacheReport & { hit: CachedFrom } }
  /** The entry is being filled by another attempt: hand the step back for `delayMs`. */
  | { kind: 'wait'; delayMs: number; owner: { runId: string; stepKey: string } };

/** A waiting step looks again after half the time its owner has run so far, within these bounds. */
const MIN_WAIT_MS = 1_000;
const MAX_WAIT_MS = 30_000;
/** Lookups before a step whose entry keeps changing under it just executes. */
const MAX_LOOKUPS = 3;

/** The default key: the evaluated task block, input and input artifact digests (and the declared outputs). */
export function defaultCacheKey(step: ClaimedStep, node: TaskFields, inputs: ReadonlyArray<ArtifactRef>): string {
  const material = {
    v: 1,
    kind: node.task.kind,
    task: node.task.kind === 'builtin' ? node.task.run : (step.task_spec ?? node.task.spec),
    // A large input is a reference to its object: its digest, not its object key (new each run), is the value's identity.
    input: isJsonRef(step.input) ? refIdentity(step.input) : (step.input ?? null),
    in: inputs.map((i) => ({ name: i.name, sha256: i.sha256 })).sort((a, b) => (a.name < b.name ? -1 : 1)),
    out: node.artifacts?.out ?? [],
  };
  return createHash('sha256').update(canonicalJson(material)).digest('hex');
}

interface OwnRow {
  cache_key: string;
  refresh: boolean;
  owner: boolean;
}

/**
 * Decides the key and, unless refreshing, takes the entry's row as pending when nothing live holds
 * it (no filled entry within its TTL, no other attempt filling it under a live lease).
 */
async function takeOrObserve(db: Queryable, step: ClaimedStep, fallbackKey: string | null): Promise<OwnRow | undefined> {
  const { rows } = await db.query<OwnRow>(
    `WITH me AS (
       SELECT s.id, s.run_id, s.key, s.name, s.lease_token, r.namespace, r.workflow,
              coalesce(s.cache->>'key', $3::text) AS cache_key,
              (r.cache_refresh OR coalesce((s.cache->>'refresh')::boolean, false)) AS refresh
         FROM openclaw.step s JOIN openclaw.run r ON r.id = s.run_id
        WHERE s.id = $1 AND s.lease_token = $2 AND s.status = 'running'
     ), own AS (
       INSERT INTO openclaw.step_cache AS c (namespace, workflow, step_name, cache_key, state, run_id, step_id, step_key, lease_token)
       SELECT namespace, workflow, name, cache_key, 'pending', run_id, id, key, lease_token FROM me WHERE NOT refresh
       ON CONFLICT (namespace, workflow, step_name, cache_key) DO UPDATE
          SET state = 'pending', run_id = EXCLUDED.run_id, step_id = EXCLUDED.step_id, step_key = EXCLUDED.step_key,
              lease_token = EXCLUDED.lease_token, created_at = now(), expires_at = NULL
        WHERE NOT (c.state = 'filled' AND c.expires_at > now())
          AND NOT (c.state = 'pending' AND c.step_id <> EXCLUDED.step_id AND EXISTS (
                SELECT 1 FROM openclaw.step o
                 WHERE o.id = c.step_id AND o.status = 'running' AND o.lease_token = c.lease_token AND o.lease_expires_at > now()))
       RETURNING 1
     )
     SELECT cache_key, refresh, EXISTS (SELECT 1 FROM own) AS owner FROM me`,
    [step.id, step.lease_token, fallbackKey],
  );
  return rows[0];
}

interface EntryRow {
  state: 'pending' | 'filled';
  run_id: string;
  step_key: string;
  created_at: Date;
  fresh: boolean;
  owner_live: boolean;
  owner_seconds: number;
  output: unknown;
  artifacts: Array<ProducedArtifact & { id: string }>;
}

/** The entry another attempt holds, with the source's output and artifacts when it is filled. */
async function readEntry(db: Queryable, step: ClaimedStep, key: string): Promise<EntryRow | undefined> {
  const { rows } = await db.query<EntryRow>(
    `SELECT c.state, c.run_id, c.step_key, c.created_at,
            (c.state = 'filled' AND c.expires_at > now() AND s.status = 'succeeded') AS fresh,
            (c.state = 'pending' AND s.status = 'running' AND s.lease_token = c.lease_token AND s.lease_expires_at > now()) AS owner_live,
            coalesce(extract(epoch FROM now() - s.started_at), 0)::float8 AS owner_seconds,
            CASE WHEN c.state = 'filled' THEN s.output END AS output,
            CASE WHEN c.state = 'filled' THEN coalesce((
              SELECT jsonb_agg(jsonb_build_object('id', a.id, 'name', a.name, 'kind', a.kind, 'key', a.object_key, 'size', a.size,
                                                  'sha256', a.sha256, 'mediaType', a.media_type) ORDER BY a.name)
                FROM openclaw.artifact a WHERE a.step_id = c.step_id), '[]'::jsonb) END AS artifacts
       FROM openclaw.step_cache c JOIN openclaw.step s ON s.id = c.step_id
      WHERE c.namespace = $1 AND c.workflow = $2 AND c.step_name = $3 AND c.cache_key = $4`,
    [step.namespace, step.workflow, step.name, key],
  );
  return rows[0];
}

/**
 * The source's artifacts as this step's: file artifacts this step declares (a required one missing
 * makes the entry useless: null) and large-JSON ones, naming the same objects.
 */
function servedArtifacts(node: TaskFields, entry: EntryRow): CachedArtifact[] | null {
  const declared = node.artifacts?.out ?? [];
  const files = new Set(entry.artifacts.filter((a) => a.kind === 'file').map((a) => a.name));
  if (declared.some((o) => !o.optional && !files.has(o.name))) return null;
  return entry.artifacts
    .filter((a) => a.kind !== 'file' || declared.some((o) => o.name === a.name))
    .map(({ id, ...a }) => ({ ...a, size: Number(a.size), cachedFrom: id }));
}

/** Looks a claimed step with `cache:` up (see the top of this file). */
export async function lookupStepCache(
  core: EngineCore,
  step: ClaimedStep,
  node: TaskFields,
  inputs: ReadonlyArray<ArtifactRef>,
): Promise<CacheDecision> {
  const ttlMs = node.cache?.ttlMs ?? 0;
  const fallback = node.cache?.key === undefined ? defaultCacheKey(step, node, inputs) : null;
  let report: CacheReport | null = null;
  for (let i = 0; i < MAX_LOOKUPS; i++) {
    const own = await takeOrObserve(core.pool, step, fallback);
    if (!own) return { kind: 'execute', report: null };
    report = { key: own.cache_key, ttlMs };
    if (own.owner || own.refresh) return { kind: 'execute', report };
    const entry = await readEntry(core.pool, step, own.cache_key);
    if (entry?.fresh) {
      const artifacts = servedArtifacts(node, entry);
      if (!artifacts) return { kind: 'execute', report };
      const hit: CachedFrom = { runId: entry.run_id, stepKey: entry.step_key, at: entry.created_at.toISOString() };
      return { kind: 'hit', output: entry.output ?? null, artifacts, report: { ...report, hit } };
    }
    if (entry?.owner_live) {
      const delayMs = Math.min(MAX_WAIT_MS, Math.max(MIN_WAIT_MS, (entry.owner_seconds * 1000) / 2));
      return { kind: 'wait', delayMs, owner: { runId: entry.run_id, stepKey: entry.step_key } };
    }
    // The entry changed between the two statements (expired, its owner just ended): look again.
  }
  return { kind: 'execute', report };
}

/** Stands in for the executor on a hit: the task is not executed, its output is the source's. */
export function servedFromCache(output: unknown): Pick<Executor, 'execute'> {
  return { execute: () => Promise.resolve(output) };
}

/**
 * Hands a waiting step back (fenced by its lease token like a completion): ready again after
 * `delayMs` (database clock), its attempt not spent. The attempt row says `released` (a hand-back,
 * as at shutdown); the history says `step.deferred` and whose work it waits for.
 */
export function deferCachedStep(
  db: Queryable,
  workerId: string,
  step: { id: string; lease_token: string },
  wait: Extract<CacheDecision, { kind: 'wait' }>,
): Promise<boolean> {
  const data = { ownerRunId: wait.owner.runId, ownerStepKey: wait.owner.stepKey, delayMs: Math.round(wait.delayMs) };
  return releaseLease(db, workerId, step, { delayMs: wait.delayMs, event: 'step.deferred', data });
}
