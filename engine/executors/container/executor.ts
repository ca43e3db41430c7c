/**
 * Container tasks (`container: {...}`), run through the Docker Engine API. One container per
 * attempt, isolated by default, always removed afterwards; see docs/tasks/container.md. A step with
 * artifacts also gets the attempt's volumes at /openclaw/in and /openclaw/out (artifact-volumes.ts),
 * removed after the container.
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { NonRetryableError, TaskError } from '../../errors.js';
import { describeBytes } from '../../spec/size.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Executor, TaskInvocation } from '../types.js';
import { ArtifactVolumes } from './artifact-volumes.js';
import { LABELS, removeLeftovers } from './cleanup.js';
import { DockerClient, dockerMessage, httpStatus, withTimeout } from './docker.js';
import { OutputCollector } from './output.js';
import { planContainer, type ContainerPlan, type ContainerPolicy } from './plan.js';

export interface ContainerExecutorOptions extends ContainerPolicy {
  /** `never`: only local images; `missing`: pull images that are not on the Docker host. */
  pull: 'never' | 'missing';
  /** `uid:gid` the command runs as (never root). */
  user: string;
  /** Size of the writable tmpfs at /tmp (and over any VOLUME the image declares). */
  tmpfsBytes: number;
  /** `stdout` in the `{exitCode, stdout}` result keeps at most this many bytes (the end). */
  maxStdoutBytes: number;
  /** The engine's maxJsonBytes (OPENCLAW_MAX_JSON_BYTES): a JSON last line longer than this cannot be the output. */
  maxOutputBytes: number;
  /**
   * Labels this executor's containers, so that cleanup touches only containers of the same
   * deployment (engine database + namespace) when several share one Docker host.
   */
  scope?: string;
  /** Whether a worker is still running (heartbeat recent, not stopped); used by the cleanup at start. */
  isWorkerAlive?: (workerId: string) => Promise<boolean>;
  /** A dockerode instance or its options; default: DOCKER_HOST etc., like the docker CLI. */
  docker?: Docker | Docker.DockerOptions;
  /** Exited managed containers older than this are removed by the cleanup at worker start (default 60 s). */
  cleanupGraceMs?: number;
}

/**
 * An environment string longer than 128 KiB makes the kernel refuse to start the program (E2BIG):
 * larger inputs are given on stdin only.
 */
export const MAX_ENV_INPUT_BYTES = 96 * 1024;

/** After the container exited, how long to wait for the rest of its output to arrive. */
const OUTPUT_DRAIN_MS = 2_000;
/** Bounds on the cleanup done when a worker starts, and on stop() waiting for removals. */
const START_CLEANUP_MS = 10_000;
const STOP_WAIT_MS = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** A promise that rejects with the signal's reason when it aborts (and never otherwise). */
function aborted(signal: AbortSignal): { promise: Promise<never>; dispose(): void } {
  let onAbort = (): void => undefined;
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => undefined);
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

function containerName(inv: TaskInvocation): string {
  const step = inv.stepKey.replace(/[^a-zA-Z0-9_.-]+/g, '_').slice(0, 40);
  return `openclaw-${inv.runId.slice(0, 8)}-${step}-a${inv.attempt}-${randomBytes(3).toString('hex')}`;
}

export class ContainerExecutor implements Executor {
  readonly kinds = ['container'] as const;
  /** Labels this process's containers: the cleanup of a worker in this process never removes them. */
  readonly instance = randomBytes(8).toString('hex');
  readonly scope: string;
  private readonly client: DockerClient;
  /** Container removals in flight (stop() waits for them). */
  private readonly removals = new Set<Promise<void>>();

  constructor(private readonly options: ContainerExecutorOptions) {
    this.scope = options.scope ?? 'default';
    this.client = new DockerClient(options.docker);
  }

  async start(context: { workerId: string; log: Logger }): Promise<void> {
    const log = context.log;
    let docker: Docker;
    try {
      docker = await this.client.get(3_000);
    } catch (err) {
      log.debug({ error: (err as Error).message }, 'container tasks: Docker is not reachable now; container steps fail until it is');
      return;
    }
    const cleanup = removeLeftovers(docker, {
      scope: this.scope,
      instance: this.instance,
      workerId: context.workerId,
      isWorkerAlive: this.options.isWorkerAlive,
      graceMs: this.options.cleanupGraceMs ?? 60_000,
      log,
    }).catch((err: unknown) => {
      log.warn({ error: dockerMessage(err) }, 'container cleanup failed');
      return 0;
    });
    await Promise.race([cleanup, sleep(START_CLEANUP_MS)]);
  }

