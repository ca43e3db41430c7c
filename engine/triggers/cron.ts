/**
 * Cron maths, pure: no database, no process clock. Every function takes the instant it reasons
 * about (`now`, `after`) as a parameter, so the firing code passes the database clock and the
 * unit tests pass whatever they like (test/unit/cron.test.ts).
 *
 * All calendar arithmetic is cron-parser's (v5: 5 or 6 fields, `@daily`-style names, `H`
 * hashes, IANA time zones via its own date library); this module only walks its iterator forward
 * and decides which ticks fire. Daylight-saving behaviour is therefore cron-parser's, measured and
 * pinned by the tests (see docs/schedules.md):
 *
 * - a wall-clock time that does not exist (02:30 on a spring-forward day in Europe/Berlin or
 *   America/New_York) fires once, one gap later (03:30 local: the same instant as 02:30 in the
 *   offset before the change — like RFC 5545 and JavaScript Temporal's `compatible`);
 * - a wall-clock time that occurs twice (02:30 on Berlin's fall-back day, 01:30 on New York's)
 *   fires once, at its first occurrence;
 * - expressions with wildcard or stepped hours (`0 * * * *`, `*\/15 * * * *`) follow elapsed
 *   time: every real hour fires, both repeated ones included, none fires twice.
 *
 * Only `next()` decides which ticks exist. cron-parser's `prev()` disagrees with `next()` around a
 * fall-back change (it returns both occurrences of a repeated time), so `prev()` is used solely to
 * find where to resume a very long forward walk, never to pick a tick.
 */
import { CronExpressionParser, type CronExpression } from 'cron-parser';

export const CATCH_UP_POLICIES = ['none', 'latest', 'all'] as const;
export type CatchUp = (typeof CATCH_UP_POLICIES)[number];
/** The policy of a cron trigger without `catchUp:` (the published schema's default). */
export const DEFAULT_CATCH_UP: CatchUp = 'latest';

export interface CronSpec {
  /** 5 fields, 6 with seconds first, or a name such as `@daily`. */
  cron: string;
  /** IANA time zone. */
  timezone: string;
  /** Seed for `H` (hashed) fields, so they land on the same minute every time: the schedule id. */
  seed?: string;
}

const CACHE_SIZE = 2000;
const parsed = new Map<string, CronExpression>();

/**
 * A parsed expression, cached: parsing costs about as much as ten `next()` calls. The iterator is
 * stateful, so callers reset it before use and never hold it across an `await`.
 */
function expression(spec: CronSpec): CronExpression {
  const key = `${spec.timezone}\u0000${spec.seed ?? ''}\u0000${spec.cron}`;
  let expr = parsed.get(key);
  if (expr) {
    parsed.delete(key);
  } else {
    expr = CronExpressionParser.parse(spec.cron, {
      tz: spec.timezone,
      currentDate: new Date(0),
      ...(spec.seed === undefined ? {} : { hashSeed: spec.seed }),
    });
    if (parsed.size >= CACHE_SIZE) parsed.delete(parsed.keys().next().value as string);
  }
  parsed.set(key, expr);
  return expr;
}

/** A forward walk over the ticks strictly after `after`; `null` when there are no more. */
function walker(spec: CronSpec, after: Date): () => Date | null {
  const expr = expression(spec);
  expr.reset(after);
  return () => {
    try {
      return expr.next().toDate();
    } catch {
      return null; // no further tick (cron-parser's loop limit: an expression that never matches again)
    }
  };
}

/** The first tick strictly after `after`, or null when the expression has none. */
export function nextFireAfter(spec: CronSpec, after: Date): Date | null {
  return walker(spec, after)();
}

/** The first `count` ticks strictly after `after` (fewer when the expression runs out). */
export function ticksAfter(spec: CronSpec, after: Date, count: number): Date[] {
  const next = walker(spec, after);
  const out: Date[] = [];
  for (let i = 0; i < count; i++) {
    const t = next();
    if (!t) break;
    out.push(t);
  }
  return out;
}

/**
 * An instant before `now` from which a forward walk meets at least the last `count` ticks at or
 * before `now` (cron-parser's `prev()`, used only as a starting point); null when unknown.
 */
function resumePoint(spec: CronSpec, now: Date, count: number): Date | null {
  const expr = expression(spec);
  expr.reset(new Date(now.getTime() + 1));
  let at: Date | null = null;
  try {
    for (let i = 0; i < count; i++) at = expr.prev().toDate();
  } catch {
    return at;
  }
  return at;
}

export interface PlanInput extends CronSpec {
  catchUp: CatchUp;
  /** The oldest tick not yet fired (the schedule's `next_fire_at`). */
  nextFireAt: Date;
  /** The database clock. */
  now: Date;
  /** A tick at most this late is late, not missed: it fires under every policy. */
  graceMs: number;
  /** The most ticks one plan fires (OPENCLAW_CRON_MAX_CATCHUP); the oldest beyond it are skipped. */
  maxCatchUp: number;
  /**
   * How many due ticks are walked one by one before the walk jumps to just before the last
   * `maxCatchUp + 1` (a per-second schedule after a day of downtime); beyond it `skippedExact` is false.
   */
  scanLimit?: number;
}

