/**
 * The artifact routes: a run's artifacts in `GET /v1/runs/{id}` and `GET /v1/runs/{id}/artifacts`,
 * and `GET /v1/artifacts/{id}`, streamed with its media type, length, ETag and file name, one
 * `Range`, `If-None-Match`, HEAD; another namespace's artifact and run are not found; a viewer reads.
 * The CLI's `openclaw artifacts` and `openclaw artifact get` against the same server.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Worker } from '../../engine/index.js';
import { useApi, yamlHeaders } from '../helpers/api.js';
import { artifactExecutor } from '../helpers/artifact-executor.js';
import { runCli } from '../helpers/cli.js';
import { waitForRun } from '../helpers/engine.js';

const t = useApi('apiartifacts');
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

const SPEC = `
name: files
steps:
  extract:
    http: { url: "x" }
    with: { write: { data: "0123456789", notes: "a note" }, repeat: 3 }
    artifacts: { out: { data: { mediaType: text/csv }, notes: {} } }
  load:
    needs: [extract]
    http: { url: "x" }
    with: { read: true }
    artifacts: { in: { input: extract.data } }
`;
const DATA = '0123456789'.repeat(3);

let worker: Worker;
let runId: string;
let dataId: string;

beforeAll(async () => {
  const registered = await t.call({ method: 'POST', url: '/v1/workflows', headers: yamlHeaders, payload: SPEC });
  expect(registered.status).toBe(201);
  worker = t.engine.createWorker({ slots: 2, executors: [artifactExecutor()] });
  await worker.start();
  runId = (await t.engine.startRun({ workflow: 'files' })).runId;
  expect((await waitForRun(t.engine, runId)).status).toBe('succeeded');
});

afterAll(async () => {
  await worker?.stop();
});

describe('a run’s artifacts', () => {
  it('GET /v1/runs/{id}/artifacts lists them, and GET /v1/runs/{id} shows the same', async () => {
    const list = await t.call({ url: `/v1/runs/${runId}/artifacts` });
    expect(list.status).toBe(200);
    const fields = (name: string, text: string, mediaType: string) => ({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name,
      stepKey: 'extract',
      attempt: 1,
      size: text.length,
      sha256: sha(text),
      mediaType,
      createdAt: expect.any(String),
      cachedFrom: null,
    });
    expect(list.body.items).toEqual([fields('data', DATA, 'text/csv'), fields('notes', 'a note'.repeat(3), 'application/octet-stream')]);
    dataId = list.body.items[0].id;
    const run = await t.call({ url: `/v1/runs/${runId}` });
    expect(run.body.artifacts).toEqual(list.body.items);
    // The consumer read them through the store.
    expect(run.body.steps.find((s: { key: string }) => s.key === 'load').output.read).toEqual({
      input: { text: DATA, size: 30, sha256: sha(DATA) },
    });
  });

  it('an unknown run is 404, in another namespace too', async () => {
    expect((await t.call({ url: `/v1/runs/${randomUUID()}/artifacts` })).status).toBe(404);
    const other = await t.call({ url: `/v1/runs/${runId}/artifacts`, headers: { 'x-openclaw-namespace': 'team-x' } });
    expect(other.status).toBe(404);
  });
});

describe('GET /v1/artifacts/{id}', () => {
  it('streams the bytes with media type, length, ETag, file name and a sandboxing policy', async () => {
    const res = await t.call({ url: `/v1/artifacts/${dataId}` });
    expect(res.status).toBe(200);
    expect(res.text).toBe(DATA);
    expect(res.headers).toMatchObject({
      'content-type': 'text/csv',
      'content-length': '30',
      etag: `"${sha(DATA)}"`,
      'content-disposition': 'attachment; filename="data"',
      'accept-ranges': 'bytes',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
    });
  });

  it('one Range gives 206 (start-end, start-, -suffix); past the end is 416; a malformed or multiple range sends all', async () => {
    const get = (range: string) => t.call({ url: `/v1/artifacts/${dataId}`, headers: { range } });
    const mid = await get('bytes=2-5');
    expect([mid.status, mid.text, mid.headers['content-range'], mid.headers['content-length']]).toEqual([206, '2345', 'bytes 2-5/30', '4']);
    const tail = await get('bytes=27-');
    expect([tail.status, tail.text, tail.headers['content-range']]).toEqual([206, '789', 'bytes 27-29/30']);
    const suffix = await get('bytes=-4');
    expect([suffix.status, suffix.text, suffix.headers['content-range']]).toEqual([206, '6789', 'bytes 26-29/30']);
    const clipped = await get('bytes=25-1000');
    expect([clipped.status, clipped.text]).toEqual([206, '56789']);
    const past = await get('bytes=30-');
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe('bytes */30');
    expect(past.body.error).toMatchObject({ code: 'range_not_satisfiable', details: { size: 30 } });
    for (const ignored of ['bytes=0-1,4-5', 'items=0-1', 'bytes=5-2']) {
      const all = await get(ignored);
      expect([all.status, all.text], ignored).toEqual([200, DATA]);
    }
    // If-Range with another validator: the whole artifact.
    const stale = await t.call({ url: `/v1/artifacts/${dataId}`, headers: { range: 'bytes=0-1', 'if-range': '"other"' } });
    expect([stale.status, stale.text]).toEqual([200, DATA]);
  });

  it('If-None-Match with its ETag is 304; HEAD sends the headers only', async () => {
    const etag = `"${sha(DATA)}"`;
    const cached = await t.call({ url: `/v1/artifacts/${dataId}`, headers: { 'if-none-match': etag } });
    expect([cached.status, cached.text]).toEqual([304, '']);
    const head = await t.call({ method: 'HEAD', url: `/v1/artifacts/${dataId}` });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers).toMatchObject({ 'content-length': '30', 'content-type': 'text/csv', etag });
  });

  it('another namespace’s artifact, an unknown id and a malformed id are not found / refused', async () => {
    expect((await t.call({ url: `/v1/artifacts/${dataId}`, headers: { 'x-openclaw-namespace': 'team-x' } })).status).toBe(404);
    const unknown = await t.call({ url: `/v1/artifacts/${randomUUID()}` });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    expect((await t.call({ url: '/v1/artifacts/not-a-uuid' })).status).toBe(400);
  });
});

