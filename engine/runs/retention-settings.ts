/**
 * Run retention settings (docs/operations.md, "Retention"): how long a finished run is kept is the
 * most specific of its workflow's `retention:` (the latest version's), its namespace's entry in
 * `OPENCLAW_RUN_RETENTION_BY_NAMESPACE`, and `OPENCLAW_RUN_RETENTION_DAYS`. 0 keeps runs forever.
 * Pure: no database (config.ts parses the setting with it at start-up).
 */
import { parseDuration } from '../spec/duration.js';
import { NAMESPACE_PATTERN } from '../vocabulary/roles.js';

const DAY_MS = 86_400_000;
const SETTING = 'runRetentionByNamespace (OPENCLAW_RUN_RETENTION_BY_NAMESPACE)';

/**
 * Parses `team-a=7d,team-b=90d,archive=0` into namespace -> retention in ms ('' = no overrides).
 * Durations as in specs (`12h`, `7d`, `1d12h`, or milliseconds); 0 keeps that namespace's runs forever.
 *
 * @throws Error naming the setting and the first bad entry.
 */
export function parseRetentionByNamespace(raw: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of raw.split(',')) {
    const text = entry.trim();
    if (!text) continue;
    const eq = text.indexOf('=');
    const ns = eq < 0 ? '' : text.slice(0, eq).trim();
    const value = eq < 0 ? '' : text.slice(eq + 1).trim();
    if (!NAMESPACE_PATTERN.test(ns) || !value) {
      throw new Error(`${SETTING}: ${JSON.stringify(text)} is not <namespace>=<duration>, e.g. team-a=7d,team-b=90d`);
    }
    if (out.has(ns)) throw new Error(`${SETTING}: namespace ${ns} is given twice`);
    try {
      out.set(ns, parseDuration(/^[0-9]+$/.test(value) ? Number(value) : value));
    } catch (err) {
      throw new Error(`${SETTING}: ${ns}: ${(err as Error).message}`);
    }
  }
  return out;
}

/** What decides a run's retention, as configured for the engine. */
export interface RetentionDefaults {
  /** OPENCLAW_RUN_RETENTION_DAYS (0: forever). */
  runRetentionDays: number;
  /** OPENCLAW_RUN_RETENTION_BY_NAMESPACE, parsed. */
  runRetentionByNamespace: ReadonlyMap<string, number>;
}

/**
 * The retention (ms; 0 = forever) of the runs of a workflow: its `retention:` when set, else its
 * namespace's, else the global one. The most specific wins.
 */
export function effectiveRetentionMs(
  defaults: RetentionDefaults,
  namespace: string,
  workflowRetentionMs: number | null | undefined,
): number {
  if (typeof workflowRetentionMs === 'number') return workflowRetentionMs;
  const ns = defaults.runRetentionByNamespace.get(namespace);
  if (ns !== undefined) return ns;
  return Math.round(defaults.runRetentionDays * DAY_MS);
}
