/**
 * Secrets end to end with a canary value: stored encrypted (never in a database dump), write-only
 * over the API, resolved only inside a task block when the task runs, and masked in outputs,
 * errors, step logs, history, dead letters, every API response and the process log — also when a
 * task returns or prints it base64- or URL-encoded, JSON-escaped, or as an object key. A header
 * built from a secret does not follow a redirect to another origin.
 */
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, generateMasterKey, type Executor } from '../../engine/index.js';
import { createLogger } from '../../engine/telemetry/logger.js';
import { useApi, yamlHeaders } from '../helpers/api.js';
import { createTestDb, testPool, waitFor } from '../helpers/engine.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';

const CANARY = 'canary-7f3c9e1d-sekrit-value';
const KEY = generateMasterKey();
const logLines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    logLines.push(chunk.toString());
    cb();
  },
});

const log = createLogger({ level: 'debug', destination: sink });
const t = useApi('secrets', {
  slots: 2,
  scheduler: true,
  config: { secretKey: KEY, httpAllow: '127.0.0.1', logger: log },
  app: { logger: log },
});
let srv: TestServer;

/** Every row of every table, as text: what a database dump would hold. */
async function dumpDatabase(): Promise<string> {
  const { rows: tables } = await testPool(t.engine).query<{ s: string; n: string }>(
    `SELECT table_schema AS s, table_name AS n FROM information_schema.tables
      WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
  );
  const parts: string[] = [];
  for (const { s, n } of tables) {
    const { rows } = await testPool(t.engine).query<{ r: string }>(`SELECT t::text AS r FROM "${s}"."${n}" t`);
    parts.push(...rows.map((r) => r.r));
  }
  return parts.join('\n');
}

const canaryHex = Buffer.from(CANARY).toString('hex');
const canaryB64 = Buffer.from(CANARY).toString('base64');
function expectNoCanary(text: string, where: string): void {
  expect(text.includes(CANARY), `${where} holds the canary`).toBe(false);
  expect(text.includes(canaryHex), `${where} holds the canary as hex`).toBe(false);
  expect(text.includes(canaryB64), `${where} holds the canary as base64`).toBe(false);
}

beforeAll(async () => {
  srv = await startTestServer();
  // The endpoint echoes what it got, secrets included: the engine must mask them on the way back.
  srv.route('/echo', (req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ auth: req.headers.authorization, path: req.url })),
  );
  srv.route('/fail', (req, res) => res.writeHead(400).end(`rejected token ${String(req.headers.authorization)}`));
});
afterAll(async () => {
  await srv.close();
});

const spec = (name: string, path: string, extra = '') => `name: ${name}
inputs: { type: object, properties: { order: { type: string } } }
steps:
  call:
    http:
      url: "${'$'}{{ '${srv.url}${path}?order=' & inputs.order }}"
      headers: { Authorization: "Bearer ${'$'}{{ secrets.API_TOKEN }}" }${extra}
`;

describe('the secret store API', () => {
  it('PUT stores (201) and replaces (200); GET lists names and times only; DELETE removes (204, then 404)', async () => {
    const put = await t.call({ method: 'PUT', url: '/v1/secrets/API_TOKEN', payload: { value: 'first-value' } });
    expect(put.status).toBe(201);
    expect(Object.keys(put.body).sort()).toEqual(['createdAt', 'name', 'updatedAt']);
    const replace = await t.call({ method: 'PUT', url: '/v1/secrets/API_TOKEN', payload: { value: CANARY } });
    expect(replace.status).toBe(200);
    const list = await t.call({ url: '/v1/secrets' });
    expect(list.body.items.map((s: { name: string }) => s.name)).toEqual(['API_TOKEN']);
    expectNoCanary(list.text, 'GET /v1/secrets');
    await t.call({ method: 'PUT', url: '/v1/secrets/DOOMED', payload: { value: 'temporary' } });
    expect((await t.call({ method: 'DELETE', url: '/v1/secrets/DOOMED' })).status).toBe(204);
    expect((await t.call({ method: 'DELETE', url: '/v1/secrets/DOOMED' })).status).toBe(404);
  });

  it('rejects bad names and too-short values', async () => {
    const badName = await t.call({ method: 'PUT', url: '/v1/secrets/9lives', payload: { value: 'long enough' } });
    expect(badName.status).toBe(400);
    expect(badName.body.error.details[0]).toMatchObject({ in: 'params', field: 'name' });
    const short = await t.call({ method: 'PUT', url: '/v1/secrets/SHORT', payload: { value: 'abc' } });
    expect(short.status).toBe(400);
    expect(short.body.error.details[0]).toMatchObject({ in: 'body', field: 'value' });
  });

  it('is encrypted at rest: the value is in no table, in any encoding', async () => {
    expectNoCanary(await dumpDatabase(), 'the database');
  });
});

describe('resolution and masking', () => {
  it('resolves only inside the task block when the task runs; the output, history and API responses show *** instead', async () => {
    await t.call({ method: 'POST', url: '/v1/workflows', headers: yamlHeaders, payload: spec('uses-secret', '/echo') });
    const start = await t.call({ method: 'POST', url: '/v1/workflows/uses-secret/runs', payload: { input: { order: 'A-1' } } });
    const id = start.body.id as string;
    const run = await waitFor(async () => {
      const r = await t.call({ url: `/v1/runs/${id}` });
      return r.body.status === 'succeeded' ? r : null;
    });
    // The server got the real value; the URL was built from the input at activation.
    const got = srv.requests.find((r) => r.url === '/echo?order=A-1');
    expect(got?.headers.authorization).toBe(`Bearer ${CANARY}`);
    expect(run.body.steps[0].output.body).toEqual({ auth: 'Bearer ***', path: '/echo?order=A-1' });
    expectNoCanary(run.text, 'GET /v1/runs/{id}');
    expectNoCanary((await t.call({ url: `/v1/runs/${id}/events` })).text, 'the history');
    expectNoCanary((await t.call({ url: `/v1/runs/${id}/steps/call/logs` })).text, 'the step log');
    expectNoCanary((await t.call({ url: '/v1/runs' })).text, 'GET /v1/runs');
    expectNoCanary(await dumpDatabase(), 'the database after a run');
  });

  it('masks the value in a failure the server echoes it in, and in the dead letter', async () => {
    await t.call({ method: 'POST', url: '/v1/workflows', headers: yamlHeaders, payload: spec('leaky-failure', '/fail') });
    const start = await t.call({ method: 'POST', url: '/v1/workflows/leaky-failure/runs', payload: { input: { order: 'B-2' } } });
    const id = start.body.id as string;
    const run = await waitFor(async () => {
      const r = await t.call({ url: `/v1/runs/${id}` });
      return r.body.status === 'failed' ? r : null;
    });
    expect(run.body.steps[0].error.message).toContain('rejected token Bearer ***');
    expectNoCanary(run.text, 'the failed run');
    expectNoCanary((await t.call({ url: '/v1/dead-letters' })).text, 'the dead letters');
    expectNoCanary(await dumpDatabase(), 'the database after a failure');
  });

  it('a missing secret fails the step without retrying, naming the secret', async () => {
    await t.call({
      method: 'POST',
      url: '/v1/workflows',
      headers: yamlHeaders,
      payload: `name: missing-secret
steps:
  call: { http: { url: "${srv.url}/echo", headers: { X: "${'$'}{{ secrets.NOT_SET }}" } }, retry: { maxAttempts: 3, delay: 10ms } }
`,
    });
    const start = await t.call({ method: 'POST', url: '/v1/workflows/missing-secret/runs', payload: {} });
    const run = await waitFor(async () => {
      const r = await t.call({ url: `/v1/runs/${start.body.id}` });
      return r.body.status === 'failed' ? r : null;
    });
    expect(run.body.steps[0]).toMatchObject({ attempt: 1, error: { name: 'SecretNotFound' } });
    expect(run.body.steps[0].error.message).toContain('NOT_SET');
  });

  it('the process log never carried the value', () => {
    // Request logs, worker logs, and the failed attempt whose error carried the token.
    expect(logLines.length).toBeGreaterThan(10);
    expect(logLines.some((l) => l.includes('attempt failed') && l.includes('rejected token Bearer ***'))).toBe(true);
    expectNoCanary(logLines.join(''), 'the process log');
  });
});

describe('masking what a task itself prints', () => {
  it('a task that writes the value to its step log and the process log, and returns it, leaks nothing', async () => {
    // A stand-in container executor that misbehaves on purpose with the secret it receives.
    const leaky: Executor = {
      kinds: ['container'],
      execute(inv) {
        const token = String((inv.spec?.env as Record<string, unknown>).TOKEN);
        inv.stepLog.write(`token is ${token}`, 'stdout');
        inv.log.info({ token, nested: { again: [token] } }, `logging ${token}`);
        return Promise.resolve({ echoed: token, list: [`x${token}y`] });
      },
    };
    const engine = await createEngine({ databaseUrl: t.db.url, secretKey: KEY, executors: [leaky], logger: log });
    try {
      await engine.registerWorkflow(`name: leaky-task
steps:
  run: { container: { image: any, env: { TOKEN: "${'$'}{{ secrets.API_TOKEN }}" } } }
`);
      await t.worker.stop();
      const w = engine.createWorker({ slots: 1 });
      await w.start();
      const { runId } = await engine.startRun({ workflow: 'leaky-task' });
      const run = await waitFor(async () => {
        const r = await engine.queries.getRun(runId);
        return r.status === 'succeeded' ? r : null;
      });
      expect(run.steps[0]!.output).toEqual({ echoed: '***', list: ['x***y'] });
      const logs = await engine.queries.getStepLogs(runId, 'run');
      expect(logs.items.map((l) => l.message)).toEqual(['token is ***']);
      expect(logLines.some((l) => l.includes('logging ***'))).toBe(true);
      expectNoCanary(logLines.join(''), 'the process log');
      expectNoCanary(await dumpDatabase(), 'the database');
      await w.stop();
      await t.worker.start();
    } finally {
      await engine.close();
    }
  });
});

describe('masking encoded forms and object keys', () => {
  // A value whose forms all differ from it: base64 has `+`, `/` and padding; it URL-encodes and JSON-escapes.
  const ENCODED = 'enc/+ "quoted" ?&=é-5b2d91>>>!';
  const forms = {
    raw: ENCODED,
    base64: Buffer.from(ENCODED).toString('base64'),
    base64url: Buffer.from(ENCODED).toString('base64url'),
    uri: encodeURIComponent(ENCODED),
    json: JSON.stringify(ENCODED).slice(1, -1),
  };
  function expectNoForm(text: string, where: string): void {
    for (const [name, form] of Object.entries(forms)) expect(text.includes(form), `${where} holds the secret (${name})`).toBe(false);
  }

  it('a step whose output, step log and process log hold the value encoded and as a key: every API view shows ***', async () => {
    expect(forms.base64).toMatch(/[+/]/);
    expect(forms.base64).toMatch(/=$/);
    expect(new Set(Object.values(forms)).size).toBe(5);
    expect((await t.call({ method: 'PUT', url: '/v1/secrets/ENCODED_TOKEN', payload: { value: ENCODED } })).status).toBe(201);
    const leaky: Executor = {
      kinds: ['container'],
      execute(inv) {
        const token = String((inv.spec?.env as Record<string, unknown>).TOKEN);
        const b64 = Buffer.from(token).toString('base64');
        inv.stepLog.write(`base64 ${b64} url ${encodeURIComponent(token)}`, 'stdout');
        inv.stepLog.write(JSON.stringify({ [token]: Buffer.from(token).toString('base64url') }), 'stderr');
        inv.log.info({ [token]: 1, b64, uri: encodeURIComponent(token) }, `encoded ${b64}`);
        return Promise.resolve({
          b64,
          b64url: Buffer.from(token).toString('base64url'),
          url: `https://example.com/cb?token=${encodeURIComponent(token)}`,
          json: JSON.stringify({ token }),
          [token]: 'a key equal to the secret',
        });
      },
    };
    const engine = await createEngine({ databaseUrl: t.db.url, secretKey: KEY, executors: [leaky], logger: log });
    try {
      await engine.registerWorkflow(`name: encoded-leak
steps:
  run: { container: { image: any, env: { TOKEN: "${'$'}{{ secrets.ENCODED_TOKEN }}" } } }
output: "${'$'}{{ steps.run.output }}"
`);
      await t.worker.stop();
      const w = engine.createWorker({ slots: 1 });
      await w.start();
      const linesBefore = logLines.length;
      const { runId } = await engine.startRun({ workflow: 'encoded-leak' });
      const run = await waitFor(async () => {
        const r = await t.call({ url: `/v1/runs/${runId}` });
        return r.body.status === 'succeeded' ? r : null;
      });
      await w.stop();
      await t.worker.start();
      const masked = {
        b64: '***',
        b64url: '***',
        url: 'https://example.com/cb?token=***',
        json: '{"token":"***"}',
        '***': 'a key equal to the secret',
      };
      expect(run.body.output).toEqual(masked);
      expect(run.body.steps[0].output).toEqual(masked);
      expectNoForm(run.text, 'GET /v1/runs/{id}');
      expectNoForm((await t.call({ url: `/v1/runs/${runId}/events` })).text, 'the history');
      const logs = await t.call({ url: `/v1/runs/${runId}/steps/run/logs` });
      expect(logs.body.items.map((l: { message: string }) => l.message)).toEqual(['base64 *** url ***', '{"***":"***"}']);
      expectNoForm(logs.text, 'the step log');
      const processLog = logLines.slice(linesBefore).join('');
      expect(processLog).toContain('encoded ***');
      expectNoForm(processLog, 'the process log');
      expectNoForm(await dumpDatabase(), 'the database');
    } finally {
      await engine.close();
      // The rotation test below counts the stored secrets.
      await t.call({ method: 'DELETE', url: '/v1/secrets/ENCODED_TOKEN' });
    }
  });
});

