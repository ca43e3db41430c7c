/**
 * What can be configured, its defaults and its environment variables: the one list of settings
 * (docs/operations.md, "Configuration", documents each). config.ts reads and validates them.
 */

/** What can be set: environment variables, and the options of `createEngine` (which win). */
export interface EngineSettings {
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
  /** Per attempt: step log lines beyond this many bytes are dropped (with one marker line). */
  maxStepLogBytes: number;
  expressionTimeoutMs: number;
  /** Default per-attempt timeout for tasks that set none (0 = none). */
  defaultTaskTimeoutMs: number;
  poolSize: number;
  /** Master key for secrets: 32 bytes, base64 or hex ('' = no secrets available). */
  secretKey: string;
  /** Earlier master keys, comma-separated: still read while `openclaw secrets rotate` re-wraps. */
  previousSecretKeys: string;
  /**
   * HTTP task egress allowlist, comma-separated: hosts (`api.internal`), host:port, IPs or CIDRs
   * (`10.1.0.0/16`, `127.0.0.1:9000`) that may be reached although they are private, loopback or
   * link-local. Empty: only public addresses.
   */
  httpAllow: string;
  httpConnectTimeoutMs: number;
  /** Whole-request bound for HTTP tasks whose step sets no timeout. */
  httpTimeoutMs: number;
  httpMaxResponseBytes: number;
  httpMaxRedirects: number;
  /** Container tasks: the most memory a spec may ask for (more is refused: ResourceLimitExceeded). */
  containerMaxMemoryBytes: number;
  /** Container tasks: memory for a spec that asks for none. */
  containerDefaultMemoryBytes: number;
  containerMaxCpus: number;
  containerDefaultCpus: number;
  containerMaxPids: number;
  containerDefaultPids: number;
  /** Whether `network: bridge` is allowed (default false: every container has no network). */
  containerAllowNetwork: boolean;
  /** Whether `network: host` is allowed (default false): the container shares the Docker host's network, loopback included. */
  containerAllowHostNetwork: boolean;
  /** `missing`: pull images that are not on the Docker host; `never`: local images only. */
  containerPull: string;
  /** `uid:gid` container commands run as; never root. */
  containerUser: string;
  /** Size of the writable tmpfs at /tmp in every container (counts against its memory). */
  containerTmpfsBytes: number;
  /** `stdout` in a container's `{exitCode, stdout}` output keeps at most this many bytes (its end). */
  containerMaxStdoutBytes: number;
  /** Container tasks: cap (and default) of everything a task writes under /openclaw/out (`resources.outputs` may lower it). */
  containerMaxOutputsBytes: number;
  /** WASM tasks: linear memory cap (per memory) for a step that sets no `wasm.memory`. */
  wasmMemoryLimitBytes: number;
  /** WASM tasks: the most a step's `wasm.memory` may ask for (more is refused: InvalidTask). */
  wasmMaxMemoryBytes: number;
  /** WASM tasks: JS heap (V8 old generation) of each sandbox thread, in MiB. */
  wasmHeapLimitMb: number;
  /** WASM tasks: largest output (the JSON text a skill returns); over it: OutputTooLarge. */
  wasmMaxOutputBytes: number;
  /** WASM tasks: timeout for a step that sets none (and no defaultTaskTimeoutMs). */
  wasmTimeoutMs: number;
  /** WASM tasks: where transpiled components are cached ('' = <tmpdir>/openclaw-wasm-<uid>). */
  wasmCacheDir: string;
  /** Largest skill component `registerSkill` / `POST /v1/skills` accepts. */
  maxSkillBytes: number;
  /** Cron: a tick at most this late is late, not missed, and fires under every catch-up policy. */
  cronGraceMs: number;
  /** Cron: the most ticks one schedule fires at once (catch-up after downtime); older ones are skipped. */
  cronMaxCatchUp: number;
  /** Notifications: named targets, a JSON object `{"<hook>": {"url": ..., "secret": "<secret name>"}}` (see notify/hooks.ts). */
  notifyHooks: string;
  /** Notifications: delivery attempts per notification, the first included (graphile-worker `max_attempts`). */
  notifyMaxAttempts: number;
  /** Notifications: whole-request bound of one delivery attempt. */
  notifyTimeoutMs: number;
  /** Notifications: deliveries a worker process makes at once (0: this process delivers none). */
  notifyConcurrency: number;
  /** Notifications: a run output larger than this (JSON bytes) is left out of the body (`outputTruncated: true`). */
  notifyMaxOutputBytes: number;
  /** Webhooks: largest request body `POST /v1/hooks/...` accepts (413 above). */
  maxWebhookBytes: number;
  /** Webhooks: how far (seconds) a signature's timestamp may be from the server clock. */
  webhookToleranceSeconds: number;
  /** Webhooks: how long a replaced secret value still verifies signatures (rotation overlap). */
  webhookSecretOverlapMs: number;
  /** Webhooks: deliveries per minute one server process accepts for one hook (429 above; 0: no limit). */
  webhookRateLimit: number;
  /** API: requests per minute one server process accepts from one principal (429 above; 0: no limit). */
  apiRateLimit: number;
  /** Runs: finished runs are deleted this many days after they finished (0: kept forever); see runs/retention.ts. */
  runRetentionDays: number;
  /** Runs: per-namespace retention overriding runRetentionDays, `team-a=7d,team-b=90d` (0: forever). */
  runRetentionByNamespace: string;
  /** Runs: finished runs deleted per retention transaction. */
  runRetentionBatchSize: number;
  /** Runs: the most runs retention deletes per second (pauses between batches; 0: no pause). */
  runRetentionRate: number;
  /** Audit log: rows older than this many days are deleted by the scheduler leader (0: kept forever). */
  auditRetentionDays: number;
  /** Metrics: how often the scheduler leader samples the database gauges (0: never; docs/operations.md, "Metrics"). */
  metricsSampleMs: number;
  /** Metrics: serve `GET /metrics` without credentials (default false: a viewer key of every namespace). */
  metricsPublic: boolean;
  /** Worker rows stopped or stale for longer than this many hours are deleted by the scheduler leader (0: kept forever). */
  workerRetentionHours: number;
  /** Artifacts: where their bytes live, `fs` (a directory) or `s3` (docs/artifacts.md, "Stores"). */
  artifactStore: string;
  /** Artifacts (fs): the directory ('' = `.openclaw/artifacts` under the working directory; `openclaw dev` uses its data dir). */
  artifactDir: string;
  /** Artifacts (s3): bucket, key prefix, endpoint ('' = AWS), path-style addressing, region ('' = AWS_REGION, else us-east-1). */
  artifactS3Bucket: string;
  artifactS3Prefix: string;
  artifactS3Endpoint: string;
  artifactS3ForcePathStyle: boolean;
  artifactS3Region: string;
  /** Artifacts: the largest one object may be (ArtifactTooLarge above). */
  artifactMaxBytes: number;
  /** Artifacts: an object nothing references is deleted from the store once it is this old (zombie uploads, deleted runs). */
  artifactSweepGraceMs: number;
  /**
   * Large JSON: a step input or output, or a run input or output, larger than this is kept in the
   * artifact store, its row holding a reference (docs/artifacts.md, "Large JSON").
   */
  inlineJsonBytes: number;
  /**
   * Large JSON: the hard limit of every such value, inline or by reference (InputTooLarge /
   * OutputTooLarge / 413 payload_too_large above). It replaces OPENCLAW_MAX_STEP_INPUT_BYTES,
   * OPENCLAW_MAX_STEP_OUTPUT_BYTES and OPENCLAW_MAX_RUN_INPUT_BYTES.
   */
  maxJsonBytes: number;
}

