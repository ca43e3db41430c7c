/**
 * Which API key a client command sends: OPENCLAW_API_KEY when set; otherwise, for a loopback URL,
 * the admin key of the `openclaw dev` serving that port, so commands run against a dev server need
 * no key copied by hand. A running dev server leaves a note `<state dir>/dev-servers/<port>` naming
 * its key file (`<data-dir>/admin.key`); without a note the key in ./.openclaw (or OPENCLAW_HOME)
 * is tried.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isLoopback } from '../api/loopback.js';

export const DEFAULT_DATA_DIR = './.openclaw';

/** Where `openclaw dev` writes its admin key for this data directory. */
export function adminKeyPath(dataDir: string = process.env.OPENCLAW_HOME || DEFAULT_DATA_DIR): string {
  return path.resolve(dataDir, 'admin.key');
}

/** OPENCLAW_STATE_DIR, or ~/.local/state/openclaw. */
function stateDir(env: NodeJS.ProcessEnv): string {
  return env.OPENCLAW_STATE_DIR || path.join(os.homedir(), '.local', 'state', 'openclaw');
}

const notePath = (port: string, env: NodeJS.ProcessEnv): string => path.join(stateDir(env), 'dev-servers', port);

/** Called by `openclaw dev` once it listens; the returned function removes the note. */
export function noteDevServer(port: number, keyFile: string, env: NodeJS.ProcessEnv = process.env): () => void {
  const file = notePath(String(port), env);
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${keyFile}\n`, { mode: 0o600 });
  } catch {
    // Only a convenience: without it, OPENCLAW_API_KEY or ./.openclaw/admin.key still work.
  }
  return () => rmSync(file, { force: true });
}

const readTrimmed = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
};

export function apiKeyFor(baseUrl: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.OPENCLAW_API_KEY) return env.OPENCLAW_API_KEY;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return undefined;
  }
  if (!isLoopback(url.hostname)) return undefined;
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const keyFile = readTrimmed(notePath(port, env));
  return (keyFile && readTrimmed(keyFile)) ?? readTrimmed(adminKeyPath(env.OPENCLAW_HOME || DEFAULT_DATA_DIR));
}
