/**
 * The gauges that need the database — `openclaw_steps_ready{namespace}` (and the oldest ready
 * step's age), `openclaw_runs_active{namespace,status}`, `openclaw_workers{state}`,
 * `openclaw_worker_slots{state}` — are sampled by the scheduler leader, never per scrape: every
 * `metricsSampleMs` (OPENCLAW_METRICS_SAMPLE_MS, default 15 s; 0 turns sampling off), on the
 * leader only.
 *
 * Sharing: only the process whose scheduler holds the leader lock exports these families; every
 * other process exports no series for them (and a leader that loses the lock removes its own), so
 * `max` or `sum` over all scraped processes gives the fleet-wide value. During a failover the
 * series are absent for up to one tick plus one sample interval.
 *
 * Cost, bounded: two statements per sample. The queue and the active runs are `GET /v1/stats`'s
 * one statement (fleet/stats.ts: partial indexes only, each part reading at most
 * STATS_SCAN_LIMIT rows, so a larger backlog shows as a lower bound); the workers are one
 * aggregate over the worker table (its rows are pruned by the leader), states judged by the
 * database clock as `GET /v1/workers` judges them, busy slots as of each worker's last heartbeat.
 */
import type { Gauge } from 'prom-client';
import type { EngineCore } from '../core/engine-core.js';
import { queueStats } from '../fleet/stats.js';
import { WORKER_STATE_SQL, WORKER_STATES } from '../fleet/workers.js';

/** Workers by state, with their slots and busy slots. */
const WORKERS_SQL = `SELECT ${WORKER_STATE_SQL} AS state, count(*)::int AS n, coalesce(sum(slots), 0)::int AS slots,
         coalesce(sum(busy_slots), 0)::int AS busy
    FROM openclaw.worker GROUP BY 1`;

interface WorkerRow {
  state: string;
  n: number;
  slots: number;
  busy: number;
}

/** A gauge whose label sets seen before go to 0 when absent from a sample (a drained queue shows 0, not a gap). */
class SampledGauge<L extends string> {
  private readonly seen = new Map<string, Partial<Record<L, string>>>();
  constructor(private readonly gauge: Gauge<L>) {}

  set(values: Array<{ labels: Partial<Record<L, string>>; n: number }>): void {
    const now = new Map(values.map((v) => [JSON.stringify(v.labels), v]));
    for (const [key, labels] of this.seen) if (!now.has(key)) this.gauge.set(labels, 0);
    for (const [key, v] of now) {
      this.gauge.set(v.labels, v.n);
      this.seen.set(key, v.labels);
    }
  }

  clear(): void {
    this.gauge.reset();
    this.seen.clear();
  }
}

export class GaugeSampler {
  private lastSampleAt = 0;
  /** True while this sampler's values are exported (it sampled as leader and has not stood down since). */
  private exporting = false;
  /** True while this scheduler holds the lock (two schedulers of one engine must not undo each other's gauges). */
  private leading = false;
  private readonly ready: SampledGauge<'namespace'>;
  private readonly oldest: SampledGauge<'namespace'>;
  private readonly active: SampledGauge<'namespace' | 'status'>;
  private readonly workers: SampledGauge<'state'>;
  private readonly slots: SampledGauge<'state'>;

  constructor(private readonly core: EngineCore) {
    const m = core.metrics;
    this.ready = new SampledGauge(m.stepsReady);
    this.oldest = new SampledGauge(m.oldestReady);
    this.active = new SampledGauge(m.runsActive);
    this.workers = new SampledGauge(m.workers);
    this.slots = new SampledGauge(m.workerSlots);
  }

  /** Called on every tick this scheduler holds the leader lock: samples when the interval has passed. */
  async leaderTick(): Promise<void> {
    this.leading = true;
    this.core.metrics.schedulerLeader.set(1);
    const every = this.core.config.metricsSampleMs;
    if (every <= 0 || (this.exporting && Date.now() - this.lastSampleAt < every)) return;
    this.lastSampleAt = Date.now(); // local pacing only; the counts use the database clock
    try {
      await this.sample();
      this.exporting = true;
    } catch (err) {
      this.core.log.warn({ err }, 'metrics: sampling the database gauges failed; trying again next interval');
    }
  }

  /** Not (or no longer) the leader: export nothing for the sampled families. */
  standDown(): void {
    if (this.leading) this.core.metrics.schedulerLeader.set(0);
    this.leading = false;
    if (!this.exporting) return;
    this.exporting = false;
    for (const g of [this.ready, this.oldest, this.active, this.workers, this.slots]) g.clear();
    this.core.metrics.sampleSeconds.reset();
  }

  /** One sample (exposed for tests). */
  async sample(): Promise<void> {
    const started = performance.now();
    const [stats, { rows: workers }] = await Promise.all([queueStats(this.core, '*'), this.core.pool.query<WorkerRow>(WORKERS_SQL)]);
    this.ready.set(stats.namespaces.map((n) => ({ labels: { namespace: n.namespace }, n: n.queueDepth })));
    this.oldest.set(stats.namespaces.map((n) => ({ labels: { namespace: n.namespace }, n: n.oldestReadySeconds ?? 0 })));
    this.active.set(
      stats.namespaces.flatMap((n) =>
        Object.entries(n.activeRuns).map(([status, count]) => ({ labels: { namespace: n.namespace, status }, n: count })),
      ),
    );
    const byState = new Map(workers.map((w) => [w.state, w]));
    this.workers.set(WORKER_STATES.map((state) => ({ labels: { state }, n: byState.get(state)?.n ?? 0 })));
    // The slots of the workers that claim or finish work: alive and draining ones.
    const serving = ['alive', 'draining'].map((state) => byState.get(state));
    const slots = serving.reduce((a, w) => a + (w?.slots ?? 0), 0);
    const busy = Math.min(
      slots,
      serving.reduce((a, w) => a + (w?.busy ?? 0), 0),
    );
    this.slots.set([
      { labels: { state: 'busy' }, n: busy },
      { labels: { state: 'idle' }, n: slots - busy },
    ]);
    this.core.metrics.sampleSeconds.set((performance.now() - started) / 1000);
  }
}