export interface TickPlan {
  /** The ticks to fire now, oldest first (always the most recent due ticks). */
  fire: Date[];
  /** Due ticks that will never fire: missed beyond the policy, or beyond `maxCatchUp`. */
  skipped: number;
  /** False when a long backlog was jumped over: `skipped` is then a lower bound. */
  skippedExact: boolean;
  /** The oldest and the newest skipped tick (null when none was skipped). */
  skippedFrom: Date | null;
  skippedTo: Date | null;
  /** The first tick after `now`: the schedule's new `next_fire_at` (null: the expression has no more). */
  next: Date | null;
}

/**
 * Which of a schedule's due ticks (`nextFireAt <= tick <= now`) fire now. A tick no more than
 * `graceMs` late is *late* and always fires; older ones are *missed*, and `catchUp` decides:
 * `none` fires no missed tick, `latest` the most recent missed tick when no tick is merely late,
 * `all` every missed tick. At most `maxCatchUp` ticks fire — the most recent ones; what is older is
 * skipped (and reported, never silently dropped). The fired ticks are always the newest due ticks.
 */
export function planTicks(input: PlanInput): TickPlan {
  const { now, nextFireAt } = input;
  const none: TickPlan = { fire: [], skipped: 0, skippedExact: true, skippedFrom: null, skippedTo: null, next: nextFireAt };
  if (nextFireAt.getTime() > now.getTime()) return none;
  const max = Math.max(1, Math.floor(input.maxCatchUp));
  const scanLimit = input.scanLimit ?? 1000;
  const graceStart = now.getTime() - input.graceMs;
  // The last max + 1 due ticks (enough for every policy, plus the newest skipped one).
  const recent: Date[] = [];
  let due = 0;
  let late = 0;
  let exact = true;
  let jumped = false;
  let next = walker(input, nextFireAt);
  let t: Date | null = nextFireAt;
  while (t !== null && t.getTime() <= now.getTime()) {
    due++;
    if (t.getTime() >= graceStart) late++;
    recent.push(t);
    if (recent.length > max + 1) recent.shift();
    if (!jumped && due >= scanLimit) {
      jumped = true;
      const from = resumePoint(input, now, max + 1);
      // Ticks between t and `from` are skipped without being counted one by one. (resumePoint
      // moved the shared iterator, so the walk restarts either way.)
      const farther = from !== null && from.getTime() > t.getTime();
      if (farther) exact = false;
      next = walker(input, farther ? new Date(from.getTime() - 1) : t);
    }
    t = next();
  }
  const missed = due - late;
  let n = input.catchUp === 'all' ? due : late > 0 ? late : input.catchUp === 'latest' && missed > 0 ? 1 : 0;
  n = Math.min(n, max);
  const fire = n === 0 ? [] : recent.slice(-n);
  const skipped = due - n;
  return {
    fire,
    skipped,
    skippedExact: exact,
    skippedFrom: skipped > 0 ? nextFireAt : null,
    skippedTo: skipped > 0 ? (recent[recent.length - n - 1] ?? null) : null,
    next: t,
  };
}

const localFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * An instant as wall-clock time in `timeZone`: `local` is ISO 8601 with the zone's offset
 * (`2026-03-29T03:30:00+02:00`), `date` the local calendar date (`2026-03-29`).
 */
export function zonedTime(at: Date, timeZone: string): { local: string; date: string } {
  let fmt = localFormats.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    if (localFormats.size > 500) localFormats.clear();
    localFormats.set(timeZone, fmt);
  }
  const p: Record<string, string> = {};
  for (const part of fmt.formatToParts(at)) p[part.type] = part.value;
  const y = Number(p.year);
  const mo = Number(p.month);
  const d = Number(p.day);
  const h = Number(p.hour);
  const mi = Number(p.minute);
  const s = Number(p.second);
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  const offsetMin = Math.round((asUtc - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
  const pad = (n: number, w = 2): string => String(Math.abs(n)).padStart(w, '0');
  const date = `${pad(y, 4)}-${pad(mo)}-${pad(d)}`;
  const offset = `${offsetMin < 0 ? '-' : '+'}${pad(Math.trunc(Math.abs(offsetMin) / 60))}:${pad(Math.abs(offsetMin) % 60)}`;
  return { local: `${date}T${pad(h)}:${pad(mi)}:${pad(s)}${offset}`, date };
}

/** What a cron trigger's `input` template can read: `tick` and `schedule` (see docs/schedules.md). */
export function tickScope(
  schedule: { id: string; workflow: string; cron: string; timezone: string; catchUp: CatchUp },
  fireAt: Date,
): Record<string, unknown> {
  const tick = fireAt.toISOString();
  const { local, date } = zonedTime(fireAt, schedule.timezone);
  return {
    tick,
    schedule: {
      id: schedule.id,
      workflow: schedule.workflow,
      cron: schedule.cron,
      timezone: schedule.timezone,
      catchUp: schedule.catchUp,
      fireAt: tick,
      localTime: local,
      date,
    },
  };
}
