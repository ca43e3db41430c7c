/**
 * Artifacts end to end on both stores (the directory, and S3 against s3rver): a run passes an
 * artifact between two steps; the sweep deletes exactly the objects nothing references once they
 * are past the grace (never an attached one, a young one, or the upload of an attempt that still
 * holds its lease); retention (`purgeRuns`, what `POST /v1/runs/purge` runs) then a sweep leave no
 * object of the run in the store; the scheduler leader sweeps; an upload whose row was swept while
 * it ran deletes its own object; the download route streams from the store (503 when it cannot).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, insecureLocal } from '../../api/index.js';
import { sweepArtifacts } from '../../engine/artifacts/sweep.js';
import { engineCore } from '../../engine/engine.js';
import type { Engine, Worker } from '../../engine/index.js';
import { artifactExecutor } from '../helpers/artifact-executor.js';
import { createTestDb, query, testEngine, waitFor, waitForRun, type TestDb } from '../helpers/engine.js';
import { parsePrometheusText, sumOf } from '../helpers/prom-text.js';
import { startS3Server, type S3Server } from '../helpers/s3-server.js';

const SPEC = `
name: pass
steps:
  produce:
    http: { url: "x" }
    with: { write: { data: "row,row,row\\n" }, repeat: 1000 }
    artifacts: { out: { data: { mediaType: text/csv } } }
  consume:
    needs: [produce]
    http: { url: "x" }
    with: { read: true }
    artifacts: { in: { table: produce.data } }
`;
const DATA = 'row,row,row\n'.repeat(1000);
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe.each(['fs', 's3'] as const)('artifacts on the %s store', (kind) => {
  let db: TestDb;
  let engine: Engine;
  let worker: Worker;
  let s3: S3Server | null = null;
  const core = () => engineCore(engine);
  const store = () => core().artifacts.store;

  beforeAll(async () => {
    db = await createTestDb(`artsweep${kind}`);
    s3 = kind === 's3' ? await startS3Server({ prefix: 'oc' }) : null;
    engine = await testEngine(db, s3 ? s3.config : {});
    await engine.registerWorkflow(SPEC);
    worker = engine.createWorker({ slots: 2, executors: [artifactExecutor()] });
    await worker.start();
  });

  afterAll(async () => {
    await worker?.stop();
    await engine?.close();
    await db?.drop();
    await s3?.close();
  });

  /** The object keys of a run, from their rows. */
  const objectKeys = async (runId: string): Promise<string[]> =>
    (await query<{ key: string }>(engine, 'SELECT key FROM openclaw.artifact_object WHERE run_id = $1 ORDER BY key', [runId])).map(
      (r) => r.key,
    );
  const inStore = async (keys: string[]): Promise<boolean[]> => await Promise.all(keys.map((k) => store().exists(k)));
  /** Makes object rows look `interval` old. */
  const ageObjects = async (keys: string[], interval: string): Promise<void> => {
    await query(
      engine,
      `UPDATE openclaw.artifact_object SET created_at = now() - $2::interval, stored_at = now() - $2::interval WHERE key = ANY($1::text[])`,
      [keys, interval],
    );
  };

  it('a run passes an artifact from one step to the next through the store', async () => {
    expect(store().kind).toBe(kind);
    const run = await waitForRun(engine, (await engine.startRun({ workflow: 'pass' })).runId);
    expect(run.status).toBe('succeeded');
    expect(run.steps.find((s) => s.key === 'consume')?.output).toMatchObject({
      read: { table: { text: DATA, size: DATA.length, sha256: sha(DATA) } },
    });
    expect(run.artifacts.map((a) => [a.name, a.stepKey, a.size, a.sha256, a.mediaType])).toEqual([
      ['data', 'produce', DATA.length, sha(DATA), 'text/csv'],
    ]);
    const [key] = await objectKeys(run.id);
    expect(await inStore([key!])).toEqual([true]);
  });

  it('GET /v1/artifacts/{id} streams it from this store, whole and by range', async () => {
    const run = await waitForRun(engine, (await engine.startRun({ workflow: 'pass' })).runId);
    const [artifact] = run.artifacts;
    const app = await buildApp({ engine, logger: false, authenticate: insecureLocal, uiDir: false });
    try {
      const whole = await app.inject({ url: `/v1/artifacts/${artifact!.id}` });
      expect([whole.statusCode, whole.headers['content-length'], whole.body === DATA]).toEqual([200, String(DATA.length), true]);
      const part = await app.inject({ url: `/v1/artifacts/${artifact!.id}`, headers: { range: 'bytes=12-22' } });
      expect([part.statusCode, part.body, part.headers['content-range']]).toEqual([206, 'row,row,row', `bytes 12-22/${DATA.length}`]);
      // The object gone from the store (lost, or a store fault): 503, the cause in the server log only.
      await store().delete([(await objectKeys(run.id))[0]!]);
      const gone = await app.inject({ url: `/v1/artifacts/${artifact!.id}` });
      expect(gone.statusCode).toBe(503);
      expect(gone.json().error).toMatchObject({ code: 'unavailable', message: expect.stringContaining('see the server log') });
      expect(gone.headers['content-disposition']).toBeUndefined();
      expect(gone.body).not.toContain(kind === 's3' ? s3!.bucket : 'openclaw-test-artifacts');
    } finally {
      await app.close();
    }
  });

  it('sweeps an unreferenced object past the grace, store first then its row; keeps attached, young and leased uploads', async () => {
    const runId = (await engine.startRun({ workflow: 'pass' })).runId;
    await waitForRun(engine, runId);
    const [attached] = await objectKeys(runId);
    const [ns, step] = [
      engine.namespace,
      await query<{ id: string }>(engine, `SELECT id FROM openclaw.step WHERE run_id = $1 AND key = 'produce'`, [runId]),
    ];
    const upload = async (leaseToken: string | null) =>
      (
        await core().artifacts.upload({ namespace: ns, runId, stepId: step[0]!.id, leaseToken }, Readable.from([Buffer.from('orphan')]), {
          mediaType: 'text/plain',
          what: 'test object',
        })
      ).key;
    const old = await upload('1'); // the attempt's lease token was 1, and the step has finished: nobody will attach it
    const young = await upload('1');
    // An upload of an attempt that still holds its lease: its completion may yet attach it.
    await query(engine, `UPDATE openclaw.step SET status = 'running', lease_token = 7 WHERE id = $1`, [step[0]!.id]);
    const leased = await upload('7');
    await ageObjects([attached!, old, leased], '2 hours');

    expect(await sweepArtifacts(core())).toBe(1); // the default grace: an hour
    expect(await inStore([attached!, old, young, leased])).toEqual([true, false, true, true]);
    expect(await objectKeys(runId)).toEqual([attached!, young, leased].sort());

    // The attempt lost its lease: its upload is garbage too.
    await query(engine, `UPDATE openclaw.step SET status = 'succeeded', lease_token = 8 WHERE id = $1`, [step[0]!.id]);
    expect(await sweepArtifacts(core())).toBe(1);
    expect(await inStore([attached!, young, leased])).toEqual([true, true, false]);
    expect(await sweepArtifacts(core(), { graceMs: 0 })).toBe(1); // the young one
    expect(await objectKeys(runId)).toEqual([attached!]);
  });

  it('retention (purge) then a sweep leave no object of the run in the store', async () => {
    const runId = (await engine.startRun({ workflow: 'pass' })).runId;
    await waitForRun(engine, runId);
    const keys = await objectKeys(runId);
    expect(keys).toHaveLength(1);
    expect(await engine.purgeRuns({ before: new Date(Date.now() + 60_000) })).toMatchObject({ deleted: expect.any(Number) });
    expect(await query(engine, 'SELECT 1 FROM openclaw.run WHERE id = $1', [runId])).toEqual([]);
    // The run's artifact rows went with it (ON DELETE CASCADE); its objects wait for the sweep.
    expect(await query(engine, 'SELECT 1 FROM openclaw.artifact WHERE run_id = $1', [runId])).toEqual([]);
    expect(await inStore(keys)).toEqual([true]);
    const swept = async (): Promise<number> =>
      sumOf(parsePrometheusText(await engine.metrics.text()), 'openclaw_artifact_objects_swept_total');
    const before = await swept();
    const n = await sweepArtifacts(core(), { graceMs: 0 }); // this run's object, and what earlier tests left
    expect(await inStore(keys)).toEqual([false]);
    expect(n).toBeGreaterThanOrEqual(1);
    expect(await swept()).toBe(before + n);
    expect(await objectKeys(runId)).toEqual([]);
  });

  it('the scheduler leader sweeps', async () => {
    const runId = (await engine.startRun({ workflow: 'pass' })).runId;
    await waitForRun(engine, runId);
    const ns = engine.namespace;
    const { key } = await core().artifacts.upload(
      { namespace: ns, runId, stepId: null, leaseToken: null },
      Readable.from([Buffer.from('x')]),
      {
        mediaType: 'text/plain',
        what: 'test object',
      },
    );
    await ageObjects([key], '2 hours');
    const scheduler = engine.createScheduler({ artifactSweepIntervalMs: 100 });
    scheduler.start();
    try {
      await waitFor(async () => !(await store().exists(key)));
      await waitFor(async () => (await query(engine, 'SELECT 1 FROM openclaw.artifact_object WHERE key = $1', [key])).length === 0);
    } finally {
      await scheduler.stop();
    }
  });

  it('an upload whose row is swept while it runs deletes its object and fails', async () => {
    const runId = (await engine.startRun({ workflow: 'pass' })).runId;
    await waitForRun(engine, runId);
    const before = await objectKeys(runId);
    let swept = '';
    const body = Readable.from(
      (async function* () {
        yield Buffer.from('first half, ');
        // The sweep takes the row meanwhile (as it would after the grace).
        const [row] = await query<{ key: string }>(
          engine,
          'SELECT key FROM openclaw.artifact_object WHERE run_id = $1 AND stored_at IS NULL',
          [runId],
        );
        swept = row!.key;
        await query(engine, 'DELETE FROM openclaw.artifact_object WHERE key = $1', [swept]);
        yield Buffer.from('second half');
      })(),
    );
    const err = await core()
      .artifacts.upload({ namespace: engine.namespace, runId, stepId: null, leaseToken: null }, body, {
        mediaType: 'text/plain',
        what: 'late',
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toMatchObject({ name: 'ArtifactStoreError' });
    expect((err as Error).message).toMatch(/was swept while it was uploaded/);
    expect(await store().exists(swept)).toBe(false);
    expect(await objectKeys(runId)).toEqual(before);
    // The attached artifact is untouched and still readable.
    expect((await buffer(await store().get(before[0]!))).toString()).toBe(DATA);
  });
});