export const defaultConfig: Omit<EngineSettings, 'databaseUrl'> = {
  namespace: 'default',
  leaseTtlMs: 10_000,
  heartbeatIntervalMs: 3_000,
  pollIntervalMs: 1_000,
  schedulerTickMs: 1_000,
  leaderStaleMs: 15_000,
  livenessIntervalMs: 10_000,
  livenessGraceMs: 5_000,
  drainTimeoutMs: 10_000,
  maxStepLogBytes: 1024 * 1024,
  expressionTimeoutMs: 100,
  defaultTaskTimeoutMs: 0,
  poolSize: 10,
  secretKey: '',
  previousSecretKeys: '',
  httpAllow: '',
  httpConnectTimeoutMs: 5_000,
  httpTimeoutMs: 30_000,
  // Above OPENCLAW_INLINE_JSON_BYTES, so an HTTP or WASM task can produce a large JSON output (docs/artifacts.md, "Large JSON").
  httpMaxResponseBytes: 16 * 1024 ** 2,
  httpMaxRedirects: 5,
  containerMaxMemoryBytes: 2 * 1024 ** 3,
  containerDefaultMemoryBytes: 256 * 1024 ** 2,
  containerMaxCpus: 2,
  containerDefaultCpus: 1,
  containerMaxPids: 1024,
  containerDefaultPids: 256,
  containerAllowNetwork: false,
  containerAllowHostNetwork: false,
  containerPull: 'missing',
  containerUser: '65534:65534',
  containerTmpfsBytes: 64 * 1024 ** 2,
  containerMaxStdoutBytes: 64 * 1024,
  containerMaxOutputsBytes: 10 * 1024 ** 3,
  wasmMemoryLimitBytes: 256 * 1024 ** 2,
  wasmMaxMemoryBytes: 1024 ** 3,
  wasmHeapLimitMb: 128,
  wasmMaxOutputBytes: 16 * 1024 ** 2,
  wasmTimeoutMs: 60_000,
  wasmCacheDir: '',
  maxSkillBytes: 32 * 1024 ** 2,
  cronGraceMs: 60_000,
  cronMaxCatchUp: 100,
  notifyHooks: '',
  notifyMaxAttempts: 10,
  notifyTimeoutMs: 10_000,
  notifyConcurrency: 4,
  notifyMaxOutputBytes: 64 * 1024,
  maxWebhookBytes: 1024 * 1024,
  webhookToleranceSeconds: 300,
  webhookSecretOverlapMs: 24 * 3600 * 1000,
  webhookRateLimit: 600,
  apiRateLimit: 6000,
  runRetentionDays: 30,
  runRetentionByNamespace: '',
  runRetentionBatchSize: 500,
  runRetentionRate: 1000,
  auditRetentionDays: 90,
  metricsSampleMs: 15_000,
  metricsPublic: false,
  workerRetentionHours: 24,
  artifactStore: 'fs',
  artifactDir: '',
  artifactS3Bucket: '',
  artifactS3Prefix: '',
  artifactS3Endpoint: '',
  artifactS3ForcePathStyle: false,
  artifactS3Region: '',
  artifactMaxBytes: 10 * 1024 ** 3,
  artifactSweepGraceMs: 3600_000,
  inlineJsonBytes: 256 * 1024,
  maxJsonBytes: 16 * 1024 ** 2,
};

