/**
 * Artifacts of a container step (docs/artifacts.md, "Containers"): inputs read-only at
 * /openclaw/in/<name>, outputs written by the task at /openclaw/out/<name>.
 *
 * Both directories are Docker volumes of the attempt, filled and read through the Docker archive
 * API (tar streams), never through a directory of the worker: it works the same with a local
 * daemon and a remote one (DOCKER_HOST), the daemon creates and deletes every file (no ownership
 * puzzles between the worker's user and the task's uid, no host paths), and a symbolic link the
 * task leaves in /openclaw/out is reported as a link, never followed on the worker's host.
 *
 * - Inputs: a loader container (created from the task's image, never started) mounts the volumes
 *   read-write; one putArchive streams every input from the store into `in/` (files 0444, the
 *   directory 0555, owned by root) and creates `out/` owned by the task's user. The task container
 *   then mounts `in` read-only.
 * - Outputs: after a successful exit, one getArchive of /openclaw/out from the exited container;
 *   each declared name that is a regular file is streamed into the store. Other entries are
 *   ignored (named in the step log). The cap on the directory is checked from the tar headers
 *   before the bytes are transferred, so at most the cap crosses the wire.
 * - While the task runs, the declared outputs' sizes are polled (HEAD on the archive API) and the
 *   container is killed once their sum passes the cap.
 *
 * Memory: one chunk of each stream at a time (see tar.ts), whatever the artifact's size.
 */
