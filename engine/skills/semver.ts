/**
 * Skill versions and the ranges a spec uses to pick one (`wasm: { skill: name@range }`).
 *
 * Versions are plain `MAJOR.MINOR.PATCH` (no pre-release or build suffix). Ranges:
 * `1` (newest 1.x.y), `1.2` (newest 1.2.x), `1.2.3` or `=1.2.3` (exactly), `^1.2` / `^1.2.3`
 * (same major, at least that version; for 0.x the minor is fixed, as in npm), `~1.2` / `~1.2.3`
 * (same minor, at least that patch), and `*`, `latest` or nothing (the newest of all).
 * Matching and ordering are npm's `semver`; this module only fixes which forms a spec may write.
 */
import semver from 'semver';

export interface Version {
  major: number;
  minor: number;
  patch: number;
}

export interface VersionRange {
  /** The range as npm's `semver` understands it. */
  range: semver.Range;
  /** The range as written (for messages). */
  text: string;
}

const NUM = '(0|[1-9]\\d{0,8})';
const VERSION = new RegExp(`^${NUM}\\.${NUM}\\.${NUM}$`);
/** The range forms a spec may use (a subset of npm's syntax; `semver` does the matching). */
const PARTIAL = new RegExp(`^(\\^|~|=)?${NUM}(?:\\.${NUM}(?:\\.${NUM})?)?$`);

export function parseVersion(text: string): Version | null {
  if (!VERSION.test(text)) return null;
  const v = semver.parse(text);
  return v ? { major: v.major, minor: v.minor, patch: v.patch } : null;
}

export function formatVersion(v: Version): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

export function compareVersions(a: Version, b: Version): number {
  return semver.compare(formatVersion(a), formatVersion(b));
}

/** Parses a range; null when it is not one of the forms above. */
export function parseRange(text: string): VersionRange | null {
  const t = text.trim();
  if (t === '' || t === '*' || t === 'latest') return { range: new semver.Range('*'), text: t || '*' };
  if (!PARTIAL.test(t)) return null;
  return { range: new semver.Range(t), text: t };
}

export function satisfies(v: Version, range: VersionRange): boolean {
  return range.range.test(formatVersion(v));
}

/** The newest version that satisfies the range, or undefined. */
export function maxSatisfying<T extends Version>(versions: readonly T[], range: VersionRange): T | undefined {
  let best: T | undefined;
  for (const v of versions) if (satisfies(v, range) && (!best || compareVersions(v, best) > 0)) best = v;
  return best;
}

export interface SkillRef {
  name: string;
  range: VersionRange;
  /** As written in the spec. */
  text: string;
}

export const SKILL_NAME_PATTERN = '^[a-z][a-z0-9-]{0,62}$';
const SKILL_NAME = new RegExp(SKILL_NAME_PATTERN);

/** `name@range` or `name`; null when malformed. */
export function parseSkillRef(text: string): SkillRef | null {
  const at = text.indexOf('@');
  const name = at < 0 ? text : text.slice(0, at);
  const rangeText = at < 0 ? '' : text.slice(at + 1);
  if (!SKILL_NAME.test(name)) return null;
  if (at >= 0 && rangeText === '') return null;
  const range = parseRange(rangeText);
  return range ? { name, range, text } : null;
}
