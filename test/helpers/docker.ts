/**
 * Container-task test helpers: which tests run (Docker reachable or not, decided once per run by
 * the global setup, see docker-check.ts), the local test images, an executor built from the
 * default configuration, and invocations with a step log that records what was written.
 *
 * Without a Docker daemon the suites declared with describeDocker are reported as skipped (the
 * global setup prints one line saying why); OPENCLAW_REQUIRE_DOCKER=1 (CI) fails the run instead.
 */
import { randomUUID } from 'node:crypto';
import Docker from 'dockerode';
import { describe, inject } from 'vitest';
import { defaultConfig } from '../../engine/settings.js';
import { ContainerExecutor, type ContainerExecutorOptions } from '../../engine/executors/container/index.js';
import type { StepLogStream, TaskInvocation } from '../../engine/executors/types.js';
import { createLogger } from '../../engine/telemetry/logger.js';
import { TEST_IMAGES } from './docker-check.js';
import { NO_ARTIFACTS } from '../../engine/worker/task-artifacts.js';

export const BUSYBOX = 'local/busybox';
export const NODE = 'local/node';

/** The global setup's verdict: whether the tests that need Docker run in this test run. */
export const dockerStatus = inject('docker');

/** `describe` when Docker is usable in this test run, else `describe.skip`. */
export function describeDocker(name: string, fn: () => void): void {
  (dockerStatus.available ? describe : describe.skip)(name, fn);
}

const HOW =
  'The container tests need a Docker daemon and the images local/busybox and local/node (the test ' +
  'run builds them when a daemon answers: scripts/docker-images.sh); `sudo scripts/docker-setup.sh` ' +
  '(Debian) installs and starts Docker and builds them.';

/** A client for the daemon the engine uses (DOCKER_HOST), after checking that it answers and has the images. */
export async function requireDocker(): Promise<Docker> {
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (err) {
    throw new Error(
      `Docker is not reachable (${process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'}: ${(err as Error).message}). ${HOW}`,
    );
  }
  for (const image of TEST_IMAGES) {
    try {
      await docker.getImage(image).inspect();
    } catch {
      throw new Error(`Docker image ${image} is missing. ${HOW}`);
    }
  }
  return docker;
}

/** The executor's options from the engine defaults (local images only), with overrides. */
export function containerOptions(overrides: Partial<ContainerExecutorOptions> = {}): ContainerExecutorOptions {
  const c = defaultConfig;
  return {
    maxMemoryBytes: c.containerMaxMemoryBytes,
    defaultMemoryBytes: c.containerDefaultMemoryBytes,
    maxCpus: c.containerMaxCpus,
    defaultCpus: c.containerDefaultCpus,
    maxPids: c.containerMaxPids,
    defaultPids: c.containerDefaultPids,
    allowNetwork: c.containerAllowNetwork,
    allowHostNetwork: c.containerAllowHostNetwork,
    pull: 'never',
    user: c.containerUser,
    tmpfsBytes: c.containerTmpfsBytes,
    maxStdoutBytes: c.containerMaxStdoutBytes,
    maxOutputsBytes: c.containerMaxOutputsBytes,
    maxOutputBytes: c.maxJsonBytes,
    scope: `test-${randomUUID().slice(0, 8)}`,
    ...overrides,
  };
}

export function testExecutor(overrides: Partial<ContainerExecutorOptions> = {}): ContainerExecutor {
  return new ContainerExecutor(containerOptions(overrides));
}

export interface LoggedLine {
  stream: StepLogStream;
  message: string;
}

export interface TestInvocation extends TaskInvocation {
  lines: LoggedLine[];
  abort: AbortController;
}

/** An invocation of `spec` with `input`; its step log lines land in `lines`. */
export function invocation(spec: Record<string, unknown>, input: unknown = null, extra: Partial<TaskInvocation> = {}): TestInvocation {
  const lines: LoggedLine[] = [];
  const abort = new AbortController();
  const runId = randomUUID();
  return {
    task: { kind: 'container', spec },
    spec,
    input,
    runId,
    namespace: 'default',
    stepKey: 'probe',
    workerId: 'test-worker',
    idempotencyKey: `${runId}:probe`,
    attempt: 1,
    signal: abort.signal,
    timeoutMs: null,
    log: createLogger({ level: process.env.OPENCLAW_TEST_LOG ?? 'silent' }),
    stepLog: { write: (message, stream = 'log') => void lines.push({ stream, message }) },
    artifacts: NO_ARTIFACTS,
    ...extra,
    lines,
    abort,
  };
}

/** Managed containers carrying `label=value` (all states). */
export async function managedContainers(docker: Docker, label: string, value: string): Promise<Docker.ContainerInfo[]> {
  return await docker.listContainers({ all: true, filters: { label: ['openclaw.managed=true', `${label}=${value}`] } });
}

/** The error an executor promise rejects with (fails the test if it resolves). */
export async function failure(p: Promise<unknown>): Promise<Error & { retryable?: boolean }> {
  let value: unknown;
  try {
    value = await p;
  } catch (err) {
    return err as Error & { retryable?: boolean };
  }
  throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
}