describe('redirects and secrets', () => {
  it('a header built from a secret reaches the origin the task named, not the one it redirects to', async () => {
    const other = await startTestServer();
    try {
      other.route('/landing', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"landed":true}'));
      srv.route('/hop', (_req, res) => res.writeHead(307, { location: `${other.url}/landing` }).end());
      await t.call({
        method: 'POST',
        url: '/v1/workflows',
        headers: yamlHeaders,
        payload: `name: redirected
steps:
  call:
    http:
      url: "${srv.url}/hop"
      headers: { X-Api-Key: "key=${'$'}{{ secrets.API_TOKEN }}", Cookie: "session=abc", X-Trace: "t-1" }
`,
      });
      const start = await t.call({ method: 'POST', url: '/v1/workflows/redirected/runs', payload: {} });
      const run = await waitFor(async () => {
        const r = await t.call({ url: `/v1/runs/${start.body.id}` });
        return r.body.status === 'succeeded' || r.body.status === 'failed' ? r : null;
      });
      expect(run.body.status).toBe('succeeded');
      expect(run.body.steps[0].output.body).toEqual({ landed: true });
      const first = srv.requests.filter((r) => r.url === '/hop').at(-1)!;
      expect(first.headers).toMatchObject({ 'x-api-key': `key=${CANARY}`, cookie: 'session=abc', 'x-trace': 't-1' });
      expect(other.requests).toHaveLength(1);
      expect(other.requests[0]!.headers['x-api-key']).toBeUndefined();
      expect(other.requests[0]!.headers.cookie).toBeUndefined();
      expect(other.requests[0]!.headers['x-trace']).toBe('t-1');
    } finally {
      await other.close();
    }
  });
});

