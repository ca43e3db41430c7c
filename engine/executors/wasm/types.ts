import type { SkillManifest } from '../../skills/manifest.js';

/** A registry entry picked for a task. */
export interface ResolvedSkill {
  name: string;
  version: string;
  /** Hex sha256 of the component bytes: the cache key for transpiled and compiled code. */
  sha256: string;
  manifest: SkillManifest;
  /** The component bytes; only called when the digest is not cached yet (components are ~12 MB). */
  loadComponent(): Promise<Uint8Array>;
}

/**
 * Finds the newest version of `name` registered in `namespace` (the run's) that satisfies `range`
 * (`1`, `1.2`, `^1.2`, `1.2.3`, `*`; see engine/skills/semver.ts), or null. Injected: executors
 * never touch the database.
 */
export type ResolveSkill = (name: string, range: string, namespace: string) => Promise<ResolvedSkill | null>;
