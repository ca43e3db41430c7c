/**
 * Artifacts of container steps (docs/artifacts.md, "Containers"), through the whole engine with a
 * real Docker daemon: outputs written at /openclaw/out/<name> reach the next container read-only at
 * /openclaw/in/<name>, byte for byte; the sandbox stays as it was; a missing or malformed output and
 * an output directory over its cap fail the step; the attempt's volumes are gone afterwards, and the
 * cleanup at worker start removes those a crashed worker left.
 */
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../engine/telemetry/logger.js';
import { describeDocker, managedContainers, requireDocker, testExecutor } from '../helpers/docker.js';
import { query, useEngine, waitFor, waitForRun } from '../helpers/engine.js';

const t = useEngine('ctartifacts', { slots: 2, config: { containerPull: 'never' } });

let docker: Docker;

const volumesOf = async (label: string, value: string): Promise<string[]> =>
  ((await docker.listVolumes({ filters: { label: [`openclaw.managed=true`, `${label}=${value}`] } })).Volumes ?? []).map((v) => v.Name);
/** Nothing of the run is left on the Docker host: no container, no volume. */
const nothingLeft = (runId: string) =>
  waitFor(
    async () =>
      (await managedContainers(docker, 'openclaw.run', runId)).length === 0 && (await volumesOf('openclaw.run', runId)).length === 0,
  );
/** Registers `spec` and runs it to its end. */
const run = async (spec: string) => {
  await t.engine.registerWorkflow(spec);
  const workflow = /^name: (\S+)/.exec(spec)?.[1] ?? '';
  const { runId } = await t.engine.startRun({ workflow, input: {} });
  return await waitForRun(t.engine, runId, 60_000);
};
const stepLog = async (runId: string, step: string): Promise<string[]> =>
  (
    await query<{ message: string }>(t.engine, `SELECT message FROM openclaw.step_log WHERE run_id = $1 AND step_key = $2 ORDER BY id`, [
      runId,
      step,
    ])
  ).map((r) => r.message);

// Shell scripts as YAML block scalars (String.raw: the backslashes are the shell's).
const PRODUCE = String.raw`head -c 3000000 /dev/urandom > /openclaw/out/data
        echo leftover > /openclaw/out/junk
        mkdir /openclaw/out/scratch && echo x > /openclaw/out/scratch/x
        echo "{\"uid\": $(id -u)}"`;
const CONSUME = String.raw`sum=$(sha256sum /openclaw/in/data | cut -d' ' -f1)
        size=$(wc -c < /openclaw/in/data)
        if echo x > /openclaw/in/new 2>/dev/null; then inNew=true; else inNew=false; fi
        if echo x >> /openclaw/in/data 2>/dev/null; then inData=true; else inData=false; fi
        if touch /rootfile 2>/dev/null; then root=true; else root=false; fi
        echo "{\"sha256\": \"$sum\", \"size\": $size, \"inNew\": $inNew, \"inData\": $inData, \"root\": $root, \"uid\": $(id -u)}"`;

