/**
 * From the evaluated `container:` block to what the executor asks Docker for: the image, the
 * command, the environment and the resource limits, checked against the engine's policy. The
 * block was validated against the spec schema at registration, but its expressions are evaluated
 * only now, so every field is checked again here. Pure: no Docker, no I/O.
 */
import { NonRetryableError } from '../../errors.js';
import { describeBytes, parseByteSize } from '../../spec/size.js';

/** What the engine allows and what it gives a task that asks for nothing. */
export interface ContainerPolicy {
  maxMemoryBytes: number;
  defaultMemoryBytes: number;
  maxCpus: number;
  defaultCpus: number;
  maxPids: number;
  defaultPids: number;
  /** Whether `network: bridge` may be used at all. */
  allowNetwork: boolean;
  /** Whether `network: host` (the Docker host's own network, loopback included) may be used. */
  allowHostNetwork: boolean;
  /** Cap on everything a task writes under /openclaw/out, and its default (`resources.outputs` may ask for less). */
  maxOutputsBytes: number;
}

export interface ContainerPlan {
  image: string;
  /** Replaces the image's ENTRYPOINT (`command`); undefined keeps it. */
  entrypoint: string[] | undefined;
  /** Replaces the image's CMD (`args`); undefined keeps it (unless `command` is set, as in Kubernetes). */
  cmd: string[] | undefined;
  /** The spec's `env`, as strings. */
  env: Record<string, string>;
  workdir: string | undefined;
  memoryBytes: number;
  nanoCpus: number;
  pids: number;
  network: 'none' | 'bridge' | 'host';
  /** Cap on the output artifacts directory (/openclaw/out). */
  outputsBytes: number;
}

/** Docker refuses memory limits below 6 MiB. */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const invalid = (field: string, message: string): NonRetryableError =>
  new NonRetryableError('InvalidContainerSpec', `container.${field}: ${message}`);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A list of strings, or a string (for `command`: run by `/bin/sh -c`; for `args`: one argument). */
function argv(value: unknown, field: 'command' | 'args'): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return field === 'command' ? ['/bin/sh', '-c', value] : [value];
  if (Array.isArray(value)) {
    return value.map((v, i) => {
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      throw invalid(`${field}[${i}]`, `must be a string, got ${v === null ? 'null' : typeof v}`);
    });
  }
  throw invalid(field, `must be a list of strings or a string, got ${typeof value}`);
}

/** A size in `resources`: the default when absent; above the engine's cap it is refused, never clamped. */
function size(value: unknown, field: 'memory' | 'outputs', dflt: number, cap: { bytes: number; setting: string; env: string }): number {
  if (value === undefined || value === null) return dflt;
  if (typeof value !== 'string' && typeof value !== 'number') throw invalid(`resources.${field}`, 'must be a size such as 256Mi');
  let bytes: number;
  try {
    bytes = parseByteSize(value);
  } catch (err) {
    throw invalid(`resources.${field}`, (err as Error).message);
  }
  if (bytes > cap.bytes) {
    throw new NonRetryableError(
      'ResourceLimitExceeded',
      `container.resources.${field} asks for ${describeBytes(bytes)}, more than this engine allows: ` +
        `${cap.setting}=${describeBytes(cap.bytes)} (raise ${cap.env})`,
    );
  }
  return bytes;
}

function memory(value: unknown, policy: ContainerPolicy): number {
  const bytes = size(value, 'memory', policy.defaultMemoryBytes, {
    bytes: policy.maxMemoryBytes,
    setting: 'containerMaxMemoryBytes',
    env: 'OPENCLAW_CONTAINER_MAX_MEMORY_BYTES',
  });
  if (bytes < MIN_MEMORY_BYTES) throw invalid('resources.memory', `${describeBytes(bytes)} is below Docker's minimum of 6 MiB`);
  return bytes;
}

/** The cap on /openclaw/out: the engine's cap unless the spec asks for less. */
function outputs(value: unknown, policy: ContainerPolicy): number {
  return size(value, 'outputs', policy.maxOutputsBytes, {
    bytes: policy.maxOutputsBytes,
    setting: 'containerMaxOutputsBytes',
    env: 'OPENCLAW_CONTAINER_MAX_OUTPUTS_BYTES',
  });
}

