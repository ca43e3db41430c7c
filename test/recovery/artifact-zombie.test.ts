/**
 * A zombie's artifact never attaches (the SIGSTOP pattern, as in sigstop.test.ts), on both stores:
 * a worker process writes its step's artifact and is frozen past its lease; the step runs again in
 * another worker and succeeds; the frozen worker wakes and reports late, and its completion is
 * refused. The run's artifacts are exactly the winning attempt's (rows, the API's view, what the
 * next step read), and the sweep deletes the zombie's object from the store.
 */
import { createHash } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepArtifacts } from '../../engine/artifacts/sweep.js';
import { engineCore } from '../../engine/engine.js';
import type { Engine, Scheduler, Worker } from '../../engine/index.js';
import { artifactExecutor } from '../helpers/artifact-executor.js';
import { createTestDb, query, testArtifactDir, testEngine, testPool, waitFor, waitForRun, type TestDb } from '../helpers/engine.js';
import { ARTIFACT_WORKER, attemptsOf, killAllChildren, killChild, spawnWorker } from '../helpers/recovery.js';
import { startS3Server, type S3Server } from '../helpers/s3-server.js';

const SPEC = `
name: zombie-artifact
defaults:
  retry: { maxAttempts: 3, delay: 10ms, jitter: none }
steps:
  work:
    http: { url: "x" }
    with: { write: { data: "payload" }, holdMs: 2500 }
    artifacts: { out: { data: { mediaType: text/plain } } }
  check:
    needs: [work]
    http: { url: "x" }
    with: { read: true }
    artifacts: { in: { data: work.data } }
`;

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe.each(['fs', 's3'] as const)('a zombie attempt’s artifact (%s store)', (kind) => {
  let db: TestDb;
  let engine: Engine;
  let scheduler: Scheduler;
  let s3: S3Server | null = null;
  let childEnv: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDb(`artzombie${kind}`);
    s3 = kind === 's3' ? await startS3Server() : null;
    engine = await testEngine(db, s3 ? s3.config : {});
    // The child is configured the way a deployment is: by environment.
    childEnv = s3 ? s3.env : { OPENCLAW_ARTIFACT_DIR: testArtifactDir(db) };
    scheduler = engine.createScheduler();
    scheduler.start();
  });

  afterAll(async () => {
    await killAllChildren();
    await scheduler?.stop();
    await engine?.close();
    await db?.drop();
    await s3?.close();
  });

  it('attaches only the winner’s upload; the sweep deletes the zombie’s object', { timeout: 90_000 }, async () => {
    await engine.registerWorkflow(SPEC);
    const zombie = await spawnWorker({ databaseUrl: db.url, id: `zombie-${kind}`, slots: 1, script: ARTIFACT_WORKER, env: childEnv });
    const { runId } = await engine.startRun({ workflow: 'zombie-artifact' });

    // Frozen right after its upload, while it still holds the lease (its task then waits 2.5 s).
    await zombie.waitForLine(new RegExp(`^written ${runId} 1$`), 30_000);
    zombie.signal('SIGSTOP');
    const [claimed] = await query<{ lease_token: string; lease_owner: string }>(
      engine,
      `SELECT lease_token::text, lease_owner FROM openclaw.step WHERE run_id = $1 AND key = 'work'`,
      [runId],
    );
    expect(claimed?.lease_owner).toBe(zombie.id);

    const winner: Worker = engine.createWorker({ id: `winner-${kind}`, slots: 2, executors: [artifactExecutor({ byWorker: true })] });
    await winner.start();
    try {
      const run = await waitForRun(engine, runId, 30_000);
      expect(run.status).toBe('succeeded');
      const winnerBytes = `winner-${kind}:payload`;
      expect(run.steps.find((s) => s.key === 'check')?.output).toMatchObject({
        read: { data: { text: winnerBytes, size: winnerBytes.length, sha256: sha(winnerBytes) } },
      });

      zombie.signal('SIGCONT');
      const rejected = await waitFor(
        async () => (await attemptsOf(testPool(engine), [runId])).find((a) => a.status === 'rejected'),
        20_000,
      );
      expect(rejected).toMatchObject({ key: 'work', worker: zombie.id, attempt: 1, lease_token: claimed!.lease_token });

      // The run's artifacts are the winner's: rows, and what the API shows.
      const attached = await query<{ name: string; attempt: number; sha256: string; object_key: string }>(
        engine,
        'SELECT name, attempt, sha256, object_key FROM openclaw.artifact WHERE run_id = $1',
        [runId],
      );
      expect(attached.map(({ object_key: _k, ...a }) => a)).toEqual([{ name: 'data', attempt: 2, sha256: sha(winnerBytes) }]);
      const view = await engine.queries.getRun(runId);
      expect(view.artifacts.map((a) => [a.name, a.attempt, a.sha256])).toEqual([['data', 2, sha(winnerBytes)]]);

      // Both uploads reached the store; the zombie's is known only to its object row.
      const objects = await query<{ key: string; lease_token: string; sha256: string }>(
        engine,
        `SELECT o.key, o.lease_token::text, o.sha256 FROM openclaw.artifact_object o
          JOIN openclaw.step s ON s.id = o.step_id WHERE o.run_id = $1 AND s.key = 'work' ORDER BY o.lease_token`,
        [runId],
      );
      const zombieBytes = `${zombie.id}:payload`;
      expect(objects.map((o) => [o.lease_token, o.sha256])).toEqual([
        [claimed!.lease_token, sha(zombieBytes)],
        [expect.any(String), sha(winnerBytes)],
      ]);
      const [zombieObject, winnerObject] = objects as [(typeof objects)[0], (typeof objects)[0]];
      expect(winnerObject.key).toBe(attached[0]?.object_key);
      const store = engineCore(engine).artifacts.store;
      expect(await store.exists(zombieObject.key)).toBe(true);

      // The sweep (grace 0 here; an hour by default) deletes the zombie's object, store first, then its row.
      expect(await sweepArtifacts(engineCore(engine), { graceMs: 0 })).toBeGreaterThanOrEqual(1);
      expect(await store.exists(zombieObject.key)).toBe(false);
      expect(await query(engine, 'SELECT 1 FROM openclaw.artifact_object WHERE key = $1', [zombieObject.key])).toEqual([]);
      expect((await buffer(await store.get(winnerObject.key))).toString()).toBe(winnerBytes);
    } finally {
      await winner.stop();
      await killChild(zombie);
    }
  });
});