describeDocker('container step artifacts', () => {
  beforeAll(async () => {
    docker = await requireDocker();
  });

  it('passes a file from one container to the next: same digest as its artifact row, inputs read-only, root fs read-only', async () => {
    const r = await run(
      `name: ct-art-pass
steps:
  produce:
    container:
      image: local/busybox
      command: |
        ${PRODUCE}
    artifacts: { out: { data: { mediaType: application/octet-stream }, maybe: { optional: true } } }
  consume:
    needs: [produce]
    container:
      image: local/busybox
      command: |
        ${CONSUME}
    artifacts: { in: { data: produce.data } }
`,
    );
    expect(r.status, JSON.stringify(r.steps.map((s) => s.error))).toBe('succeeded');
    const rows = await query<{ name: string; size: string; sha256: string }>(
      t.engine,
      `SELECT name, size, sha256 FROM openclaw.artifact WHERE run_id = $1 ORDER BY name`,
      [r.id],
    );
    expect(rows).toHaveLength(1); // the optional output was not written; junk and scratch/ are not declared
    expect(rows[0]).toMatchObject({ name: 'data', size: '3000000' });
    expect(r.steps.find((s) => s.key === 'produce')?.output).toEqual({ uid: 65534 });
    expect(r.steps.find((s) => s.key === 'consume')?.output).toEqual({
      sha256: rows[0]?.sha256,
      size: 3_000_000,
      inNew: false,
      inData: false,
      root: false,
      uid: 65534,
    });
    expect(await stepLog(r.id, 'produce')).toEqual(
      expect.arrayContaining([
        `output artifact data: 3000000 bytes (2.9 MiB), sha256 ${rows[0]?.sha256}`,
        'ignored, not declared in artifacts.out: /openclaw/out/junk, /openclaw/out/scratch',
      ]),
    );
    expect(await stepLog(r.id, 'consume')).toContain('input artifact data at /openclaw/in/data: 3000000 bytes (2.9 MiB)');
    await nothingLeft(r.id);
  });

  it('a required output the container did not write fails the step (ArtifactNotProduced); so does one that is not a regular file', async () => {
    for (const [name, command, message] of [
      ['missing', 'echo done', 'without writing its output artifact data'],
      ['link', 'ln -s /etc/passwd /openclaw/out/data', '/openclaw/out/data is a symbolic link, not a regular file'],
      ['folder', 'mkdir /openclaw/out/data', '/openclaw/out/data is a directory, not a regular file'],
    ]) {
      const r = await run(
        `name: ct-art-${name}
steps:
  produce:
    container: { image: local/busybox, command: "${command}" }
    artifacts: { out: [data] }
    retry: { maxAttempts: 3, delay: 10ms }
`,
      );
      expect(r.steps[0], name).toMatchObject({ status: 'dead', attempt: 1, error: { name: 'ArtifactNotProduced' } });
      expect(JSON.stringify(r.steps[0]?.error)).toContain(message);
      expect(await query(t.engine, 'SELECT 1 FROM openclaw.artifact WHERE run_id = $1', [r.id])).toEqual([]);
      await nothingLeft(r.id);
    }
  });

  it('an output directory over its cap fails the step without retries (ArtifactTooLarge) and attaches nothing', async () => {
    // Read after the exit (an undeclared file counts too), and watched while the container runs.
    for (const [name, command] of [
      ['undeclared', 'echo small > /openclaw/out/data; head -c 2000000 /dev/zero > /openclaw/out/other'],
      ['runaway', 'head -c 2000000 /dev/zero > /openclaw/out/data; sleep 300'],
    ]) {
      const r = await run(
        `name: ct-art-${name}
steps:
  produce:
    container: { image: local/busybox, command: "${command}", resources: { outputs: 1Mi } }
    artifacts: { out: [data] }
    retry: { maxAttempts: 3, delay: 10ms }
`,
      );
      expect(r.steps[0], name).toMatchObject({ status: 'dead', attempt: 1, error: { name: 'ArtifactTooLarge' } });
      expect((r.steps[0]?.error as { message?: string } | null)?.message).toMatch(
        /under \/openclaw\/out, over its limit of 1048576 bytes \(1 MiB\) \(container\.resources\.outputs; raise it/,
      );
      expect(await query(t.engine, 'SELECT 1 FROM openclaw.artifact WHERE run_id = $1', [r.id])).toEqual([]);
      if (name === 'runaway') {
        // Killed while it ran, not left to sleep.
        expect(await stepLog(r.id, 'produce')).toContainEqual(expect.stringMatching(/^killing the container: /));
      }
      await nothingLeft(r.id);
    }
  });

  it('an optional output may be missing; the step succeeds with what it wrote', async () => {
    const r = await run(
      `name: ct-art-optional
steps:
  some:
    container: { image: local/busybox, command: "printf abc > /openclaw/out/a" }
    artifacts: { out: { a: {}, b: { optional: true } } }
`,
    );
    expect(r.status).toBe('succeeded');
    expect(await query(t.engine, 'SELECT name, size, sha256 FROM openclaw.artifact WHERE run_id = $1', [r.id])).toEqual([
      { name: 'a', size: '3', sha256: createHash('sha256').update('abc').digest('hex') },
    ]);
    await nothingLeft(r.id);
  });

  it('cancelling a run while its container runs removes the container and the attempt’s volumes', async () => {
    await t.engine.registerWorkflow(`name: ct-art-cancel
steps:
  first:
    container: { image: local/busybox, command: "echo hi > /openclaw/out/a" }
    artifacts: { out: [a] }
  long:
    needs: [first]
    container: { image: local/busybox, command: "sleep 300" }
    artifacts: { in: { a: first.a }, out: [b] }
`);
    const { runId } = await t.engine.startRun({ workflow: 'ct-art-cancel', input: {} });
    await waitFor(
      async () =>
        (await managedContainers(docker, 'openclaw.step', 'long')).some((c) => c.State === 'running' && c.Labels['openclaw.run'] === runId),
      30_000,
    );
    expect(await volumesOf('openclaw.run', runId)).toHaveLength(2); // its input and its output volume
    await t.engine.cancelRun(runId);
    expect((await waitForRun(t.engine, runId)).status).toBe('cancelled');
    await nothingLeft(runId);
  });

  it('the cleanup at worker start removes the volumes of gone workers and of its own earlier life, and old unused ones', async () => {
    const executor = testExecutor({ isWorkerAlive: (id) => Promise.resolve(id === 'w-live') });
    const labels = (worker: string) => ({
      'openclaw.managed': 'true',
      'openclaw.scope': executor.scope,
      'openclaw.worker': worker,
      'openclaw.executor': 'another-process',
      'openclaw.run': 'r',
      'openclaw.step': 's',
      'openclaw.attempt': '1',
    });
    for (const worker of ['w-new', 'w-gone', 'w-live'])
      await docker.createVolume({ Name: `oc-test-${executor.scope}-${worker}`, Labels: labels(worker) });
    const log = createLogger({ level: 'silent' });
    await executor.start({ workerId: 'w-new', log });
    expect(await volumesOf('openclaw.scope', executor.scope)).toEqual([`oc-test-${executor.scope}-w-live`]);
    // A live worker's volume goes once it is older than the grace period (and no container uses it).
    await testExecutor({ scope: executor.scope, isWorkerAlive: () => Promise.resolve(true), cleanupGraceMs: 0 }).start({
      workerId: 'w-other',
      log,
    });
    expect(await volumesOf('openclaw.scope', executor.scope)).toEqual([]);
  });
});
