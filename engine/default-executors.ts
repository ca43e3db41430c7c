/**
 * The executors every worker gets unless `createEngine({ executors })` says otherwise: built-ins
 * (always present, see executors/registry.ts), plus the wasm, container and http task kinds, each
 * constructed here with what it needs from the engine (configuration, and callbacks into the
 * database — executors themselves never touch it).
 */
import { createHash } from 'node:crypto';
import type { EngineConfig } from './config.js';
import { ContainerExecutor } from './executors/container/index.js';
import { createHttpExecutor } from './executors/http/index.js';
import { createWasmExecutor } from './executors/wasm/index.js';
import type { Executor } from './executors/types.js';
import type { EngineCore } from './core/engine-core.js';
import { resolveSkill } from './skills/registry.js';

export function defaultExecutors(core: EngineCore): Executor[] {
  const { config } = core;
  const executors: Executor[] = [];
  executors.push(
    createHttpExecutor({
      allow: config.httpAllow,
      connectTimeoutMs: config.httpConnectTimeoutMs,
      timeoutMs: config.httpTimeoutMs,
      maxResponseBytes: config.httpMaxResponseBytes,
      maxRedirects: config.httpMaxRedirects,
    }),
  );
  executors.push(containerExecutor(core));
  executors.push(wasmExecutor(core));
  return executors;
}

function wasmExecutor(core: EngineCore): Executor {
  const { config } = core;
  return createWasmExecutor({
    resolveSkill: (name, range, namespace) => resolveSkill(core, namespace, name, range),
    cacheDir: config.wasmCacheDir,
    limits: {
      defaultMemoryBytes: config.wasmMemoryLimitBytes,
      maxMemoryBytes: config.wasmMaxMemoryBytes,
      heapLimitMb: config.wasmHeapLimitMb,
      maxOutputBytes: config.wasmMaxOutputBytes,
      defaultTimeoutMs: config.wasmTimeoutMs,
      maxLogBytes: config.maxStepLogBytes,
    },
  });
}

/**
 * Which containers belong to this deployment (engine database + namespace), so that the cleanup at
 * worker start never touches containers of another deployment sharing the Docker host. Credentials
 * are left out: a server and a worker logging in as different roles share one scope.
 */
export function containerScope(config: Pick<EngineConfig, 'databaseUrl' | 'namespace'>): string {
  let where = config.databaseUrl;
  try {
    const u = new URL(config.databaseUrl);
    where = `${u.hostname}:${u.port || '5432'}${u.pathname}?host=${u.searchParams.get('host') ?? ''}`;
  } catch {
    // not a URL: hash it as it is
  }
  return createHash('sha256').update(`${where}#${config.namespace}`).digest('hex').slice(0, 16);
}

function containerExecutor(core: EngineCore): ContainerExecutor {
  const { config, pool } = core;
  // A worker is gone when it stopped, or has not heartbeaten for a lease TTL (its leases are expired by then).
  const staleSecs = Math.max(config.leaseTtlMs, 3 * config.heartbeatIntervalMs) / 1000;
  return new ContainerExecutor({
    maxMemoryBytes: config.containerMaxMemoryBytes,
    defaultMemoryBytes: config.containerDefaultMemoryBytes,
    maxCpus: config.containerMaxCpus,
    defaultCpus: config.containerDefaultCpus,
    maxPids: config.containerMaxPids,
    defaultPids: config.containerDefaultPids,
    allowNetwork: config.containerAllowNetwork,
    allowHostNetwork: config.containerAllowHostNetwork,
    pull: config.containerPull,
    user: config.containerUser,
    tmpfsBytes: config.containerTmpfsBytes,
    maxStdoutBytes: config.containerMaxStdoutBytes,
    maxOutputsBytes: config.containerMaxOutputsBytes,
    maxOutputBytes: config.maxJsonBytes,
    scope: containerScope(config),
    isWorkerAlive: async (workerId) => {
      const { rowCount } = await pool.query(
        `SELECT 1 FROM openclaw.worker
          WHERE id = $1 AND stopped_at IS NULL AND last_seen > now() - make_interval(secs => $2)`,
        [workerId, staleSecs],
      );
      return (rowCount ?? 0) > 0;
    },
  });
}
