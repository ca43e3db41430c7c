/**
 * Engine configuration: defaults, overridden by environment variables, overridden by explicit
 * options; validated once at start-up. Every limit is configurable and named in error messages.
 */

export interface EngineConfig {
  databaseUrl: string;
  namespace: string;
  /** How long a claimed step's lease lasts without a heartbeat. */
  leaseTtlMs: number;
  /** How often a worker extends all its leases (one statement). */
  heartbeatIntervalMs: number;
  /** Idle workers poll this often (LISTEN/NOTIFY wakes them sooner). */
  pollIntervalMs: number;
  /** Scheduler tick: lease reaper, timers, deadlines. */
  schedulerTickMs: number;
  /** A follower acts anyway when the leader's heartbeat is older than this (a frozen leader). */
  leaderStaleMs: number;
  /** How often the leader runs the liveness check. */
  livenessIntervalMs: number;
  /** A run must have been non-terminal and idle this long before the liveness check repairs it. */
  livenessGraceMs: number;
  /** Graceful stop: how long a worker waits for in-flight tasks before handing leases back. */
  drainTimeoutMs: number;
  maxStepInputBytes: number;
  maxStepOutputBytes: number;
  maxRunInputBytes: number;
  /** Per attempt: step log lines beyond this many bytes are dropped (with one marker line). */
  maxStepLogBytes: number;
  expressionTimeoutMs: number;
  /** Default per-attempt timeout for tasks that set none (0 = none). */
  defaultTaskTimeoutMs: number;
  poolSize: number;
}

export const defaultConfig: Omit<EngineConfig, 'databaseUrl'> = {
  namespace: 'default',
  leaseTtlMs: 10_000,
  heartbeatIntervalMs: 3_000,
  pollIntervalMs: 1_000,
  schedulerTickMs: 1_000,
  leaderStaleMs: 15_000,
  livenessIntervalMs: 10_000,
  livenessGraceMs: 5_000,
  drainTimeoutMs: 10_000,
  maxStepInputBytes: 1024 * 1024,
  maxStepOutputBytes: 1024 * 1024,
  maxRunInputBytes: 1024 * 1024,
  maxStepLogBytes: 1024 * 1024,
  expressionTimeoutMs: 100,
  defaultTaskTimeoutMs: 0,
  poolSize: 10,
};

const envNames: Record<keyof typeof defaultConfig, string> = {
  namespace: 'OPENCLAW_NAMESPACE',
  leaseTtlMs: 'OPENCLAW_LEASE_TTL_MS',
  heartbeatIntervalMs: 'OPENCLAW_HEARTBEAT_MS',
  pollIntervalMs: 'OPENCLAW_POLL_MS',
  schedulerTickMs: 'OPENCLAW_SCHEDULER_TICK_MS',
  leaderStaleMs: 'OPENCLAW_LEADER_STALE_MS',
  livenessIntervalMs: 'OPENCLAW_LIVENESS_MS',
  livenessGraceMs: 'OPENCLAW_LIVENESS_GRACE_MS',
  drainTimeoutMs: 'OPENCLAW_DRAIN_TIMEOUT_MS',
  maxStepInputBytes: 'OPENCLAW_MAX_STEP_INPUT_BYTES',
  maxStepOutputBytes: 'OPENCLAW_MAX_STEP_OUTPUT_BYTES',
  maxRunInputBytes: 'OPENCLAW_MAX_RUN_INPUT_BYTES',
  maxStepLogBytes: 'OPENCLAW_MAX_STEP_LOG_BYTES',
  expressionTimeoutMs: 'OPENCLAW_EXPRESSION_TIMEOUT_MS',
  defaultTaskTimeoutMs: 'OPENCLAW_DEFAULT_TASK_TIMEOUT_MS',
  poolSize: 'OPENCLAW_POOL_SIZE',
};

/** Builds a validated config from defaults, `env` and `overrides` (in increasing priority). */
export function loadConfig(overrides: Partial<EngineConfig> = {}, env: NodeJS.ProcessEnv = process.env): EngineConfig {
  const fromEnv: Partial<Record<keyof typeof defaultConfig, unknown>> = {};
  for (const [key, name] of Object.entries(envNames) as Array<[keyof typeof defaultConfig, string]>) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    fromEnv[key] = key === 'namespace' ? raw : Number(raw);
  }
  const databaseUrl = overrides.databaseUrl ?? env.DATABASE_URL ?? '';
  const cfg = { ...defaultConfig, ...fromEnv, ...overrides, databaseUrl } as EngineConfig;
  const problems: string[] = [];
  if (!cfg.databaseUrl) problems.push('databaseUrl (DATABASE_URL) is required');
  for (const key of Object.keys(defaultConfig) as Array<keyof typeof defaultConfig>) {
    if (key === 'namespace') continue;
    const v = cfg[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      problems.push(`${key} (${envNames[key]}) must be a non-negative number, got ${String(v)}`);
  }
  if (cfg.heartbeatIntervalMs >= cfg.leaseTtlMs)
    problems.push(`heartbeatIntervalMs (${cfg.heartbeatIntervalMs}) must be below leaseTtlMs (${cfg.leaseTtlMs})`);
  if (problems.length > 0) throw new Error(`invalid configuration: ${problems.join('; ')}`);
  return cfg;
}
