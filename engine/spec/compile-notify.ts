/**
 * `notify:` checks beyond the schema: URLs parse and carry no credentials, and no target is listed
 * twice. Hook names cannot be checked here (they are deployment configuration, resolved when a
 * notification is delivered). See docs/notifications.md.
 */
import { isObj, type CompileContext } from './compile-context.js';
import { joinPointer } from './pointer.js';
import { RUN_OUTCOMES, type NotifyTarget } from './types.js';

/** Checks `notify:` (already schema-valid) and returns its targets with defaults filled in. */
export function compileNotify(ctx: CompileContext, notify: unknown): NotifyTarget[] {
  if (!Array.isArray(notify)) return [];
  const seen = new Map<string, number>();
  const targets: NotifyTarget[] = [];
  notify.forEach((t, i) => {
    if (!isObj(t)) return;
    const path = joinPointer('/notify', i);
    const on = Array.isArray(t.on) ? RUN_OUTCOMES.filter((o) => (t.on as unknown[]).includes(o)) : [...RUN_OUTCOMES];
    let key: string;
    if (typeof t.hook === 'string') {
      key = `hook:${t.hook}`;
      targets.push({ hook: t.hook, on });
    } else {
      const url = String(t.url);
      key = `url:${url}`;
      let parsed: URL | null = null;
      try {
        parsed = new URL(url);
      } catch {
        ctx.problem(joinPointer(path, 'url'), `not a valid URL: ${JSON.stringify(url)}`);
      }
      if (parsed && (parsed.username || parsed.password))
        ctx.problem(joinPointer(path, 'url'), 'must not carry credentials (user:password@); sign deliveries with `secret` instead');
      targets.push({ url, secret: typeof t.secret === 'string' ? t.secret : null, on });
    }
    const first = seen.get(key);
    if (first !== undefined) ctx.problem(path, `the same target as /notify/${first}; list it once with every outcome in \`on\``);
    else seen.set(key, i);
  });
  return targets;
}
