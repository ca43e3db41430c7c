import { pino, type Logger } from 'pino';

export type { Logger };

/** The engine's structured logger (pino, JSON lines). Level from OPENCLAW_LOG_LEVEL (default info). */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? 'openclaw',
    level: options.level ?? process.env.OPENCLAW_LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
  });
}
