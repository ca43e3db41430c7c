/**
 * A worker cut off from the database stops acting without its lease (issue 14, network partition):
 * once a lease TTL has passed since the database last confirmed a lease, the worker aborts that
 * task instead of letting it run on (its result would be refused anyway). The worker's database
 * connections go through a TCP proxy that is then blackholed; the observable event is the task's
 * abort (its log line), never a fixed wait.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, createLogger, type Engine } from '../../engine/index.js';
import { TcpProxy } from '../chaos/lib/proxy.js';
import { createTestDb, fastConfig, testEngine, waitFor, type TestDb } from '../helpers/engine.js';

let db: TestDb;
let server: Engine;
let cutOff: Engine;
let proxy: TcpProxy;
const lines: Array<Record<string, unknown>> = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
    done();
  },
});

beforeAll(async () => {
  db = await createTestDb('partition');
  server = await testEngine(db);
  const url = new URL(db.url);
  proxy = new TcpProxy(url.hostname, Number(url.port));
  await proxy.listen();
  url.port = String(proxy.port);
  cutOff = await createEngine({ databaseUrl: url.toString(), logger: createLogger({ level: 'warn', destination: sink }), ...fastConfig });
});
afterAll(async () => {
  proxy?.restore();
  await cutOff?.close().catch(() => undefined);
  await proxy?.close();
  await server?.close();
  await db?.drop();
});

describe('a worker cut off from the database', () => {
  it('aborts its running task once its lease cannot have been renewed', async () => {
    await server.registerWorkflow('name: long-nap\nsteps:\n  nap: { run: sleep, with: { ms: 60000 } }\n');
    const worker = cutOff.createWorker({ slots: 1, listen: false });
    await worker.start();
    const { runId } = await server.startRun({ workflow: 'long-nap' });
    await waitFor(async () => (await server.queries.getRun(runId)).steps.some((s) => s.status === 'running'));
    proxy.blackhole();
    const aborted = await waitFor(
      async () => lines.find((l) => l.runId === runId && String(l.msg).includes('aborting the task')),
      fastConfig.leaseTtlMs * 10,
    );
    expect(aborted).toMatchObject({ step: 'nap', attempt: 1 });
    proxy.restore();
    await worker.stop(100);
  });
});
