/**
 * HTTP tasks and artifacts (docs/tasks/http.md, "Artifacts"), through a worker against a real local
 * server: `saveAs` streams a response body into an output artifact (the response's Content-Type
 * recorded, unless the step declares a media type), `bodyFrom` streams an input artifact as a
 * request body (Content-Length and Content-Type from the artifact; a 307 re-sends it whole), the
 * artifact size cap, and what an unexpected status, a timeout or a bad spec leave behind: nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactRows, query, testArtifactDir, useEngine, waitForRun } from '../helpers/engine.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';

const CAP = 6 * 1024 * 1024;
const t = useEngine('httpart', { slots: 2, config: { httpAllow: '127.0.0.1', artifactMaxBytes: CAP, maxJsonBytes: 1024 * 1024 } });
let srv: TestServer;

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
/** A few MB of bytes that are not text, so any decoding on the way would show. */
const dataset = randomBytes(3 * 1024 * 1024 + 17);
const PARQUET = 'application/vnd.apache.parquet';

beforeAll(async () => {
  srv = await startTestServer();
  srv.route('/dataset', (_req, res) => res.writeHead(200, { 'content-type': PARQUET }).end(dataset));
  srv.route('/untyped', (_req, res) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end('a,b\n1,2\n'));
  srv.route('/no-type', (_req, res) => res.writeHead(200).end('raw'));
  // The receiving end checks what it got: size, digest and headers.
  srv.route('/upload', (req, res) =>
    res.writeHead(201, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        size: req.raw.length,
        sha256: sha(req.raw),
        contentLength: req.headers['content-length'],
        contentType: req.headers['content-type'],
        method: req.method,
      }),
    ),
  );
  srv.route('/upload-moved', (_req, res) => res.writeHead(307, { location: '/upload' }).end());
  srv.route('/too-big', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(Buffer.alloc(CAP + 1, 'x')));
  srv.route('/broken', (_req, res) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`database is on fire${'!'.repeat(5000)}`));
  srv.route('/reset', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100000' });
    res.write('x'.repeat(10_000), () => res.destroy());
  });
  srv.route('/stall', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('x'.repeat(10_000)); // then nothing more, never the end
  });
});
afterAll(async () => {
  await srv.close();
});

const artifactsOf = (runId: string) => artifactRows(t.engine, runId);

const problem = (at: string, text: string): unknown =>
  expect.objectContaining({ path: at, message: expect.stringContaining(text) as unknown }) as unknown;

/** Registers `spec` and runs it to its end. */
async function run(spec: string) {
  const { name } = await t.engine.registerWorkflow(spec);
  return await waitForRun(t.engine, (await t.engine.startRun({ workflow: name })).runId, 60_000);
}

/** A one-step workflow that saves the body of `route` as its artifact `data`. */
const download = (workflow: string, route: string, more = '') =>
  run(
    `name: ${workflow}
steps:
  download:
    http: { url: "${srv.url}${route}", saveAs: data }
    artifacts: { out: [data] }
${more}`,
  );

