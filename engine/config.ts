import os from 'node:os';
import path from 'node:path';
import { EgressPolicy } from './executors/http/egress.js';
import { parseNotifyHooks, type NotifyHook } from './notify/hooks.js';
import { parseRetentionByNamespace } from './runs/retention-settings.js';
import { parseMasterKey, type Keyring, type MasterKey } from './secrets/crypto.js';
import { NAMESPACE_PATTERN } from './vocabulary/roles.js';
import { BOOLEAN_KEYS, defaultConfig, envNames, parseBoolean, STRING_KEYS, type EngineSettings } from './settings.js';

/**
 * Engine configuration: defaults, overridden by environment variables, overridden by explicit
 * options. `loadConfig` validates the settings once at start-up and parses the ones given as text
 * (master keys, the egress allowlist, notify hooks) into the values their consumers use, so no
 * consumer parses configuration again. Every limit is configurable and named in error messages.
 */

/**
 * Validated settings, with the text ones parsed: what the engine runs on. The master keys replace
 * `secretKey` and `previousSecretKeys`, so the key text is not kept.
 */
export interface EngineConfig extends Omit<
  EngineSettings,
  'secretKey' | 'previousSecretKeys' | 'httpAllow' | 'notifyHooks' | 'containerPull' | 'runRetentionByNamespace' | 'artifactStore'
> {
  artifactStore: 'fs' | 's3';
  /** `OPENCLAW_SECRET_KEY` (current) and `OPENCLAW_SECRET_KEY_PREVIOUS`, parsed. */
  masterKeys: Keyring;
  /** `OPENCLAW_HTTP_ALLOW`, parsed: the egress allowlist of HTTP tasks and notifications. */
  httpAllow: EgressPolicy;
  /** `OPENCLAW_NOTIFY_HOOKS`, parsed: hook name -> target. */
  notifyHooks: ReadonlyMap<string, NotifyHook>;
  containerPull: 'missing' | 'never';
  /** `OPENCLAW_RUN_RETENTION_BY_NAMESPACE`, parsed: namespace -> retention in ms (0: forever). */
  runRetentionByNamespace: ReadonlyMap<string, number>;
  /** `OPENCLAW_WASM_CACHE_DIR` as an absolute path; when unset, a per-user folder in the OS temp dir. */
  wasmCacheDir: string;
}

/**
 * Builds the config from defaults, `env` and `overrides` (in increasing priority): validated, and
 * the text settings parsed.
 *
 * @throws Error listing every invalid setting with its variable.
 */
export function loadConfig(overrides: Partial<EngineSettings> = {}, env: NodeJS.ProcessEnv = process.env): EngineConfig {
  const fromEnv: Partial<Record<keyof typeof defaultConfig, unknown>> = {};
  for (const [key, name] of Object.entries(envNames) as Array<[keyof typeof defaultConfig, string]>) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    fromEnv[key] = STRING_KEYS.has(key) ? raw : BOOLEAN_KEYS.has(key) ? parseBoolean(raw) : Number(raw);
  }
  const databaseUrl = overrides.databaseUrl ?? env.DATABASE_URL ?? '';
  const cfg = { ...defaultConfig, ...fromEnv, ...overrides, databaseUrl } as EngineSettings;
  const problems: string[] = [];
  if (!cfg.databaseUrl) problems.push('databaseUrl (DATABASE_URL) is required');
  if (!NAMESPACE_PATTERN.test(cfg.namespace))
    problems.push(`namespace (OPENCLAW_NAMESPACE) ${JSON.stringify(cfg.namespace)} must match ${NAMESPACE_PATTERN.source}`);
  for (const key of Object.keys(defaultConfig) as Array<keyof typeof defaultConfig>) {
    if (STRING_KEYS.has(key)) continue;
    const v = cfg[key];
    if (BOOLEAN_KEYS.has(key)) {
      if (typeof v !== 'boolean') problems.push(`${key} (${envNames[key]}) must be true or false, got ${String(v)}`);
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      problems.push(`${key} (${envNames[key]}) must be a non-negative number, got ${String(v)}`);
  }
  if (cfg.heartbeatIntervalMs >= cfg.leaseTtlMs)
    problems.push(`heartbeatIntervalMs (${cfg.heartbeatIntervalMs}) must be below leaseTtlMs (${cfg.leaseTtlMs})`);
  const masterKeys = parseMasterKeys(cfg, problems);
  const httpAllow = parsed(problems, () => EgressPolicy.parse(cfg.httpAllow));
  const notifyHooks = parsed(problems, () => parseNotifyHooks(cfg.notifyHooks));
  const runRetentionByNamespace = parsed(problems, () => parseRetentionByNamespace(cfg.runRetentionByNamespace));
  if (!Number.isInteger(cfg.runRetentionBatchSize) || cfg.runRetentionBatchSize < 1 || cfg.runRetentionBatchSize > 10_000)
    problems.push(
      `runRetentionBatchSize (OPENCLAW_RUN_RETENTION_BATCH) must be a whole number of runs from 1 to 10000, got ${cfg.runRetentionBatchSize}`,
    );
  if (cfg.maxWebhookBytes < 1) problems.push('maxWebhookBytes (OPENCLAW_MAX_WEBHOOK_BYTES) must be at least 1');
  if (!Number.isInteger(cfg.webhookRateLimit) || cfg.webhookRateLimit < 0)
    problems.push('webhookRateLimit (OPENCLAW_WEBHOOK_RATE_LIMIT) must be a whole number of deliveries per minute, 0 for no limit');
  if (!Number.isInteger(cfg.apiRateLimit) || cfg.apiRateLimit < 0)
    problems.push('apiRateLimit (OPENCLAW_API_RATE_LIMIT) must be a whole number of requests per minute, 0 for no limit');
  if (!Number.isInteger(cfg.auditRetentionDays) || cfg.auditRetentionDays < 0)
    problems.push('auditRetentionDays (OPENCLAW_AUDIT_RETENTION_DAYS) must be a whole number of days, 0 to keep audit rows forever');
  problems.push(...containerProblems(cfg));
  problems.push(...wasmProblems(cfg));
  if (!Number.isInteger(cfg.cronMaxCatchUp) || cfg.cronMaxCatchUp < 1)
    problems.push(`cronMaxCatchUp (OPENCLAW_CRON_MAX_CATCHUP) must be an integer of at least 1, got ${cfg.cronMaxCatchUp}`);
  problems.push(...notifyProblems(cfg));
  problems.push(...artifactProblems(cfg), ...retiredSettings(env));
  if (problems.length > 0 || !httpAllow || !notifyHooks || !runRetentionByNamespace)
    throw new Error(`invalid configuration: ${problems.join('; ')}`);
  const { secretKey: _secretKey, previousSecretKeys: _previousSecretKeys, ...settings } = cfg;
  return {
    ...settings,
    masterKeys,
    httpAllow,
    notifyHooks,
    runRetentionByNamespace,
    containerPull: cfg.containerPull === 'never' ? 'never' : 'missing',
    artifactStore: cfg.artifactStore === 's3' ? 's3' : 'fs',
    artifactDir: path.resolve(cfg.artifactDir || path.join('.openclaw', 'artifacts')),
    wasmCacheDir: cfg.wasmCacheDir
      ? path.resolve(cfg.wasmCacheDir)
      : path.join(os.tmpdir(), `openclaw-wasm-${process.getuid?.() ?? 'user'}`),
  };
}

