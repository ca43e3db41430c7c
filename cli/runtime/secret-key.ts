/**
 * The secrets master key. `server`, `worker` and `secret rotate` refuse to start without
 * OPENCLAW_SECRET_KEY (a server or worker that cannot read secrets would fail every task that uses
 * one); `dev` generates one on first start and keeps it in its data directory.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateMasterKey } from '../../engine/index.js';
import { CliError } from '../errors.js';

export function requireSecretKey(command: string, env: NodeJS.ProcessEnv = process.env): string {
  const key = env.OPENCLAW_SECRET_KEY?.trim();
  if (key) return key;
  throw new CliError(`OPENCLAW_SECRET_KEY is not set: \`openclaw ${command}\` needs the key that encrypts secrets`, {
    lines: [
      '  generate one once with `openssl rand -base64 32`, keep it in your secret manager, and give the',
      '  same key to every server and worker (see docs/secrets.md)',
    ],
  });
}

/** OPENCLAW_SECRET_KEY, or the key kept in `<dataDir>/secret.key` (created with mode 0600). */
export function devSecretKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): { key: string; source: string } {
  const fromEnv = env.OPENCLAW_SECRET_KEY?.trim();
  if (fromEnv) return { key: fromEnv, source: 'OPENCLAW_SECRET_KEY' };
  const file = path.join(dataDir, 'secret.key');
  if (existsSync(file)) return { key: readFileSync(file, 'utf8').trim(), source: file };
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  writeFileSync(file, `${generateMasterKey()}\n`, { mode: 0o600, flag: 'wx' });
  return { key: readFileSync(file, 'utf8').trim(), source: `${file} (new)` };
}