  async stop(): Promise<void> {
    await Promise.race([Promise.all([...this.removals]), sleep(STOP_WAIT_MS)]);
  }

  async execute(inv: TaskInvocation): Promise<unknown> {
    const plan = planContainer(inv.spec, this.options);
    inv.signal.throwIfAborted();
    const docker = await this.client.get();
    const image = await this.client.ensureImage(docker, plan.image, this.options.pull, inv.signal);
    inv.signal.throwIfAborted();
    const name = containerName(inv);
    const volumes = ArtifactVolumes.needed(inv)
      ? await ArtifactVolumes.prepare(docker, this.client, plan.image, inv, {
          user: this.options.user,
          labels: this.labels(inv),
          name,
          maxBytes: plan.outputsBytes,
          raiseHint:
            plan.outputsBytes < this.options.maxOutputsBytes
              ? `container.resources.outputs; raise it, up to this engine's containerMaxOutputsBytes=${describeBytes(this.options.maxOutputsBytes)}`
              : 'containerMaxOutputsBytes, the engine’s cap; raise OPENCLAW_CONTAINER_MAX_OUTPUTS_BYTES to allow more',
        })
      : null;
    try {
      let container: Docker.Container;
      try {
        container = await docker.createContainer(this.createOptions(name, plan, image, inv, volumes));
      } catch (err) {
        throw this.client.failure(err, `creating a container from ${plan.image}`);
      }
      try {
        return await this.run(docker, container, plan, inv, volumes);
      } finally {
        await this.remove(container, inv.log);
      }
    } finally {
      await volumes?.remove(inv);
    }
  }

  private labels(inv: TaskInvocation): Record<string, string> {
    return {
      [LABELS.managed]: 'true',
      [LABELS.scope]: this.scope,
      [LABELS.worker]: inv.workerId,
      [LABELS.executor]: this.instance,
      [LABELS.run]: inv.runId,
      [LABELS.step]: inv.stepKey,
      [LABELS.attempt]: String(inv.attempt),
    };
  }

  private createOptions(
    name: string,
    plan: ContainerPlan,
    image: Docker.ImageInspectInfo,
    inv: TaskInvocation,
    volumes: ArtifactVolumes | null,
  ): Docker.ContainerCreateOptions {
    const input = JSON.stringify(inv.input ?? null);
    const env: Record<string, string> = {
      // The attempt's span (tracing on), for the program's own spans; a spec's `env` may set its own.
      ...(inv.traceparent === undefined ? {} : { TRACEPARENT: inv.traceparent }),
      ...plan.env,
      OPENCLAW_IDEMPOTENCY_KEY: inv.idempotencyKey,
      OPENCLAW_ATTEMPT: String(inv.attempt),
      OPENCLAW_RUN_ID: inv.runId,
      OPENCLAW_STEP_KEY: inv.stepKey,
    };
    delete env.OPENCLAW_INPUT;
    if (Buffer.byteLength(input) <= MAX_ENV_INPUT_BYTES) env.OPENCLAW_INPUT = input;
    const tmpfs = `rw,noexec,nosuid,nodev,size=${this.options.tmpfsBytes},mode=1777`;
    // A VOLUME in the image would get a Docker-managed writable volume outside every cap: cover it with a capped tmpfs.
    const mounts = volumes?.mounts() ?? [];
    const imageVolumes = Object.keys(image.Config?.Volumes ?? {}).filter(
      (p) => p.startsWith('/') && p !== '/tmp' && !mounts.some((m) => m.Target === p),
    );
    return {
      name,
      Image: plan.image,
      ...(plan.entrypoint ? { Entrypoint: plan.entrypoint } : {}),
      ...(plan.cmd ? { Cmd: plan.cmd } : {}),
      ...(plan.workdir ? { WorkingDir: plan.workdir } : {}),
      // Only these: never the worker's own environment.
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      User: this.options.user,
      Labels: this.labels(inv),
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      OpenStdin: true,
      StdinOnce: true,
      Tty: false,
      NetworkDisabled: plan.network === 'none',
      HostConfig: {
        NetworkMode: plan.network,
        ReadonlyRootfs: true,
        Tmpfs: Object.fromEntries(['/tmp', ...imageVolumes].map((p) => [p, tmpfs])),
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        Privileged: false,
        Memory: plan.memoryBytes,
        MemorySwap: plan.memoryBytes, // no swap on top
        NanoCpus: plan.nanoCpus,
        PidsLimit: plan.pids,
        IpcMode: 'private',
        Binds: [],
        // Only the attempt's artifact volumes (artifact-volumes.ts): inputs read-only, outputs capped.
        Mounts: mounts,
        // Output reaches us through the attach stream only: nothing is stored on the Docker host.
        LogConfig: { Type: 'none', Config: {} },
        AutoRemove: false, // removed explicitly, after its exit state (OOMKilled) was read
      },
    };
  }

