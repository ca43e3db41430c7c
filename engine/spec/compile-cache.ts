/**
 * `cache:` of a task step (docs/caching.md): `true`, or `{key?, ttl?, refresh?}`. The key and
 * `refresh` are templates evaluated when the step becomes ready (runs/task-cache.ts), so their
 * expressions are analysed with the step's others (what they read is loaded then); `secrets` are
 * refused in them (a key is stored, and a secret must never be).
 */
import { isObj, type CompileContext, type FieldAnalysis, type Obj } from './compile-context.js';
import { joinPointer } from './pointer.js';
import type { CacheDef } from './types.js';

/** An entry serves hits for this long when `cache.ttl` does not say. */
export const DEFAULT_CACHE_TTL_MS = 7 * 24 * 3600 * 1000;

/** The compiled `cache:` (the schema has checked its shape) and the expressions of its templates; no def when absent or false. */
export function parseCache(
  ctx: CompileContext,
  value: unknown,
  path: string,
  hasForEach: boolean,
): { def?: CacheDef; analyses: FieldAnalysis[] } {
  if (value !== true && !isObj(value)) return { analyses: [] };
  const spec: Obj = value === true ? {} : value;
  const at = joinPointer(path, 'cache');
  const analyses: FieldAnalysis[] = [];
  const ttl = ctx.duration(spec.ttl, joinPointer(at, 'ttl'));
  if (ttl !== null && ttl <= 0) ctx.problem(joinPointer(at, 'ttl'), '`cache.ttl` must be longer than 0 (e.g. 1h, 7d)');
  const def: CacheDef = { ttlMs: ttl ?? DEFAULT_CACHE_TTL_MS };
  if (spec.key !== undefined) {
    if (spec.key === null || spec.key === '')
      ctx.problem(joinPointer(at, 'key'), '`cache.key` must not be empty (leave it out for the default key)');
    analyses.push(...ctx.templates(spec.key, joinPointer(at, 'key'), { secrets: false, item: hasForEach }));
    def.key = spec.key;
  }
  if (spec.refresh !== undefined && spec.refresh !== false) {
    analyses.push(...ctx.condition(spec.refresh, joinPointer(at, 'refresh'), 'cache.refresh'));
    def.refresh = spec.refresh;
  }
  return { def, analyses };
}

/** True when the step's `cache:` has something to evaluate when it becomes ready (a key or a `refresh` template). */
export function cacheHasTemplates(def: CacheDef | undefined): boolean {
  return def !== undefined && (def.key !== undefined || def.refresh !== undefined);
}
