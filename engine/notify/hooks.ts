/**
 * Notify hooks: named notification targets configured once for a deployment
 * (`OPENCLAW_NOTIFY_HOOKS`), so specs say `notify: [{ hook: ops }]` instead of repeating a URL and
 * a secret name in every workflow. The value is a JSON object:
 *
 *   {"ops": {"url": "https://ops.example.com/openclaw", "secret": "OPS_NOTIFY_SECRET"}}
 *
 * `secret` names a stored secret (never a value) and may be left out for unsigned deliveries.
 * Hooks are resolved when a delivery is attempted, by the process that delivers it, so changing
 * a hook's URL also redirects deliveries still waiting for a retry.
 */
import { SECRET_NAME } from '../secrets/crypto.js';

export interface NotifyHook {
  url: string;
  /** Name of the stored secret that signs deliveries; null = unsigned. */
  secret: string | null;
}

const HOOK_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * Parses `OPENCLAW_NOTIFY_HOOKS` ('' = no hooks).
 *
 * @throws Error naming the variable and the first problem found.
 */
export function parseNotifyHooks(raw: string): Map<string, NotifyHook> {
  const hooks = new Map<string, NotifyHook>();
  if (!raw.trim()) return hooks;
  const fail = (why: string): never => {
    throw new Error(`notifyHooks (OPENCLAW_NOTIFY_HOOKS) ${why}`);
  };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return fail(`must be a JSON object such as {"ops": {"url": "https://...", "secret": "NAME"}}: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail('must be a JSON object of hook name -> {url, secret}');
  for (const [name, hook] of Object.entries(value as Record<string, unknown>)) {
    if (!HOOK_NAME.test(name)) fail(`hook name ${JSON.stringify(name)} must match ${HOOK_NAME.source}`);
    if (typeof hook !== 'object' || hook === null || Array.isArray(hook)) return fail(`hook ${name} must be an object {url, secret}`);
    const { url, secret, ...rest } = hook as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0) fail(`hook ${name}: unknown field ${extra.map((k) => JSON.stringify(k)).join(', ')} (allowed: url, secret)`);
    if (typeof url !== 'string') return fail(`hook ${name} needs a url`);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return fail(`hook ${name}: url ${JSON.stringify(url)} is not a valid URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') fail(`hook ${name}: url must be http or https`);
    if (parsed.username || parsed.password) fail(`hook ${name}: url must not carry credentials; use secret to sign`);
    if (secret !== undefined && (typeof secret !== 'string' || !SECRET_NAME.test(secret)))
      fail(`hook ${name}: secret must be the name of a stored secret (${SECRET_NAME.source})`);
    hooks.set(name, { url, secret: typeof secret === 'string' ? secret : null });
  }
  return hooks;
}