  private async run(
    docker: Docker,
    container: Docker.Container,
    plan: ContainerPlan,
    inv: TaskInvocation,
    volumes: ArtifactVolumes | null,
  ): Promise<unknown> {
    const output = new OutputCollector(inv.stepLog, {
      maxStdoutBytes: this.options.maxStdoutBytes,
      maxOutputBytes: this.options.maxOutputBytes,
    });
    const abort = aborted(inv.signal);
    let socket: Duplex | null = null;
    try {
      try {
        socket = (await Promise.race([
          container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true }),
          abort.promise,
        ])) as Duplex;
      } catch (err) {
        throw inv.signal.aborted ? err : this.client.failure(err, 'attaching to the container');
      }
      // EPIPE when the command does not read its stdin and has exited: harmless.
      socket.on('error', (err: Error) => inv.log.debug({ error: err.message }, 'container attach stream error'));
      const s = socket;
      const outputEnded = new Promise<void>((resolve) => {
        s.once('end', resolve);
        s.once('close', resolve);
      });
      docker.modem.demuxStream(socket, output.stdout, output.stderr);
      try {
        await Promise.race([container.start(), abort.promise]);
      } catch (err) {
        throw inv.signal.aborted ? err : this.client.failure(err, `starting the container (${plan.image})`, 'ContainerStartFailed');
      }
      socket.end(`${JSON.stringify(inv.input ?? null)}\n`);
      const watch = volumes?.watch(container, inv, () =>
        container.kill().then(
          () => undefined,
          () => undefined,
        ),
      );
      let status: number;
      try {
        const w = (await Promise.race([container.wait(), abort.promise])) as { StatusCode?: number };
        status = typeof w.StatusCode === 'number' ? w.StatusCode : -1;
      } catch (err) {
        watch?.stop();
        throw inv.signal.aborted ? err : this.client.failure(err, 'waiting for the container');
      }
      // Killed for writing too much under /openclaw/out while it ran.
      const exceeded = watch?.stop();
      if (exceeded) throw exceeded;
      await Promise.race([outputEnded, sleep(OUTPUT_DRAIN_MS)]);
      output.end();
      let state: Docker.ContainerInspectInfo['State'];
      try {
        state = (await container.inspect()).State;
      } catch (err) {
        throw this.client.failure(err, 'inspecting the exited container');
      }
      if (state.OOMKilled) {
        throw new NonRetryableError(
          'OutOfMemory',
          `the container was killed for using more than its memory limit of ${describeBytes(plan.memoryBytes)} ` +
            `(container.resources.memory; this engine allows up to containerMaxMemoryBytes=${describeBytes(this.options.maxMemoryBytes)}, ` +
            `and /tmp counts against it)`,
        );
      }
      const exitCode = status >= 0 ? status : state.ExitCode;
      if (exitCode !== 0) {
        const signal = exitCode > 128 && exitCode < 160 ? ` (signal ${exitCode - 128})` : '';
        const tail = output.failureTail();
        throw new TaskError(
          'ContainerExit',
          `the container exited with code ${exitCode}${signal}${tail ? `: ${tail}` : ' and printed nothing'}`,
          {
            retryable: true,
          },
        );
      }
      const result = output.result(exitCode);
      await volumes?.collect(container, this.client, inv);
      return result;
    } finally {
      abort.dispose();
      socket?.destroy();
    }
  }

  /** Kills (if running) and removes the container, with its anonymous volumes. Never throws. */
  private async remove(container: Docker.Container, log: Logger): Promise<void> {
    const p = withTimeout(container.remove({ force: true, v: true }), 30_000, 'removing a container')
      .then(() => undefined)
      .catch((err: unknown) => {
        if (httpStatus(err) === 404 || httpStatus(err) === 409) return; // gone, or already being removed
        log.warn(
          { container: container.id.slice(0, 12), error: dockerMessage(err) },
          'could not remove a container; the next worker start will',
        );
      })
      .finally(() => this.removals.delete(p));
    this.removals.add(p);
    await p;
  }
}
