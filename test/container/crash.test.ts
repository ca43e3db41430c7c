/**
 * A worker that crashes (SIGKILL) cannot remove the container it started; the next worker to start
 * against the same database removes it, once the crashed worker's heartbeat is stale.
 */
import type Docker from 'dockerode';
import { afterAll, expect, it } from 'vitest';
import { describeDocker, managedContainers, requireDocker } from '../helpers/docker.js';
import { query, useEngine, waitFor } from '../helpers/engine.js';
import { killAllChildren, killChild, spawnWorker } from '../helpers/recovery.js';

const t = useEngine('ctcrash');
afterAll(killAllChildren);

describeDocker('container cleanup after a crashed worker', () => {
  it('the next worker’s start removes the container a SIGKILLed worker left running; live workers’ containers stay', async () => {
    const docker: Docker = await requireDocker();
    await t.engine.registerWorkflow(`name: ct-crash
steps:
  long:
    container: { image: local/busybox, command: ["sleep", "300"] }
`);
    const child = await spawnWorker({ databaseUrl: t.db.url, id: `ct-crash-${process.pid}`, slots: 1 });
    const { runId } = await t.engine.startRun({ workflow: 'ct-crash', input: {} });
    const orphan = await waitFor(
      async () => (await managedContainers(docker, 'openclaw.worker', child.id)).find((c) => c.State === 'running'),
      20_000,
    );
    expect(orphan.Labels['openclaw.run']).toBe(runId);

    // A worker starting while the owner is alive leaves its container alone...
    const first = t.engine.createWorker({ slots: 1 });
    await first.start();
    expect((await docker.getContainer(orphan.Id).inspect()).State.Running).toBe(true);
    await first.stop();

    await killChild(child); // SIGKILL: no drain, no cleanup
    expect((await docker.getContainer(orphan.Id).inspect()).State.Running).toBe(true);

    // ...but once the crashed worker's heartbeat is older than the lease TTL it is gone, and the next start removes it.
    await waitFor(async () => {
      const rows = await query(t.engine, `SELECT 1 FROM openclaw.worker WHERE id = $1 AND last_seen < now() - make_interval(secs => $2)`, [
        child.id,
        t.engine.config.leaseTtlMs / 1000,
      ]);
      return rows.length > 0;
    });
    const second = t.engine.createWorker({ slots: 1 });
    await second.start();
    await expect(docker.getContainer(orphan.Id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await second.stop();

    await t.engine.cancelRun(runId);
    await waitFor(async () => (await managedContainers(docker, 'openclaw.run', runId)).length === 0, 10_000);
  });
});
