/**
 * A1 artifact-1g: a 1 GiB artifact streamed end to end with bounded memory (issue 13). A two-step
 * container pipeline on a real Docker daemon: `produce` writes /openclaw/out/data (1 GiB from
 * /dev/zero: the bytes' content costs nothing to make, and nothing on the way compresses), the
 * worker streams it into the artifact store (directory store); `consume` gets it at
 * /openclaw/in/data and prints its sha256 and size; then the bench downloads it over
 * `GET /v1/artifacts/{id}` and hashes what arrives. A warm-up pass with 1 MiB goes first, so the
 * figures are those of the transfer, not of the code's first use.
 *
 * One `openclaw server` and one `openclaw worker` run as their own OS processes, from the sources
 * (`node --import tsx cli/main.ts`, so no build is needed). Their memory: VmRSS at rest before each
 * phase, and the peak (VmHWM, reset through /proc/<pid>/clear_refs before the phase; when that is not
 * permitted, the highest VmRSS sampled every 50 ms). The bar: no process grows by more than
 * BENCH_A1_MAX_GROWTH_MB (64) over its resting RSS while 1 GiB flows through it.
 *
 * Figures per phase: wall time and MB/s (MiB/s of the artifact). `produce` includes the container
 * writing 1 GiB into its volume and the worker reading it back through the Docker archive API into
 * the store; `consume` includes copying it from the store into the next container's volume and the
 * container hashing it (busybox sha256sum); `download` is the HTTP transfer to this process.
 * Needs Docker and the image local/busybox (scripts/docker-setup.sh).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { generateApiKey } from '../../engine/index.js';
import { processCpuMs } from '../lib/cpu.js';
import { waitFor, type BenchContext, type Figures, type Scenario } from '../lib/harness.js';
import { REPO_ROOT, runToEnd, spawnNode, type Child } from '../lib/processes.js';
import { round } from '../lib/stats.js';

const BYTES = Number(process.env.BENCH_A1_BYTES || 1024 ** 3);
const MAX_GROWTH_MB = Number(process.env.BENCH_A1_MAX_GROWTH_MB || 64);
/** Extra node flags for the server and worker (e.g. `--max-semi-space-size=1` to see how much of the growth is GC headroom). */
const NODE_FLAGS = (process.env.BENCH_A1_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const CLI_TS = path.join(REPO_ROOT, 'cli', 'main.ts');
const KEY = generateApiKey();
const MiB = 1024 ** 2;
const WARM_UP_BYTES = MiB;

const log = (msg: string): void => void process.stderr.write(`[bench] A1 ${msg}\n`);

const SPEC = `name: a1
steps:
  produce:
    container:
      image: local/busybox
      command: "head -c \${{ inputs.bytes }} /dev/zero > /openclaw/out/data"
      resources: { memory: 64Mi }
    artifacts: { out: [data] }
    timeout: 15m
  consume:
    needs: [produce]
    container:
      image: local/busybox
      command: "set -e; s=$(sha256sum /openclaw/in/data | cut -d' ' -f1); n=$(wc -c < /openclaw/in/data); echo \\"{\\\\\\"sha256\\\\\\": \\\\\\"$s\\\\\\", \\\\\\"size\\\\\\": $n}\\""
      resources: { memory: 64Mi }
    artifacts: { in: { data: produce.data } }
    timeout: 15m
`;

/** A /proc/<pid>/status field in MiB (VmRSS, VmHWM), or null when unreadable. */
function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

interface ProcessFigures {
  rest_mb: number;
  peak_mb: number;
  growth_mb: number;
  how: string;
  cpu_s: number | null;
}

/** Per process over a phase: peak RSS (VmHWM after a reset, else the highest sampled VmRSS) and CPU seconds. */
function memoryWatch(children: Child[]): { stop(): Record<string, ProcessFigures> } {
  const cpu = new Map(children.map((c) => [c.name, processCpuMs(c.pid)]));
  const rest = new Map(children.map((c) => [c.name, statusMb(c.pid, 'VmRSS') ?? 0]));
  const reset = new Map(
    children.map((c) => {
      try {
        writeFileSync(`/proc/${c.pid}/clear_refs`, '5');
        return [c.name, true];
      } catch {
        return [c.name, false];
      }
    }),
  );
  const sampled = new Map(rest);
  const timer = setInterval(() => {
    for (const c of children) sampled.set(c.name, Math.max(sampled.get(c.name) ?? 0, statusMb(c.pid, 'VmRSS') ?? 0));
  }, 50);
  return {
    stop() {
      clearInterval(timer);
      const out: Record<string, ProcessFigures> = {};
      for (const c of children) {
        const hwm = reset.get(c.name) ? statusMb(c.pid, 'VmHWM') : null;
        const peak = Math.max(hwm ?? 0, sampled.get(c.name) ?? 0);
        const r = rest.get(c.name) ?? 0;
        const before = cpu.get(c.name);
        const after = processCpuMs(c.pid);
        out[c.name] = {
          rest_mb: round(r, 1),
          peak_mb: round(peak, 1),
          growth_mb: round(peak - r, 1),
          how: hwm === null ? 'sampled VmRSS' : 'VmHWM',
          cpu_s: before == null || after === null ? null : round((after - before) / 1000, 2),
        };
      }
      return out;
    },
  };
}

async function api(url: string, method: string, pathname: string, body?: string, type = 'application/json'): Promise<unknown> {
  const res = await fetch(`${url}${pathname}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { 'content-type': type }) },
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`bench A1: ${method} ${pathname} answered ${res.status}: ${text}`);
  return text ? (JSON.parse(text) as unknown) : null;
}

/** One run of the pipeline moving `bytes`; what the database says of it. */
async function pipelineRun(url: string, pool: pg.Pool, bytes: number) {
  const { id: runId } = (await api(url, 'POST', '/v1/workflows/a1/runs', JSON.stringify({ input: { bytes } }))) as { id: string };
  log(`run ${runId}: ${bytes} bytes through produce -> consume ...`);
  const status = await waitFor(
    'the A1 run to finish',
    async () => {
      const { rows } = await pool.query<{ status: string }>(`SELECT status FROM openclaw.run WHERE id = $1`, [runId]);
      const s = rows[0]?.status;
      return s === 'succeeded' || s === 'failed' || s === 'cancelled' ? s : null;
    },
    40 * 60_000,
    200,
  );
  const steps = await pool.query<{ name: string; ms: number; output: unknown; error: unknown }>(
    `SELECT name, extract(epoch FROM finished_at - started_at) * 1000 AS ms, output, error FROM openclaw.step WHERE run_id = $1`,
    [runId],
  );
  if (status !== 'succeeded') throw new Error(`bench A1: the run ${status}: ${JSON.stringify(steps.rows.map((r) => [r.name, r.error]))}`);
  const art = await pool.query<{ id: string; size: string; sha256: string }>(
    `SELECT id, size, sha256 FROM openclaw.artifact WHERE run_id = $1 AND name = 'data'`,
    [runId],
  );
  const artifact = art.rows[0];
  if (!artifact) throw new Error('bench A1: the run has no artifact data');
  const ms = (name: string): number => Number(steps.rows.find((r) => r.name === name)?.ms ?? NaN);
  return {
    artifactId: artifact.id,
    artifact,
    stepMs: { produce: ms('produce'), consume: ms('consume') },
    consumed: steps.rows.find((r) => r.name === 'consume')?.output as { sha256?: string; size?: number } | undefined,
  };
}

/** Downloads an artifact over the API, hashing it as it arrives. */
async function download(url: string, id: string): Promise<{ sha256: string; size: number }> {
  const res = await fetch(`${url}/v1/artifacts/${id}`, { headers: { authorization: `Bearer ${KEY}` } });
  if (!res.ok || !res.body) throw new Error(`bench A1: download answered ${res.status}`);
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

export const a1Artifact1g: Scenario = {
  id: 'A1',
  title: `artifact-1g: ${BYTES} bytes through two containers and the download API`,
  async run(ctx: BenchContext): Promise<Figures> {
    const db = await ctx.database('a1');
    const pool = ctx.pool(db.url);
    const store = mkdtempSync(path.join(os.tmpdir(), 'openclaw-bench-a1-'));
    ctx.defer(async () => rmSync(store, { recursive: true, force: true }));
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OPENCLAW_') && k !== 'NODE_OPTIONS') env[k] = v;
    Object.assign(env, {
      DATABASE_URL: db.url,
      OPENCLAW_SECRET_KEY: randomBytes(32).toString('base64'),
      OPENCLAW_ADMIN_KEY: KEY,
      OPENCLAW_API_RATE_LIMIT: '0',
      OPENCLAW_LOG_LEVEL: 'warn',
      OPENCLAW_ARTIFACT_DIR: store,
      OPENCLAW_CONTAINER_PULL: 'never',
    });
    const nodeArgs = ['--import', 'tsx', ...NODE_FLAGS];
    if (!existsSync(CLI_TS)) throw new Error(`bench A1: ${CLI_TS} is missing`);
    await runToEnd('openclaw migrate', CLI_TS, ['migrate'], { env, nodeArgs });
    const server = spawnNode('server', CLI_TS, ['server', '--host', '127.0.0.1', '--port', '0'], { env, nodeArgs });
    ctx.defer(async () => void (await server.stop()));
    const url = await server.waitForLine(/OpenClaw ready at (http:\/\/\S+)/, 60_000);
    const worker = spawnNode('worker', CLI_TS, ['worker', '--slots', '2'], { env, nodeArgs });
    ctx.defer(async () => void (await worker.stop()));
    await worker.waitForLine(/OpenClaw worker .* ready/, 60_000);
    await api(url, 'POST', '/v1/workflows', SPEC, 'application/yaml');

    // A warm-up pass with 1 MiB, so that what is measured is the transfer, not the code's first use.
    const warm = await pipelineRun(url, pool, WARM_UP_BYTES);
    await download(url, warm.artifactId);
    log(`warm-up done (${WARM_UP_BYTES} bytes)`);

    // Phase 1: the pipeline (the worker moves the bytes; the server only answers the run's start).
    const pipeline = memoryWatch([worker, server]);
    const started = performance.now();
    const run = await pipelineRun(url, pool, BYTES);
    const pipelineMs = performance.now() - started;
    const pipelineMemory = pipeline.stop();

    // Phase 2: the download (the server streams the store's file to this process).
    const downloadWatch = memoryWatch([server, worker]);
    const t0 = performance.now();
    const got = await download(url, run.artifactId);
    const downloadMs = performance.now() - t0;
    const downloadMemory = downloadWatch.stop();
    const { stepMs, consumed, artifact } = run;

    const rate = (ms: number): number => round(BYTES / MiB / (ms / 1000), 1);
    const growth = Math.max(
      ...Object.values(pipelineMemory).map((m) => m.growth_mb),
      ...Object.values(downloadMemory).map((m) => m.growth_mb),
    );
    return {
      scenario: 'A1',
      bytes: BYTES,
      digests_match:
        consumed?.sha256 === artifact.sha256 && consumed.size === BYTES && got.sha256 === artifact.sha256 && got.size === BYTES,
      pipeline_s: round(pipelineMs / 1000, 2),
      produce: { s: round(stepMs.produce / 1000, 2), mib_s: rate(stepMs.produce) },
      consume: { s: round(stepMs.consume / 1000, 2), mib_s: rate(stepMs.consume) },
      download: { s: round(downloadMs / 1000, 2), mib_s: rate(downloadMs) },
      rss_mb: { pipeline: pipelineMemory, download: downloadMemory },
      max_growth_mb: growth,
      target: { max_growth_mb: MAX_GROWTH_MB },
      met: { max_growth_mb: growth <= MAX_GROWTH_MB },
      conditions: ctx.conditions(1, 2, {
        store: 'fs (directory, same disk)',
        docker: 'local daemon, volumes + archive API',
        processes: `openclaw server + openclaw worker from sources (node ${nodeArgs.join(' ')})`,
      }),
    };
  },
};
