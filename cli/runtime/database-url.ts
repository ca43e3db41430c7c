/** DATABASE_URL for the commands that talk to PostgreSQL directly (`server`, `worker`, `migrate`). */
import { CliError } from '../errors.js';

/** DATABASE_URL, or a clear error naming the command and what to do instead. */
export function requireDatabaseUrl(command: string, env: NodeJS.ProcessEnv = process.env): string {
  const url = env.DATABASE_URL;
  if (url) return url;
  throw new CliError(`DATABASE_URL is not set: \`openclaw ${command}\` needs a PostgreSQL URL`, {
    lines: [
      '  e.g. DATABASE_URL=postgres://user:password@localhost:5432/openclaw',
      'For a local all-in-one setup with nothing to configure, use `openclaw dev` (embedded PostgreSQL).',
    ],
  });
}

/** The URL with its password replaced by `***`, for printing. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
