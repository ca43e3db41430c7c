/**
 * Trigger checks: cron expressions (5 fields, or 6 with seconds) parse with cron-parser, time
 * zones are known to Intl, webhook names are unique, and trigger inputs are valid templates that
 * read only what a trigger has (webhooks: `body`, `headers`, `query`; cron: `tick`, `schedule`;
 * functions such as `$now()`), never steps, states or secrets.
 */
import { CronExpressionParser } from 'cron-parser';
import { isObj, type CompileContext } from './compile-context.js';
import { joinPointer } from './pointer.js';

/** What a cron trigger's `input` may read: the tick's time (ISO) and `{id, workflow, cron, timezone, catchUp, fireAt, localTime, date}`. */
export const CRON_INPUT_NAMES: ReadonlySet<string> = new Set(['tick', 'schedule']);

/** True when Intl knows the IANA time zone. */
export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Checks `triggers:` and returns the entries as written. */
export function compileTriggers(ctx: CompileContext, triggers: unknown): unknown[] {
  if (!Array.isArray(triggers)) return [];
  const webhooks = new Set<string>();
  triggers.forEach((t, i) => {
    const path = joinPointer('/triggers', i);
    if (!isObj(t)) return;
    let inputPath = joinPointer(path, 'input');
    let input: unknown = t.input;
    if (typeof t.cron === 'string') {
      const tz = typeof t.timezone === 'string' ? t.timezone : 'UTC';
      const tzOk = isValidTimeZone(tz);
      if (!tzOk)
        ctx.problem(joinPointer(path, 'timezone'), `unknown time zone ${JSON.stringify(tz)} (use an IANA name such as Europe/Berlin)`);
      const fields = t.cron.trim().split(/\s+/).length;
      if (!t.cron.trim().startsWith('@') && fields !== 5 && fields !== 6) {
        ctx.problem(
          joinPointer(path, 'cron'),
          `cron expression has ${fields} fields; use 5 (minute hour day month weekday) or 6 (with seconds first)`,
        );
      } else {
        try {
          CronExpressionParser.parse(t.cron, { tz: tzOk ? tz : 'UTC' });
        } catch (err) {
          ctx.problem(joinPointer(path, 'cron'), `invalid cron expression ${JSON.stringify(t.cron)}: ${(err as Error).message}`);
        }
      }
    } else if (isObj(t.webhook)) {
      const name = String(t.webhook.name);
      if (webhooks.has(name)) ctx.problem(joinPointer(path, 'webhook', 'name'), `webhook name \`${name}\` is used twice`);
      webhooks.add(name);
      inputPath = joinPointer(path, 'webhook', 'input');
      input = t.webhook.input;
    }
    const isCron = typeof t.cron === 'string';
    for (const { path: p, analysis } of ctx.templates(input, inputPath)) {
      for (const root of ['steps', 'states', 'inputs']) {
        if (analysis.roots.has(root)) ctx.problem(p, `a trigger input cannot read \`${root}\` (it is evaluated before the run exists)`);
      }
      if (!isCron) continue;
      // A cron tick has only its time and its schedule (see docs/schedules.md).
      for (const root of analysis.roots) {
        if (!CRON_INPUT_NAMES.has(root) && !['steps', 'states', 'inputs', 'secrets'].includes(root))
          ctx.problem(p, `a cron trigger input can read \`tick\` and \`schedule\` (and functions such as \`$now()\`), not \`${root}\``);
      }
    }
  });
  return triggers;
}
