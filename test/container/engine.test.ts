/**
 * Container steps through the whole engine and API: output into the run, stdout/stderr served as
 * the step's logs, a non-zero exit retried per the step's policy, timeout and cancel killing and
 * removing the container.
 */
import type Docker from 'dockerode';
import { beforeAll, expect, it } from 'vitest';
import { useApi, yamlHeaders } from '../helpers/api.js';
import { waitFor } from '../helpers/engine.js';
import { describeDocker, managedContainers, requireDocker } from '../helpers/docker.js';

const t = useApi('container', { slots: 4, scheduler: true, config: { containerPull: 'never' } });

let docker: Docker;

const register = async (text: string): Promise<void> => {
  const res = await t.call({ method: 'POST', url: '/v1/workflows', headers: yamlHeaders, payload: text });
  expect(res.status, res.text).toBeLessThan(300);
};
const start = async (workflow: string, input: unknown = {}): Promise<string> => {
  const res = await t.call({ method: 'POST', url: `/v1/workflows/${workflow}/runs`, payload: { input } });
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
};
const finished = (id: string) =>
  waitFor(async () => {
    const r = await t.call({ url: `/v1/runs/${id}` });
    return ['succeeded', 'failed', 'cancelled'].includes(r.body.status) ? r.body : null;
  }, 30_000);
const noContainers = (runId: string) => waitFor(async () => (await managedContainers(docker, 'openclaw.run', runId)).length === 0, 10_000);
const running = (runId: string) =>
  waitFor(async () => (await managedContainers(docker, 'openclaw.run', runId)).find((c) => c.State === 'running'), 20_000);

describeDocker('container steps in the engine', () => {
  beforeAll(async () => {
    docker = await requireDocker();
  });

  it('runs a container step: `with` on stdin, the last JSON line as its output; stdout and stderr are its logs in the API', async () => {
    await register(`name: ct-ok
steps:
  count:
    container:
      image: local/busybox
      command: ["sh", "-c", "echo working on $OPENCLAW_STEP_KEY >&2; read line; echo \\"{\\\\\\"got\\\\\\": $line}\\""]
    with: { file: "\${{ inputs.file }}" }
  after:
    needs: [count]
    run: echo
    with: { file: "\${{ steps.count.output.got.file }}" }
output: "\${{ steps.after.output }}"
`);
    const id = await start('ct-ok', { file: 'a.csv' });
    const run = await finished(id);
    expect(run).toMatchObject({ status: 'succeeded', output: { file: 'a.csv' } });
    expect(run.steps.find((s: { key: string }) => s.key === 'count').output).toEqual({ got: { file: 'a.csv' } });
    const logs = await t.call({ url: `/v1/runs/${id}/steps/count/logs` });
    expect(logs.status).toBe(200);
    // Docker copies stdout and stderr separately: their order relative to each other is not kept.
    expect(
      logs.body.items.map((l: { attempt: number; stream: string; message: string }) => [l.attempt, l.stream, l.message]).sort(),
    ).toEqual([
      [1, 'stderr', 'working on count'],
      [1, 'stdout', '{"got": {"file":"a.csv"}}'],
    ]);
    await noContainers(id);
  });

  it('a non-zero exit is a failed attempt, retried per the step’s policy; the last error names the code and stderr', async () => {
    await register(`name: ct-exit
steps:
  flaky:
    container: { image: local/busybox, command: "echo attempt $OPENCLAW_ATTEMPT; echo disk full >&2; exit 3" }
    retry: { maxAttempts: 2, delay: 50ms }
`);
    const id = await start('ct-exit');
    const run = await finished(id);
    expect(run.status).toBe('failed');
    const step = run.steps.find((s: { key: string }) => s.key === 'flaky');
    expect(step).toMatchObject({ status: 'dead', attempt: 2 });
    expect(step.error).toMatchObject({ name: 'ContainerExit', message: 'the container exited with code 3: disk full' });
    for (const attempt of [1, 2]) {
      const logs = await t.call({ url: `/v1/runs/${id}/steps/flaky/logs?attempt=${attempt}` });
      expect(logs.body.items.map((l: { stream: string; message: string }) => `${l.stream}: ${l.message}`).sort()).toEqual([
        'stderr: disk full',
        `stdout: attempt ${attempt}`,
      ]);
    }
    await noContainers(id);
  });

  it('a timeout kills and removes the container; the attempt fails with TimeoutError', async () => {
    await register(`name: ct-timeout
steps:
  slow:
    container: { image: local/busybox, command: "echo sleeping; sleep 300" }
    timeout: 1s
    retry: { maxAttempts: 1 }
`);
    const started = Date.now();
    const id = await start('ct-timeout');
    const run = await finished(id);
    expect(run.status).toBe('failed');
    expect(run.steps[0].error).toMatchObject({ name: 'TimeoutError' });
    await noContainers(id);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('cancelling the run kills and removes its running container', async () => {
    await register(`name: ct-cancel
steps:
  long:
    container: { image: local/busybox, command: ["sleep", "300"] }
`);
    const id = await start('ct-cancel');
    await running(id);
    const res = await t.call({ method: 'POST', url: `/v1/runs/${id}/cancel` });
    expect(res.status).toBeLessThan(300);
    await noContainers(id);
    expect((await finished(id)).status).toBe('cancelled');
  });

  it('a spec the engine refuses (network: bridge by default) dies at once, without retries', async () => {
    await register(`name: ct-net
steps:
  online:
    container: { image: local/busybox, command: ["true"], network: bridge }
    retry: { maxAttempts: 3, delay: 10ms }
`);
    const run = await finished(await start('ct-net'));
    expect(run.steps[0]).toMatchObject({ status: 'dead', attempt: 1, error: { name: 'NetworkNotAllowed' } });
  });
});
