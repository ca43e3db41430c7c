import { pino, type Logger } from 'pino';

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
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? 'openclaw',
    level: options.level ?? process.env.OPENCLAW_LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    serializers: { err: serializeError },
  });
}
