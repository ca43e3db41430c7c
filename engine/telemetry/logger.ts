import { pino, type Logger } from 'pino';
import { hasActiveSecrets, maskDeep } from '../secrets/mask.js';

export type { Logger };

/**
 * pino's error serializer, minus what must never reach a log line: pg-pool attaches the whole
 * client (its connection parameters and every prepared statement's SQL) to idle-connection errors.
 */
function serializeError(err: unknown): unknown {
  const out = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  if (out && typeof out === 'object') delete out.client;
  return out;
}

/** The engine's structured logger (pino, JSON lines). Level from OPENCLAW_LOG_LEVEL (default info). */
export function createLogger(options: { level?: string; name?: string; destination?: pino.DestinationStream } = {}): Logger {
  const opts: pino.LoggerOptions = {
    name: options.name ?? 'openclaw',
    level: options.level ?? process.env.OPENCLAW_LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    serializers: { err: serializeError },
    hooks: {
      // While a task holds secret values, no log line may carry one (see secrets/mask.ts).
      logMethod(args, method) {
        if (!hasActiveSecrets()) return method.apply(this, args);
        return method.apply(this, args.map((a) => maskDeep(a)) as typeof args);
      },
    },
  };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}