function cpus(value: unknown, policy: ContainerPolicy): number {
  const n = value === undefined || value === null ? policy.defaultCpus : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) throw invalid('resources.cpus', 'must be a number above 0');
  if (n > policy.maxCpus) {
    throw new NonRetryableError(
      'ResourceLimitExceeded',
      `container.resources.cpus asks for ${n}, more than this engine allows: containerMaxCpus=${policy.maxCpus} (raise OPENCLAW_CONTAINER_MAX_CPUS)`,
    );
  }
  // Docker's unit: 1e9 NanoCpus = one CPU; it refuses less than 0.01 CPU.
  return Math.max(10_000_000, Math.round(n * 1e9));
}

function pids(value: unknown, policy: ContainerPolicy): number {
  const n = value === undefined || value === null ? policy.defaultPids : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw invalid('resources.pids', 'must be a whole number of at least 1');
  if (n > policy.maxPids) {
    throw new NonRetryableError(
      'ResourceLimitExceeded',
      `container.resources.pids asks for ${n}, more than this engine allows: containerMaxPids=${policy.maxPids} (raise OPENCLAW_CONTAINER_MAX_PIDS)`,
    );
  }
  return n;
}

/**
 * Checks the evaluated `container:` block and applies the policy. Throws `InvalidContainerSpec`
 * (a field of the wrong shape), `ResourceLimitExceeded` (more than the engine's caps: refused, never
 * clamped) or `NetworkNotAllowed` — all non-retryable: another attempt would get the same answer.
 */
export function planContainer(spec: unknown, policy: ContainerPolicy): ContainerPlan {
  if (!isRecord(spec)) throw new NonRetryableError('InvalidContainerSpec', 'the container task block must be an object');
  const image = spec.image;
  if (typeof image !== 'string' || image.trim() === '') throw invalid('image', 'must be a non-empty string');

  const env: Record<string, string> = {};
  if (spec.env !== undefined && spec.env !== null) {
    if (!isRecord(spec.env)) throw invalid('env', 'must be a map of names to strings');
    for (const [name, v] of Object.entries(spec.env)) {
      if (!ENV_NAME.test(name)) throw invalid('env', `${JSON.stringify(name)} is not a valid variable name`);
      if (typeof v === 'string') env[name] = v;
      else if (typeof v === 'number' || typeof v === 'boolean') env[name] = String(v);
      else throw invalid(`env.${name}`, `must be a string, number or boolean, got ${v === null ? 'null' : typeof v}`);
    }
  }

  let workdir: string | undefined;
  if (spec.workdir !== undefined && spec.workdir !== null) {
    if (typeof spec.workdir !== 'string' || !spec.workdir.startsWith('/')) throw invalid('workdir', 'must be an absolute path');
    workdir = spec.workdir;
  }

  const resources = spec.resources ?? {};
  if (!isRecord(resources)) throw invalid('resources', 'must be an object with memory, cpus, pids and outputs');

  const network = spec.network ?? 'none';
  if (network !== 'none' && network !== 'bridge' && network !== 'host')
    throw invalid('network', `must be none, bridge or host, got ${JSON.stringify(network)}`);
  if (network === 'host' && !policy.allowHostNetwork) {
    throw new NonRetryableError(
      'NetworkNotAllowed',
      "container.network: host is not allowed on this engine (containerAllowHostNetwork=false; set OPENCLAW_CONTAINER_ALLOW_HOST_NETWORK=true to let containers use the Docker host's network, loopback included)",
    );
  }
  if (network === 'bridge' && !policy.allowNetwork) {
    throw new NonRetryableError(
      'NetworkNotAllowed',
      'container.network: bridge is not allowed on this engine (containerAllowNetwork=false; set OPENCLAW_CONTAINER_ALLOW_NETWORK=true to allow it)',
    );
  }

  const entrypoint = argv(spec.command, 'command');
  const cmd = argv(spec.args, 'args');
  return {
    image: image.trim(),
    entrypoint,
    // With a command but no args, the image's CMD is not appended (as in Kubernetes).
    cmd: cmd ?? (entrypoint ? [] : undefined),
    env,
    workdir,
    memoryBytes: memory(resources.memory, policy),
    nanoCpus: cpus(resources.cpus, policy),
    pids: pids(resources.pids, policy),
    network,
    outputsBytes: outputs(resources.outputs, policy),
  };
}