/** Settings read as text; every other setting is a non-negative number. */
export const STRING_KEYS = new Set<string>([
  'namespace',
  'secretKey',
  'previousSecretKeys',
  'httpAllow',
  'containerPull',
  'containerUser',
  'wasmCacheDir',
  'notifyHooks',
  'runRetentionByNamespace',
  'artifactStore',
  'artifactDir',
  'artifactS3Bucket',
  'artifactS3Prefix',
  'artifactS3Endpoint',
  'artifactS3Region',
]);
/** Settings read as true/false (1/0, yes/no, on/off). */
export const BOOLEAN_KEYS = new Set<string>([
  'containerAllowNetwork',
  'containerAllowHostNetwork',
  'metricsPublic',
  'artifactS3ForcePathStyle',
]);

export function parseBoolean(raw: string): boolean | string {
  if (/^(1|true|yes|on)$/i.test(raw.trim())) return true;
  if (/^(0|false|no|off)$/i.test(raw.trim())) return false;
  return raw;
}

export const envNames: Record<keyof typeof defaultConfig, string> = {
  namespace: 'OPENCLAW_NAMESPACE',
  leaseTtlMs: 'OPENCLAW_LEASE_TTL_MS',
  heartbeatIntervalMs: 'OPENCLAW_HEARTBEAT_MS',
  pollIntervalMs: 'OPENCLAW_POLL_MS',
  schedulerTickMs: 'OPENCLAW_SCHEDULER_TICK_MS',
  leaderStaleMs: 'OPENCLAW_LEADER_STALE_MS',
  livenessIntervalMs: 'OPENCLAW_LIVENESS_MS',
  livenessGraceMs: 'OPENCLAW_LIVENESS_GRACE_MS',
  drainTimeoutMs: 'OPENCLAW_DRAIN_TIMEOUT_MS',
  maxStepLogBytes: 'OPENCLAW_MAX_STEP_LOG_BYTES',
  expressionTimeoutMs: 'OPENCLAW_EXPRESSION_TIMEOUT_MS',
  defaultTaskTimeoutMs: 'OPENCLAW_DEFAULT_TASK_TIMEOUT_MS',
  poolSize: 'OPENCLAW_POOL_SIZE',
  secretKey: 'OPENCLAW_SECRET_KEY',
  previousSecretKeys: 'OPENCLAW_SECRET_KEY_PREVIOUS',
  httpAllow: 'OPENCLAW_HTTP_ALLOW',
  httpConnectTimeoutMs: 'OPENCLAW_HTTP_CONNECT_TIMEOUT_MS',
  httpTimeoutMs: 'OPENCLAW_HTTP_TIMEOUT_MS',
  httpMaxResponseBytes: 'OPENCLAW_HTTP_MAX_RESPONSE_BYTES',
  httpMaxRedirects: 'OPENCLAW_HTTP_MAX_REDIRECTS',
  containerMaxMemoryBytes: 'OPENCLAW_CONTAINER_MAX_MEMORY_BYTES',
  containerDefaultMemoryBytes: 'OPENCLAW_CONTAINER_DEFAULT_MEMORY_BYTES',
  containerMaxCpus: 'OPENCLAW_CONTAINER_MAX_CPUS',
  containerDefaultCpus: 'OPENCLAW_CONTAINER_DEFAULT_CPUS',
  containerMaxPids: 'OPENCLAW_CONTAINER_MAX_PIDS',
  containerDefaultPids: 'OPENCLAW_CONTAINER_DEFAULT_PIDS',
  containerAllowNetwork: 'OPENCLAW_CONTAINER_ALLOW_NETWORK',
  containerAllowHostNetwork: 'OPENCLAW_CONTAINER_ALLOW_HOST_NETWORK',
  containerPull: 'OPENCLAW_CONTAINER_PULL',
  containerUser: 'OPENCLAW_CONTAINER_USER',
  containerTmpfsBytes: 'OPENCLAW_CONTAINER_TMPFS_BYTES',
  containerMaxStdoutBytes: 'OPENCLAW_CONTAINER_MAX_STDOUT_BYTES',
  containerMaxOutputsBytes: 'OPENCLAW_CONTAINER_MAX_OUTPUTS_BYTES',
  wasmMemoryLimitBytes: 'OPENCLAW_WASM_MEMORY_LIMIT_BYTES',
  wasmMaxMemoryBytes: 'OPENCLAW_WASM_MAX_MEMORY_BYTES',
  wasmHeapLimitMb: 'OPENCLAW_WASM_HEAP_LIMIT_MB',
  wasmMaxOutputBytes: 'OPENCLAW_WASM_MAX_OUTPUT_BYTES',
  wasmTimeoutMs: 'OPENCLAW_WASM_TIMEOUT_MS',
  wasmCacheDir: 'OPENCLAW_WASM_CACHE_DIR',
  maxSkillBytes: 'OPENCLAW_MAX_SKILL_BYTES',
  cronGraceMs: 'OPENCLAW_CRON_GRACE_MS',
  cronMaxCatchUp: 'OPENCLAW_CRON_MAX_CATCHUP',
  notifyHooks: 'OPENCLAW_NOTIFY_HOOKS',
  notifyMaxAttempts: 'OPENCLAW_NOTIFY_MAX_ATTEMPTS',
  notifyTimeoutMs: 'OPENCLAW_NOTIFY_TIMEOUT_MS',
  notifyConcurrency: 'OPENCLAW_NOTIFY_CONCURRENCY',
  notifyMaxOutputBytes: 'OPENCLAW_NOTIFY_MAX_OUTPUT_BYTES',
  maxWebhookBytes: 'OPENCLAW_MAX_WEBHOOK_BYTES',
  webhookToleranceSeconds: 'OPENCLAW_WEBHOOK_TOLERANCE_SECONDS',
  webhookSecretOverlapMs: 'OPENCLAW_WEBHOOK_SECRET_OVERLAP_MS',
  webhookRateLimit: 'OPENCLAW_WEBHOOK_RATE_LIMIT',
  apiRateLimit: 'OPENCLAW_API_RATE_LIMIT',
  runRetentionDays: 'OPENCLAW_RUN_RETENTION_DAYS',
  runRetentionByNamespace: 'OPENCLAW_RUN_RETENTION_BY_NAMESPACE',
  runRetentionBatchSize: 'OPENCLAW_RUN_RETENTION_BATCH',
  runRetentionRate: 'OPENCLAW_RUN_RETENTION_RATE',
  auditRetentionDays: 'OPENCLAW_AUDIT_RETENTION_DAYS',
  metricsSampleMs: 'OPENCLAW_METRICS_SAMPLE_MS',
  metricsPublic: 'OPENCLAW_METRICS_PUBLIC',
  workerRetentionHours: 'OPENCLAW_WORKER_RETENTION_HOURS',
  artifactStore: 'OPENCLAW_ARTIFACT_STORE',
  artifactDir: 'OPENCLAW_ARTIFACT_DIR',
  artifactS3Bucket: 'OPENCLAW_ARTIFACT_S3_BUCKET',
  artifactS3Prefix: 'OPENCLAW_ARTIFACT_S3_PREFIX',
  artifactS3Endpoint: 'OPENCLAW_ARTIFACT_S3_ENDPOINT',
  artifactS3ForcePathStyle: 'OPENCLAW_ARTIFACT_S3_FORCE_PATH_STYLE',
  artifactS3Region: 'OPENCLAW_ARTIFACT_S3_REGION',
  artifactMaxBytes: 'OPENCLAW_ARTIFACT_MAX_BYTES',
  artifactSweepGraceMs: 'OPENCLAW_ARTIFACT_SWEEP_GRACE_MS',
  inlineJsonBytes: 'OPENCLAW_INLINE_JSON_BYTES',
  maxJsonBytes: 'OPENCLAW_MAX_JSON_BYTES',
};
