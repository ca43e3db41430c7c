/**
 * Durations in specs: `500ms`, `30s`, `10m`, `2h`, `1d`, compounds such as `1h30m`, or a plain
 * number of milliseconds.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** The pattern the JSON Schema uses for duration strings (kept in sync with `parseDuration`). */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$';

const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)/gy;

/**
 * Parses a duration into whole milliseconds.
 *
 * @param s A non-negative number of milliseconds, or a string such as `500ms`, `30s`, `10m`,
 *   `2h`, `1d` or `1h30m` (fractions like `1.5s` are allowed and rounded to the millisecond).
 * @throws RangeError on anything else (empty strings, unknown units, negative or non-finite numbers).
 */
export function parseDuration(s: string | number): number {
  if (typeof s === 'number') {
    if (!Number.isFinite(s) || s < 0) throw new RangeError(`invalid duration ${String(s)}: must be a non-negative number of milliseconds`);
    return Math.round(s);
  }
  const text = s.trim();
  let total = 0;
  let pos = 0;
  PART.lastIndex = 0;
  while (pos < text.length) {
    PART.lastIndex = pos;
    const m = PART.exec(text);
    if (!m || m.index !== pos) break;
    total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
    pos = PART.lastIndex;
  }
  if (text.length === 0 || pos !== text.length || !Number.isSafeInteger(Math.round(total))) {
    throw new RangeError(`invalid duration ${JSON.stringify(s)}: use milliseconds or a string like 500ms, 30s, 10m, 2h, 1d`);
  }
  return Math.round(total);
}