import { randomBytes } from 'node:crypto';
import { addAbortSignal, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import { NonRetryableError, TaskError } from '../../errors.js';
import { describeBytes } from '../../spec/size.js';
import { FAILURES } from '../../vocabulary/failures.js';
import type { TaskInvocation } from '../types.js';
import type { DockerClient } from './docker.js';
import { dockerMessage, httpStatus, withTimeout } from './docker.js';
import { packTar, readTar, type PackEntry } from './tar.js';

export const IN_DIR = '/openclaw/in';
export const OUT_DIR = '/openclaw/out';
/** How often the declared outputs' sizes are checked while the container runs. */
export const OUTPUT_POLL_MS = 1_000;
/** At most this many ignored entries are named in the step log. */
const MAX_IGNORED_LOGGED = 20;

export interface ArtifactVolumeOptions {
  /** The task's `uid[:gid]`: owner of /openclaw/out. */
  user: string;
  /** Labels of the attempt (the container's), so the cleanup at worker start finds the volumes. */
  labels: Record<string, string>;
  /** The name prefix of the attempt's objects (its container's name). */
  name: string;
  /** The cap on everything under /openclaw/out, and how to raise it (for the error). */
  maxBytes: number;
  raiseHint: string;
}

/** The error of an output directory over its cap (non-retryable: the same task writes as much again). */
export function outputsTooLarge(bytes: number, o: Pick<ArtifactVolumeOptions, 'maxBytes' | 'raiseHint'>): TaskError {
  return new NonRetryableError(
    FAILURES.ArtifactTooLarge,
    `the container wrote ${describeBytes(bytes)} or more under ${OUT_DIR}, over its limit of ${describeBytes(o.maxBytes)} (${o.raiseHint})`,
  );
}

/** The owner and mode of /openclaw/out: the task's numeric uid:gid, else a sticky world-writable directory. */
function outOwner(user: string): Pick<PackEntry, 'uid' | 'gid' | 'mode'> {
  const [uid = '', gid = ''] = user.split(':');
  if (!/^\d+$/.test(uid)) return { uid: 0, gid: 0, mode: 0o1777 };
  return { uid: Number(uid), gid: /^\d+$/.test(gid) ? Number(gid) : 0, mode: 0o700 };
}

export class ArtifactVolumes {
  private constructor(
    private readonly docker: Docker,
    private readonly inVolume: string | null,
    private readonly outVolume: string | null,
    private readonly options: ArtifactVolumeOptions,
  ) {}

  /** Whether the step has artifacts at all (no volumes otherwise). */
  static needed(inv: TaskInvocation): boolean {
    return inv.artifacts.inputs.length > 0 || inv.artifacts.outputs.length > 0;
  }

  /** Creates the attempt's volumes and copies the inputs in. On failure nothing is left behind. */
  static async prepare(
    docker: Docker,
    client: DockerClient,
    image: string,
    inv: TaskInvocation,
    options: ArtifactVolumeOptions,
  ): Promise<ArtifactVolumes> {
    const { inputs, outputs } = inv.artifacts;
    const suffix = randomBytes(3).toString('hex');
    const volumes = new ArtifactVolumes(
      docker,
      inputs.length > 0 ? `${options.name}-in-${suffix}` : null,
      outputs.length > 0 ? `${options.name}-out-${suffix}` : null,
      options,
    );
    try {
      await volumes.load(client, image, inv);
      return volumes;
    } catch (err) {
      await volumes.remove(inv);
      throw err;
    }
  }

  /** The task container's mounts: inputs read-only, outputs read-write. */
  mounts(readOnlyInputs = true): Docker.MountConfig {
    const mount = (source: string, target: string, readOnly: boolean): Docker.MountSettings => ({
      Type: 'volume',
      Source: source,
      Target: target,
      ReadOnly: readOnly,
      // Never copy what the image has at that path into the volume.
      VolumeOptions: { NoCopy: true } as Docker.MountSettings['VolumeOptions'],
    });
    return [
      ...(this.inVolume ? [mount(this.inVolume, IN_DIR, readOnlyInputs)] : []),
      ...(this.outVolume ? [mount(this.outVolume, OUT_DIR, false)] : []),
    ];
  }

  private async load(client: DockerClient, image: string, inv: TaskInvocation): Promise<void> {
    for (const name of [this.inVolume, this.outVolume]) {
      if (!name) continue;
      try {
        await this.docker.createVolume({ Name: name, Labels: this.options.labels });
      } catch (err) {
        throw client.failure(err, `creating volume ${name}`);
      }
    }
    const entries: PackEntry[] = [];
    if (this.inVolume) {
      entries.push({ path: 'in', type: 'dir', mode: 0o555, uid: 0, gid: 0 });
      for (const input of inv.artifacts.inputs) {
        entries.push({
          path: `in/${input.name}`,
          type: 'file',
          mode: 0o444,
          uid: 0,
          gid: 0,
          size: input.size,
          open: () => inv.artifacts.open(input.name),
        });
      }
    }
    if (this.outVolume) entries.push({ path: 'out', type: 'dir', ...outOwner(this.options.user) });
    let loader: Docker.Container;
    try {
      loader = await this.docker.createContainer({
        name: `${this.options.name}-load-${randomBytes(3).toString('hex')}`,
        Image: image,
        Entrypoint: ['/openclaw-loader-never-runs'],
        Cmd: [],
        Labels: this.options.labels,
        NetworkDisabled: true,
        HostConfig: { NetworkMode: 'none', Mounts: this.mounts(false), LogConfig: { Type: 'none', Config: {} } },
      });
    } catch (err) {
      throw client.failure(err, `creating the container that copies the artifacts in (${image})`);
    }
    const archive = addAbortSignal(inv.signal, packTar(entries));
    let sourceError: unknown = null;
    archive.on('error', (err) => (sourceError ??= err));
    try {
      await loader.putArchive(archive, { path: '/openclaw', abortSignal: inv.signal });
      for (const input of inv.artifacts.inputs) {
        inv.stepLog.write(`input artifact ${input.name} at ${IN_DIR}/${input.name}: ${describeBytes(input.size)}`, 'log');
      }
    } catch (err) {
      if (inv.signal.aborted) throw inv.signal.reason;
      const cause = sourceError ?? err;
      if (cause instanceof TaskError) throw cause;
      if (sourceError)
        throw new TaskError(FAILURES.ArtifactStoreError, `reading the input artifacts: ${(cause as Error).message}`, { cause });
      throw client.failure(err, `copying the input artifacts into volume ${this.inVolume ?? this.outVolume}`);
    } finally {
      archive.destroy();
      // v: also the anonymous volumes Docker made for a VOLUME the image declares.
      await withTimeout(loader.remove({ force: true, v: true }), 30_000, 'removing the loader').catch((err: unknown) => {
        if (httpStatus(err) !== 404) inv.log.warn({ error: dockerMessage(err) }, 'could not remove the artifact loader container');
      });
    }
  }

  /**
   * Checks the declared outputs' sizes every OUTPUT_POLL_MS while the container runs and calls
   * `kill` once their sum passes the cap. `stop()` returns the overflow error, if there was one.
   */
  watch(container: Docker.Container, inv: TaskInvocation, kill: () => Promise<void>): { stop(): TaskError | null } {
    if (!this.outVolume) return { stop: () => null };
    let exceeded: TaskError | null = null;
    let stopped = false;
    const statSize = async (name: string): Promise<number> => {
      try {
        const res = (await withTimeout(container.infoArchive({ path: `${OUT_DIR}/${name}` }), 5_000, 'stat')) as {
          headers: Record<string, string | undefined>;
          resume?: () => void;
        };
        res.resume?.();
        const stat = JSON.parse(Buffer.from(res.headers['x-docker-container-path-stat'] ?? '', 'base64').toString() || '{}') as {
          size?: number;
        };
        return typeof stat.size === 'number' ? stat.size : 0;
      } catch {
        return 0; // not written yet, or the daemon is busy: the read after exit checks it anyway
      }
    };
    const tick = async (): Promise<void> => {
      let total = 0;
      for (const o of inv.artifacts.outputs) total += await statSize(o.name);
      if (stopped || total <= this.options.maxBytes) return;
      exceeded = outputsTooLarge(total, this.options);
      inv.stepLog.write(`killing the container: ${exceeded.message}`, 'log');
      await kill();
    };
    let timer: NodeJS.Timeout | null = null;
    const schedule = (): void => {
      timer = setTimeout(() => {
        void tick().finally(() => {
          if (!stopped && !exceeded) schedule();
        });
      }, OUTPUT_POLL_MS);
      timer.unref();
    };
    schedule();
    return {
      stop: () => {
        stopped = true;
        if (timer) clearTimeout(timer);
        return exceeded;
      },
    };
  }

  /**
   * Streams each declared output the exited container wrote into the store. A missing one is left
   * to the task runner (ArtifactNotProduced unless optional); a declared name that is not a regular
   * file fails the step; anything else under /openclaw/out is ignored and named in the step log.
   */
  async collect(container: Docker.Container, client: DockerClient, inv: TaskInvocation): Promise<void> {
    if (!this.outVolume) return;
    let archive: NodeJS.ReadableStream;
    try {
      archive = await container.getArchive({ path: OUT_DIR, abortSignal: inv.signal });
    } catch (err) {
      if (inv.signal.aborted) throw inv.signal.reason;
      throw client.failure(err, `reading ${OUT_DIR} from the exited container`);
    }
    try {
      await this.readOutputs(archive as Readable, inv);
    } catch (err) {
      if (err instanceof TaskError) throw err;
      if (inv.signal.aborted) throw inv.signal.reason;
      throw client.failure(err, `reading ${OUT_DIR} from the exited container`);
    }
  }

  private async readOutputs(archive: Readable, inv: TaskInvocation): Promise<void> {
    const declared = new Set(inv.artifacts.outputs.map((o) => o.name));
    /** Top-level names under /openclaw/out that are not declared outputs. */
    const ignored = new Set<string>();
    let total = 0;
    const entries = readTar(archive, {
      maxFileBytes: this.options.maxBytes,
      tooLarge: (bytes) => outputsTooLarge(bytes, this.options),
    });
    for await (const entry of entries) {
      const rel = entry.path.replace(/^out(\/|$)/, '');
      if (rel === '') continue;
      // Sizes are in the headers: refuse before transferring the bytes.
      if (entry.type === 'file') total += entry.size;
      if (total > this.options.maxBytes) throw outputsTooLarge(total, this.options);
      if (!declared.has(rel)) {
        ignored.add(rel.split('/')[0] ?? rel);
        continue;
      }
      if (entry.type !== 'file') {
        const kind = entry.type === 'dir' ? 'directory' : entry.type === 'symlink' ? 'symbolic link' : 'special file';
        throw new NonRetryableError(
          FAILURES.ArtifactNotProduced,
          `${OUT_DIR}/${rel} is a ${kind}, not a regular file: write output artifact ${rel} as a file`,
        );
      }
      const stored = await inv.artifacts.write(rel, entry.body);
      inv.stepLog.write(`output artifact ${rel}: ${describeBytes(stored.size)}, sha256 ${stored.sha256}`, 'log');
    }
    if (ignored.size > 0) {
      const shown = [...ignored].slice(0, MAX_IGNORED_LOGGED).map((p) => `${OUT_DIR}/${p}`);
      inv.stepLog.write(
        `ignored, not declared in artifacts.out: ${shown.join(', ')}${ignored.size > shown.length ? ` and ${ignored.size - shown.length} more` : ''}`,
        'log',
      );
    }
  }

  /** Deletes the volumes (after the containers that use them are gone). Never throws. */
  async remove(inv: Pick<TaskInvocation, 'log'>): Promise<void> {
    for (const name of [this.inVolume, this.outVolume]) {
      if (!name) continue;
      try {
        await withTimeout(this.docker.getVolume(name).remove(), 30_000, `removing volume ${name}`);
      } catch (err) {
        if (httpStatus(err) === 404) continue;
        inv.log.warn({ volume: name, error: dockerMessage(err) }, 'could not remove a volume; the next worker start will');
      }
    }
  }
}
