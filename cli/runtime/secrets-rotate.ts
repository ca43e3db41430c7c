/** `openclaw secret rotate`: re-wraps stored secrets under the current master key. */
import { createEngine, createLogger } from '../../engine/index.js';
import type { Context } from '../context.js';
import { CliError } from '../errors.js';
import { requireDatabaseUrl } from './database-url.js';
import { requireSecretKey } from './secret-key.js';

export async function runRotate(ctx: Context): Promise<void> {
  const databaseUrl = requireDatabaseUrl('secret rotate');
  requireSecretKey('secret rotate');
  const engine = await createEngine({ databaseUrl, logger: createLogger({ level: 'warn' }) }).catch((err: unknown) => {
    throw new CliError(err instanceof Error ? err.message : String(err), { cause: err });
  });
  try {
    const r = await engine.rotateSecretKey();
    if (ctx.json) ctx.print.json(r);
    else ctx.print.out(`re-wrapped ${r.rewrapped} secret(s) under the current key`);
    if (r.unreadable.length > 0) {
      throw new CliError(`${r.unreadable.length} secret(s) are wrapped with a key that is not configured: ${r.unreadable.join(', ')}`, {
        lines: ['Add that key to OPENCLAW_SECRET_KEY_PREVIOUS and run this again.'],
      });
    }
  } finally {
    await engine.close();
  }
}