/** Runs a parser whose errors name the setting; an error becomes a problem and the result null. */
function parsed<T>(problems: string[], parse: () => T): T | null {
  try {
    return parse();
  } catch (err) {
    problems.push((err as Error).message);
    return null;
  }
}

/** The current master key and the previous ones (comma-separated), each 32 bytes as base64 or hex. */
function parseMasterKeys(cfg: Pick<EngineSettings, 'secretKey' | 'previousSecretKeys'>, problems: string[]): Keyring {
  const current = cfg.secretKey.trim() ? parsed(problems, () => parseMasterKey(cfg.secretKey, 'secretKey (OPENCLAW_SECRET_KEY)')) : null;
  const previous = cfg.previousSecretKeys
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean)
    .map((k) => parsed(problems, () => parseMasterKey(k, 'previousSecretKeys (OPENCLAW_SECRET_KEY_PREVIOUS)')))
    .filter((k): k is MasterKey => k !== null);
  return { current, all: current ? [current, ...previous] : previous };
}

function containerProblems(cfg: EngineSettings): string[] {
  const problems: string[] = [];
  if (cfg.containerPull !== 'never' && cfg.containerPull !== 'missing')
    problems.push(`containerPull (OPENCLAW_CONTAINER_PULL) must be never or missing, got ${JSON.stringify(cfg.containerPull)}`);
  const [uid, gid = ''] = cfg.containerUser.split(':');
  if (!uid || /^(0|root)$/.test(uid) || /^(0|root)$/.test(gid))
    problems.push(
      `containerUser (OPENCLAW_CONTAINER_USER) must name a non-root user such as 65534:65534, got ${JSON.stringify(cfg.containerUser)}`,
    );
  for (const [def, max] of [
    ['containerDefaultMemoryBytes', 'containerMaxMemoryBytes'],
    ['containerDefaultCpus', 'containerMaxCpus'],
    ['containerDefaultPids', 'containerMaxPids'],
  ] as const) {
    if (cfg[def] > cfg[max]) problems.push(`${def} (${envNames[def]}) is ${cfg[def]}, above ${max} (${cfg[max]})`);
  }
  if (cfg.containerDefaultCpus <= 0) problems.push('containerDefaultCpus (OPENCLAW_CONTAINER_DEFAULT_CPUS) must be above 0');
  if (cfg.containerDefaultPids < 1) problems.push('containerDefaultPids (OPENCLAW_CONTAINER_DEFAULT_PIDS) must be at least 1');
  if (cfg.containerDefaultMemoryBytes < 6 * 1024 ** 2)
    problems.push('containerDefaultMemoryBytes (OPENCLAW_CONTAINER_DEFAULT_MEMORY_BYTES) must be at least 6 MiB (Docker refuses less)');
  return problems;
}

