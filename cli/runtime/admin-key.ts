/**
 * The first admin key (docs/security.md, "The first key"): `openclaw server` creates one on a
 * database without keys and prints it once on stderr, or ensures OPENCLAW_ADMIN_KEY; `openclaw dev`
 * keeps its own in `<data-dir>/admin.key` (mode 0600), which client commands read (credentials.ts).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { EngineError, generateApiKey, type Engine } from '../../engine/index.js';
import { adminKeyPath } from '../credentials.js';
import { CliError } from '../errors.js';
import type { Printer } from '../output.js';

function ensureOrExplain(engine: Engine, key: string, from: string): Promise<unknown> {
  return engine.apiKeys.ensureAdmin(key, `admin (${from})`).catch((err: unknown) => {
    throw new CliError(`${from}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  });
}

/** `openclaw server`: OPENCLAW_ADMIN_KEY, else a new admin key when the database has none (printed once). */
export async function ensureServerAdminKey(engine: Engine, print: Printer, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const fromEnv = env.OPENCLAW_ADMIN_KEY?.trim();
  if (fromEnv) {
    await ensureOrExplain(engine, fromEnv, 'OPENCLAW_ADMIN_KEY');
    print.out('  API keys  admin key from OPENCLAW_ADMIN_KEY');
    return;
  }
  const created = await engine.apiKeys.bootstrap();
  if (created) {
    // Once, on stderr (kept out of JSON logs on stdout): whoever started the server copies it now.
    print.err(`admin API key: ${created}`);
    print.err('  This key is shown once and never again. Keep it in your secret manager; make more with `openclaw keys create`.');
  }
}

/**
 * `openclaw dev`: the admin key in `<dataDir>/admin.key` (or OPENCLAW_ADMIN_KEY), created on first
 * start; a key found revoked is replaced. Returns the file it is in.
 */
export async function ensureDevAdminKey(engine: Engine, dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const file = adminKeyPath(dataDir);
  const fromEnv = env.OPENCLAW_ADMIN_KEY?.trim();
  let key = fromEnv || (existsSync(file) ? readFileSync(file, 'utf8').trim() : '') || generateApiKey();
  try {
    await engine.apiKeys.ensureAdmin(key, 'dev admin');
  } catch (err) {
    if (fromEnv || !(err instanceof EngineError && err.code === 'conflict')) {
      throw new CliError(`${fromEnv ? 'OPENCLAW_ADMIN_KEY' : file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    // The key in the file was revoked (or belongs to another database): make a fresh one.
    key = generateApiKey();
    await engine.apiKeys.ensureAdmin(key, 'dev admin');
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  if (!existsSync(file) || readFileSync(file, 'utf8').trim() !== key) writeFileSync(file, `${key}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}