describe('keys', () => {
  it('the engine hands out neither its keys nor its pool: engine.config has no key material, no property holds the pool', () => {
    const engine = t.engine as unknown as Record<string, unknown>;
    expect(engine.pool).toBeUndefined();
    expect(engine.core).toBeUndefined();
    expect(t.engine.config).not.toHaveProperty('masterKeys');
    expect(t.engine.config).not.toHaveProperty('secretKey');
    const keyBytes = Buffer.from(KEY, 'base64');
    const shown = JSON.stringify(t.engine.config, (_k, v: unknown) => (v instanceof Map ? [...v] : v));
    expect(shown.includes(KEY) || shown.includes(keyBytes.toString('hex'))).toBe(false);
    for (const value of Object.values(engine)) expect(value).not.toBeInstanceOf(pg.Pool);
  });

  it('rotation re-wraps stored values under the new key; the old key alone no longer reads them', async () => {
    const newKey = generateMasterKey();
    const rotating = await createEngine({
      databaseUrl: t.db.url,
      secretKey: newKey,
      previousSecretKeys: KEY,
      logger: createLogger({ level: 'silent' }),
    });
    try {
      const before = await testPool(rotating).query<{ key_id: string }>('SELECT DISTINCT key_id FROM openclaw.secret');
      expect(before.rows).toHaveLength(1);
      const res = await rotating.rotateSecretKey();
      expect(res).toEqual({ rewrapped: 1, unreadable: [] });
      expect((await rotating.rotateSecretKey()).rewrapped).toBe(0);
      const after = await testPool(rotating).query<{ key_id: string }>('SELECT DISTINCT key_id FROM openclaw.secret');
      expect(after.rows[0]!.key_id).not.toBe(before.rows[0]!.key_id);
    } finally {
      await rotating.close();
    }
    // A worker with only the new key runs the secret-using workflow; one with only the old key cannot.
    const onlyNew = await createEngine({
      databaseUrl: t.db.url,
      secretKey: newKey,
      httpAllow: '127.0.0.1',
      logger: createLogger({ level: 'silent' }),
    });
    try {
      const w = onlyNew.createWorker({ slots: 1 });
      await t.worker.stop();
      await w.start();
      const { runId } = await onlyNew.startRun({ workflow: 'uses-secret', input: { order: 'C-3' } });
      const run = await waitFor(async () => {
        const r = await onlyNew.queries.getRun(runId);
        return r.status === 'succeeded' || r.status === 'failed' ? r : null;
      });
      expect(run.status).toBe('succeeded');
      expect(srv.requests.find((r) => r.url === '/echo?order=C-3')?.headers.authorization).toBe(`Bearer ${CANARY}`);
    } finally {
      await onlyNew.close();
    }
    const onlyOld = await createEngine({
      databaseUrl: t.db.url,
      secretKey: KEY,
      httpAllow: '127.0.0.1',
      logger: createLogger({ level: 'silent' }),
    });
    try {
      const w = onlyOld.createWorker({ slots: 1 });
      await w.start();
      const { runId } = await onlyOld.startRun({ workflow: 'uses-secret', input: { order: 'D-4' } });
      const run = await waitFor(async () => {
        const r = await onlyOld.queries.getRun(runId);
        return r.status === 'succeeded' || r.status === 'failed' ? r : null;
      });
      expect(run.status).toBe('failed');
      expect(run.steps[0]).toMatchObject({ error: { name: 'SecretsUnavailable' } });
      expect(srv.requests.find((r) => r.url === '/echo?order=D-4')).toBeUndefined();
    } finally {
      await onlyOld.close();
    }
  });

  it('a process without a key answers 503 unavailable on the secrets API', async () => {
    const db = await createTestDb('nokey');
    const { buildApp, insecureLocal } = await import('../../api/index.js');
    const engine = await createEngine({ databaseUrl: db.url, logger: createLogger({ level: 'silent' }) });
    const app = await buildApp({ engine, logger: false, authenticate: insecureLocal });
    try {
      const res = await app.inject({ method: 'PUT', url: '/v1/secrets/X_TOKEN', payload: { value: 'value-1234' } });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('unavailable');
    } finally {
      await app.close();
      await engine.close();
      await db.drop();
    }
  });
});
