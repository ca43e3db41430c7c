/**
 * Skill versions and the ranges a spec uses to pick one (`wasm: { skill: name@range }`).
 *
 * Versions are plain `MAJOR.MINOR.PATCH` (no pre-release or build suffix). Ranges:
 * `1` (newest 1.x.y), `1.2` (newest 1.2.x), `1.2.3` or `=1.2.3` (exactly), `^1.2` / `^1.2.3`
 * (same major, at least that version; for 0.x the minor is fixed, as in npm), `~1.2` / `~1.2.3`
 * (same minor, at least that patch), and `*`, `latest` or nothing (the newest of all).
 */

export interface Version {
  major: number;
  minor: number;
  patch: number;
}

export interface VersionRange {
  /** Inclusive lower bound. */
  min: Version;
  /** Exclusive upper bound, or null for none. */
  below: Version | null;
  /** The range as written (for messages). */
  text: string;
}

const NUM = '(0|[1-9]\\d{0,8})';
const VERSION = new RegExp(`^${NUM}\\.${NUM}\\.${NUM}$`);
const PARTIAL = new RegExp(`^(\\^|~|=)?${NUM}(?:\\.${NUM}(?:\\.${NUM})?)?$`);

export function parseVersion(text: string): Version | null {
  const m = VERSION.exec(text);
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export function formatVersion(v: Version): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** Parses a range; null when it is not one of the forms above. */
export function parseRange(text: string): VersionRange | null {
  const t = text.trim();
  if (t === '' || t === '*' || t === 'latest') return { min: { major: 0, minor: 0, patch: 0 }, below: null, text: t || '*' };
  const m = PARTIAL.exec(t);
  if (!m) return null;
  const op = m[1] ?? '';
  const major = Number(m[2]);
  const minor = m[3] === undefined ? undefined : Number(m[3]);
  const patch = m[4] === undefined ? undefined : Number(m[4]);
  const min = { major, minor: minor ?? 0, patch: patch ?? 0 };
  let below: Version;
  if (minor === undefined) below = { major: major + 1, minor: 0, patch: 0 };
  else if (patch === undefined || op === '~') {
    below = op === '^' && major > 0 ? { major: major + 1, minor: 0, patch: 0 } : { major, minor: minor + 1, patch: 0 };
  } else if (op === '^') {
    below =
      major > 0
        ? { major: major + 1, minor: 0, patch: 0 }
        : minor > 0
          ? { major: 0, minor: minor + 1, patch: 0 }
          : { major: 0, minor: 0, patch: patch + 1 };
  } else {
    // `1.2.3` and `=1.2.3`: exactly.
    below = { major, minor, patch: patch + 1 };
  }
  return { min, below, text: t };
}

export function satisfies(v: Version, range: VersionRange): boolean {
  return compareVersions(v, range.min) >= 0 && (range.below === null || compareVersions(v, range.below) < 0);
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