describe('http tasks and artifacts', () => {
  it('downloads a few MB into an artifact and uploads it to another endpoint, streamed, with its size, digest and media type', async () => {
    const uploadsBefore = srv.requests.filter((r) => r.url === '/upload').length;
    const r = await run(
      `name: http-artifact-roundtrip
steps:
  download:
    http: { url: "${srv.url}/dataset", saveAs: dataset }
    artifacts: { out: [dataset] }
  upload:
    needs: [download]
    http: { method: POST, url: "${srv.url}/upload-moved", bodyFrom: data, expect: 201 }
    artifacts: { in: { data: download.dataset } }
  upload-typed:
    needs: [download]
    http: { method: PUT, url: "${srv.url}/upload", bodyFrom: data, headers: { Content-Type: application/octet-stream }, expect: 201 }
    artifacts: { in: { data: download.dataset } }
`,
    );
    expect(r.status).toBe('succeeded');
    const digest = { size: dataset.length, sha256: sha(dataset) };
    const step = (key: string) => r.steps.find((s) => s.key === key)?.output as Record<string, unknown>;
    expect(step('download')).toMatchObject({
      status: 200,
      headers: { 'content-type': PARQUET },
      artifact: { name: 'dataset', ...digest, mediaType: PARQUET },
    });
    expect(step('download')).not.toHaveProperty('body');
    // Through a 307: the artifact is read again for the second hop, and the whole of it arrives.
    expect(step('upload')).toMatchObject({
      status: 201,
      body: { ...digest, contentLength: String(dataset.length), contentType: PARQUET, method: 'POST' },
    });
    expect(step('upload-typed')).toMatchObject({ body: { ...digest, contentType: 'application/octet-stream', method: 'PUT' } });
    const uploads = srv.requests.filter((r) => r.url === '/upload').slice(uploadsBefore);
    expect(uploads.map((u) => u.raw.length)).toEqual([dataset.length, dataset.length]);
    expect(await artifactsOf(r.id)).toEqual([
      { name: 'dataset', step_key: 'download', size: String(dataset.length), sha256: digest.sha256, media_type: PARQUET },
    ]);
  });

  it('records the media type a step declares over the response Content-Type, and application/octet-stream when neither says', async () => {
    const r = await run(
      `name: http-artifact-types
steps:
  declared:
    http: { url: "${srv.url}/untyped", saveAs: orders }
    artifacts: { out: { orders: { mediaType: text/csv } } }
  unknown:
    http: { url: "${srv.url}/no-type", saveAs: blob }
    artifacts: { out: [blob] }
`,
    );
    expect(r.status).toBe('succeeded');
    expect((await artifactsOf(r.id)).map((a) => [a.name, a.media_type, a.size])).toEqual([
      ['orders', 'text/csv', '8'],
      ['blob', 'application/octet-stream', '3'],
    ]);
  });

  it('fails a body over OPENCLAW_ARTIFACT_MAX_BYTES with ArtifactTooLarge and attaches nothing', async () => {
    const r = await download('http-artifact-cap', '/too-big');
    expect(r.status).toBe('failed');
    expect(r.steps[0]?.error).toMatchObject({ name: 'ArtifactTooLarge', message: expect.stringContaining('OPENCLAW_ARTIFACT_MAX_BYTES') });
    expect(await artifactsOf(r.id)).toEqual([]);
    // The upload was started (its object row exists) but its bytes were removed from the store.
    const objects = await query<{ key: string }>(t.engine, 'SELECT key FROM openclaw.artifact_object WHERE run_id = $1', [r.id]);
    expect(objects).toHaveLength(1);
    expect(existsSync(path.join(testArtifactDir(t.db), objects[0]!.key))).toBe(false);
  });

  it('fails an unexpected status as usual, with the start of the body in the message, and uploads nothing', async () => {
    const r = await download('http-artifact-500', '/broken');
    expect(r.status).toBe('failed');
    const error = r.steps[0]?.error as { name: string; message: string };
    expect(error.name).toBe('HttpError');
    expect(error.message).toContain('→ 500: database is on fire!!!');
    expect(error.message.length).toBeLessThan(600);
    expect(await query(t.engine, 'SELECT 1 FROM openclaw.artifact_object WHERE run_id = $1', [r.id])).toEqual([]);
  });

  it("applies the step's timeout to the whole transfer; a connection lost mid-body is a NetworkError; neither attaches anything", async () => {
    const [stalled, reset] = await Promise.all([
      download('http-artifact-stall', '/stall', '    timeout: 1s\n'),
      download('http-artifact-reset', '/reset'),
    ]);
    expect(stalled.steps[0]?.error).toMatchObject({ name: 'TimeoutError' });
    expect(reset.steps[0]?.error).toMatchObject({ name: 'NetworkError', retryable: true });
    expect(await query(t.engine, 'SELECT 1 FROM openclaw.artifact WHERE run_id IN ($1, $2)', [stalled.id, reset.id])).toEqual([]);
  });

  it('refuses saveAs / bodyFrom that name no declared artifact, bodyFrom with GET, and bodyFrom with body', async () => {
    await expect(
      t.engine.registerWorkflow(`name: http-artifact-bad
steps:
  a: { http: { url: "${srv.url}/dataset", saveAs: nope }, artifacts: { out: [data] } }
  b: { needs: [a], http: { url: "${srv.url}/upload", bodyFrom: data }, artifacts: { in: { d: a.data } } }
`),
    ).rejects.toMatchObject({
      problems: [
        problem('/steps/a/http/saveAs', 'declare it in `artifacts.out` (declared: `data`)'),
        problem('/steps/b/http/bodyFrom', 'declare it in `artifacts.in` as `data: <step>.<artifact>` (declared: `d`)'),
        problem('/steps/b/http/bodyFrom', 'GET is the default method'),
      ],
    });
    await expect(
      t.engine.registerWorkflow(`name: http-artifact-both
steps:
  a: { http: { url: "${srv.url}/dataset", saveAs: data, maxResponseBytes: 10 }, artifacts: { out: [data] } }
  b: { needs: [a], http: { method: POST, url: "${srv.url}/upload", bodyFrom: d, body: "x" }, artifacts: { in: { d: a.data } } }
`),
    ).rejects.toMatchObject({
      problems: [
        problem('/steps/a/http', 'capped by OPENCLAW_ARTIFACT_MAX_BYTES'),
        problem('/steps/b/http', 'either `body` or `bodyFrom`'),
      ],
    });
  });
});