describe('openclaw artifacts / openclaw artifact get', () => {
  let url: string;
  beforeAll(async () => {
    url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  const cli = (...args: string[]) => runCli([...args, '--url', url]);

  it('lists a run’s artifacts as a table and as JSON', { timeout: 60_000 }, async () => {
    const table = await cli('artifacts', runId);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STEP\s+NAME\s+SIZE\s+MEDIA TYPE\s+SHA256\s+CREATED$/);
    expect(lines[1]).toMatch(new RegExp(`^${dataId}\\s+extract\\s+data\\s+30 B\\s+text/csv\\s+${sha(DATA).slice(0, 12)}\\s+`));
    expect(lines).toHaveLength(3);
    const json = await cli('artifacts', runId, '--json');
    expect(JSON.parse(json.stdout).items.map((a: { name: string }) => a.name)).toEqual(['data', 'notes']);
    const missing = await cli('artifacts', randomUUID());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not_found/);
  });

  it('downloads to a file (-o) and to stdout', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'openclaw-artifact-get-'));
    const file = path.join(dir, 'data.csv');
    const got = await cli('artifact', 'get', dataId, '-o', file);
    expect(got.code, got.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(DATA);
    expect(got.stderr).toMatch(/wrote 30 B \(30 bytes\) to .*data\.csv/);
    expect(existsSync(`${file}.part`)).toBe(false);
    const json = await cli('artifact', 'get', dataId, '-o', file, '--json');
    expect(JSON.parse(json.stdout)).toEqual({ id: dataId, file, size: 30, sha256: sha(DATA), mediaType: 'text/csv' });
    const out = await cli('artifact', 'get', dataId);
    expect([out.code, out.stdout]).toEqual([0, DATA]);
    const missing = await cli('artifact', 'get', randomUUID(), '-o', path.join(dir, 'nothing'));
    expect(missing.code).toBe(1);
    expect(existsSync(path.join(dir, 'nothing'))).toBe(false);
  });
});
