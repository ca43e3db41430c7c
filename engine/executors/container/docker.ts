/**
 * The Docker Engine API client (dockerode), created lazily: constructing the executor never
 * connects, so processes that never run a container task never talk to Docker. The daemon is
 * found the way the docker CLI finds it: DOCKER_HOST (unix://, tcp://, ssh://), DOCKER_TLS_VERIFY
 * and DOCKER_CERT_PATH, else /var/run/docker.sock. Failures are translated into task errors.
 */
import Docker from 'dockerode';
import { NonRetryableError, TaskError } from '../../errors.js';

/** Errors of the connection itself (as opposed to an HTTP answer from the daemon). */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOENT',
  'EACCES',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENOTSOCK',
]);

interface DockerHttpError {
  statusCode?: number;
  json?: { message?: string } | null;
  code?: string;
  message?: string;
}

export function isConnectionError(err: unknown): boolean {
  const e = err as DockerHttpError | null;
  return !!e && typeof e.code === 'string' && CONNECTION_CODES.has(e.code);
}

export function httpStatus(err: unknown): number | undefined {
  const s = (err as DockerHttpError | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** The daemon's own message (without dockerode's "(HTTP code 404) no such container - " prefix). */
export function dockerMessage(err: unknown): string {
  const e = err as DockerHttpError | null;
  const m = e?.json?.message ?? e?.message ?? String(err);
  return m.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}

/** Where the client looks for the daemon, for messages. */
export function describeDockerHost(source?: Docker | Docker.DockerOptions): string {
  const o = source instanceof Docker ? null : source;
  if (o?.socketPath) return `unix://${o.socketPath}`;
  if (o?.host) return `${o.protocol ?? 'http'}://${o.host}${o.port ? `:${o.port}` : ''}`;
  const host = process.env.DOCKER_HOST;
  return host ? `DOCKER_HOST=${host}` : 'unix:///var/run/docker.sock (DOCKER_HOST is not set)';
}

export function dockerUnavailable(cause: unknown, source?: Docker | Docker.DockerOptions): TaskError {
  return new TaskError(
    'DockerUnavailable',
    `the Docker daemon is not reachable at ${describeDockerHost(source)}: ${dockerMessage(cause)} ` +
      '(start dockerd, or set DOCKER_HOST; scripts/docker-setup.sh does both on Debian)',
    { retryable: true, cause },
  );
}

/** Resolves `p`, or rejects after `ms` with a connection-style timeout error. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what}: no answer within ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class DockerClient {
  private docker: Docker | null = null;
  /** Set after a successful ping; cleared when a call fails to connect. */
  private verified = false;

  constructor(private readonly source: Docker | Docker.DockerOptions | undefined) {}

  /** The client, after checking (once, and again after connection failures) that the daemon answers. */
  async get(timeoutMs = 5_000): Promise<Docker> {
    if (!this.docker) {
      try {
        this.docker = this.source instanceof Docker ? this.source : new Docker(this.source);
      } catch (err) {
        throw dockerUnavailable(err, this.source);
      }
    }
    if (!this.verified) {
      try {
        await withTimeout(this.docker.ping(), timeoutMs, 'ping');
      } catch (err) {
        throw dockerUnavailable(err, this.source);
      }
      this.verified = true;
    }
    return this.docker;
  }

  /** Translates a failed Docker call into a task error (and notes a lost connection). */
  failure(err: unknown, what: string, refusedName = 'ContainerCreateFailed'): TaskError {
    if (err instanceof TaskError) return err;
    if (isConnectionError(err)) {
      this.verified = false;
      return dockerUnavailable(err, this.source);
    }
    const status = httpStatus(err);
    const message = `${what}: ${dockerMessage(err)}`;
    // 4xx: the daemon refused what we asked for (bad image name, bad limits): asking again changes nothing.
    if (status !== undefined && status >= 400 && status < 500) return new NonRetryableError(refusedName, message, { cause: err });
    // The runtime could not start the command (not found, not executable): the same next time.
    if (/executable file not found|no such file or directory|permission denied|exec format error/i.test(message)) {
      return new NonRetryableError('ContainerStartFailed', message, { cause: err });
    }
    return new TaskError('DockerError', message, { retryable: true, cause: err });
  }

  /**
   * Makes sure `image` is present locally and returns its configuration. `never`: a missing image
   * is `ImageNotFound`. `missing`: it is pulled; a registry that says it does not exist is
   * `ImageNotFound` too, any other pull failure (network, rate limit) a retryable `ImagePullFailed`.
   */
  async ensureImage(docker: Docker, image: string, pull: 'never' | 'missing', signal: AbortSignal): Promise<Docker.ImageInspectInfo> {
    try {
      return await docker.getImage(image).inspect();
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (httpStatus(err) !== 404) throw this.failure(err, `inspecting image ${image}`);
    }
    if (pull === 'never') {
      throw new NonRetryableError(
        'ImageNotFound',
        `image ${image} is not present on the Docker host and pulling is disabled (containerPull=never, OPENCLAW_CONTAINER_PULL)`,
      );
    }
    let problem: string | null = null;
    try {
      const stream = (await docker.pull(image, { abortSignal: signal })) as NodeJS.ReadableStream;
      const events = await new Promise<Array<{ error?: string; errorDetail?: { message?: string } }>>((resolve, reject) => {
        docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => (err ? reject(err) : resolve(out)));
      });
      const failed = events.find((e) => e.error);
      if (failed) problem = failed.errorDetail?.message ?? failed.error ?? 'pull failed';
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (isConnectionError(err)) throw this.failure(err, `pulling ${image}`);
      problem = dockerMessage(err);
    }
    if (problem !== null) {
      if (/not found|manifest unknown|does not exist|pull access denied|unauthorized|invalid reference/i.test(problem)) {
        throw new NonRetryableError(
          'ImageNotFound',
          `image ${image} is not on the Docker host and the registry does not have it: ${problem}`,
        );
      }
      throw new TaskError('ImagePullFailed', `pulling image ${image} failed: ${problem}`, { retryable: true });
    }
    try {
      return await docker.getImage(image).inspect();
    } catch (err) {
      throw this.failure(err, `inspecting image ${image} after pulling it`);
    }
  }
}