function notifyProblems(cfg: EngineSettings): string[] {
  const problems: string[] = [];
  // graphile-worker stores max_attempts as a smallint.
  if (!Number.isInteger(cfg.notifyMaxAttempts) || cfg.notifyMaxAttempts < 1 || cfg.notifyMaxAttempts > 32_767)
    problems.push(`notifyMaxAttempts (OPENCLAW_NOTIFY_MAX_ATTEMPTS) must be an integer from 1 to 32767, got ${cfg.notifyMaxAttempts}`);
  if (cfg.notifyTimeoutMs < 1) problems.push(`notifyTimeoutMs (OPENCLAW_NOTIFY_TIMEOUT_MS) must be at least 1, got ${cfg.notifyTimeoutMs}`);
  if (!Number.isInteger(cfg.notifyConcurrency))
    problems.push(`notifyConcurrency (OPENCLAW_NOTIFY_CONCURRENCY) must be an integer, got ${cfg.notifyConcurrency}`);
  return problems;
}

function wasmProblems(cfg: EngineSettings): string[] {
  const problems: string[] = [];
  if (cfg.wasmMemoryLimitBytes < 65_536)
    problems.push(
      `wasmMemoryLimitBytes (OPENCLAW_WASM_MEMORY_LIMIT_BYTES) must be at least 65536 (one page), got ${cfg.wasmMemoryLimitBytes}`,
    );
  if (cfg.wasmMemoryLimitBytes > cfg.wasmMaxMemoryBytes)
    problems.push(
      `wasmMemoryLimitBytes (${cfg.wasmMemoryLimitBytes}) must not be above wasmMaxMemoryBytes (OPENCLAW_WASM_MAX_MEMORY_BYTES, ${cfg.wasmMaxMemoryBytes})`,
    );
  if (cfg.wasmHeapLimitMb < 16)
    problems.push(`wasmHeapLimitMb (OPENCLAW_WASM_HEAP_LIMIT_MB) must be at least 16, got ${cfg.wasmHeapLimitMb}`);
  if (cfg.wasmTimeoutMs < 1) problems.push(`wasmTimeoutMs (OPENCLAW_WASM_TIMEOUT_MS) must be at least 1, got ${cfg.wasmTimeoutMs}`);
  return problems;
}

function artifactProblems(cfg: EngineSettings): string[] {
  const problems: string[] = [];
  if (cfg.artifactStore !== 'fs' && cfg.artifactStore !== 's3')
    problems.push(`artifactStore (OPENCLAW_ARTIFACT_STORE) must be fs or s3, got ${JSON.stringify(cfg.artifactStore)}`);
  if (cfg.artifactStore === 's3' && !cfg.artifactS3Bucket)
    problems.push('artifactS3Bucket (OPENCLAW_ARTIFACT_S3_BUCKET) is required with OPENCLAW_ARTIFACT_STORE=s3');
  if (cfg.artifactMaxBytes < 1) problems.push('artifactMaxBytes (OPENCLAW_ARTIFACT_MAX_BYTES) must be at least 1');
  if (cfg.inlineJsonBytes < 1) problems.push('inlineJsonBytes (OPENCLAW_INLINE_JSON_BYTES) must be at least 1');
  if (cfg.maxJsonBytes > cfg.artifactMaxBytes)
    problems.push(
      `maxJsonBytes (OPENCLAW_MAX_JSON_BYTES, ${cfg.maxJsonBytes}) must not be above artifactMaxBytes (OPENCLAW_ARTIFACT_MAX_BYTES, ${cfg.artifactMaxBytes})`,
    );
  if (cfg.inlineJsonBytes > cfg.maxJsonBytes)
    problems.push(
      `inlineJsonBytes (OPENCLAW_INLINE_JSON_BYTES, ${cfg.inlineJsonBytes}) must not be above maxJsonBytes (OPENCLAW_MAX_JSON_BYTES, ${cfg.maxJsonBytes})`,
    );
  return problems;
}

/** Settings that are no longer read: set, they stop start-up rather than being ignored (a limit someone relied on). */
const RETIRED_SIZE_LIMITS = ['OPENCLAW_MAX_STEP_INPUT_BYTES', 'OPENCLAW_MAX_STEP_OUTPUT_BYTES', 'OPENCLAW_MAX_RUN_INPUT_BYTES'];

function retiredSettings(env: NodeJS.ProcessEnv): string[] {
  return RETIRED_SIZE_LIMITS.filter((name) => env[name] !== undefined && env[name] !== '').map(
    (name) =>
      `${name} is no longer read: step inputs and outputs and run inputs and outputs are kept inline up to OPENCLAW_INLINE_JSON_BYTES ` +
      'and in the artifact store up to OPENCLAW_MAX_JSON_BYTES (docs/artifacts.md, "Large JSON"); set OPENCLAW_MAX_JSON_BYTES instead and unset it',
  );
}
