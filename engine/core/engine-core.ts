import type pg from 'pg';
import type { LargeJson } from '../artifacts/large-json.js';
import type { ArtifactService } from '../artifacts/service.js';
import type { EngineConfig } from '../config.js';
import type { GraphCache } from './graph-cache.js';
import type { Keyring } from '../secrets/crypto.js';
import type { Logger } from '../telemetry/logger.js';
import type { EngineMetrics } from '../telemetry/metrics.js';
import type { Tracing } from '../telemetry/trace-context.js';

/**
 * The engine's shared, long-lived internals: what the transition, worker, scheduler and trigger
 * code needs. Built once by `Engine`; never handed to library users.
 */
export interface EngineCore {
  pool: pg.Pool;
  config: EngineConfig;
  log: Logger;
  graphs: GraphCache;
  /** Master keys for secrets (current first); `current` is null when none is configured. */
  keyring: Keyring;
  /** This engine's Prometheus metrics (telemetry/metrics.ts); transactions count through `TxMetrics`, after COMMIT. */
  metrics: EngineMetrics;
  /** OpenTelemetry traces (telemetry/tracing.ts); null when no OTLP endpoint is configured: then every call site is one null check. */
  tracing: Tracing | null;
  /** The artifact store and its object rows (artifacts/service.ts; docs/artifacts.md). */
  artifacts: ArtifactService;
  /** JSON values too large for a row, kept in the artifact store by reference (artifacts/large-json.ts). */
  json: LargeJson;
}
