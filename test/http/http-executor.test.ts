/**
 * HTTP tasks against a real local server: success and decoding, expected statuses, retryable and
 * non-retryable failures, Retry-After, the Idempotency-Key header, timeouts, the size cap — and
 * SSRF protection: loopback, private, link-local/metadata and redirects to them are refused
 * unless the egress allowlist names them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NonRetryableError, RetryAfterError, TaskError } from '../../engine/index.js';
import { createHttpExecutor, type HttpExecutorOptions } from '../../engine/executors/http/index.js';
import { EgressPolicy, isPublicAddress } from '../../engine/executors/http/egress.js';
import type { TaskInvocation } from '../../engine/executors/types.js';
import { registerSecretValues } from '../../engine/secrets/mask.js';
import { createLogger } from '../../engine/telemetry/logger.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';
import { NO_ARTIFACTS } from '../../engine/worker/task-artifacts.js';

let srv: TestServer;
let other: TestServer;

const opts = (allow: string, extra: Partial<HttpExecutorOptions> = {}): HttpExecutorOptions => ({
  allow: EgressPolicy.parse(allow),
  connectTimeoutMs: 2000,
  timeoutMs: 5000,
  maxResponseBytes: 1024,
  maxRedirects: 3,
  ...extra,
});

function invocation(spec: Record<string, unknown>, extra: Partial<TaskInvocation> = {}): TaskInvocation {
  return {
    task: { kind: 'http', spec },
    spec,
    input: null,
    runId: '11111111-1111-4111-8111-111111111111',
    namespace: 'default',
    stepKey: 'fetch',
    workerId: 'test-worker',
    idempotencyKey: '11111111-1111-4111-8111-111111111111:fetch',
    attempt: 1,
    signal: new AbortController().signal,
    timeoutMs: null,
    log: createLogger({ level: 'silent' }),
    stepLog: { write: () => undefined },
    artifacts: NO_ARTIFACTS,
    ...extra,
  };
}

async function failure(p: Promise<unknown>): Promise<TaskError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(TaskError);
    return err as TaskError;
  }
  throw new Error('expected the task to fail');
}

beforeAll(async () => {
  srv = await startTestServer();
  other = await startTestServer();
  srv.route('/json', (req, res) =>
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ got: req.body ? JSON.parse(req.body) : null, q: req.url })),
  );
  srv.route('/text', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('plain words'));
  srv.route('/created', (_req, res) => res.writeHead(201).end());
  srv.route('/boom', (_req, res) => res.writeHead(503).end('down for maintenance'));
  srv.route('/slowdown', (_req, res) => res.writeHead(429, { 'retry-after': '7' }).end());
  srv.route('/missing', (_req, res) => res.writeHead(404).end('no such order'));
  srv.route('/big', (_req, res) => res.writeHead(200).end('x'.repeat(5000)));
  srv.route('/hang', () => undefined);
  srv.route('/to-other', (_req, res) => res.writeHead(302, { location: `${other.url}/json` }).end());
  srv.route('/to-metadata', (_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end());
  srv.route('/to-localhost', (_req, res) => res.writeHead(307, { location: `http://localhost:${other.port}/json` }).end());
  srv.route('/to-self', (_req, res) => res.writeHead(303, { location: '/json' }).end());
  srv.route('/loop', (_req, res) => res.writeHead(302, { location: '/loop' }).end());
  other.route('/json', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"from":"other"}'));
});

afterAll(async () => {
  await srv.close();
  await other.close();
});

describe('requests and responses', () => {
  const exec = () => createHttpExecutor(opts('127.0.0.1'));

  it('sends method, query, JSON body and the Idempotency-Key; decodes JSON', async () => {
    const out = (await exec().execute(
      invocation({ method: 'POST', url: `${srv.url}/json`, query: { day: '2026-11-21' }, body: { n: 1 }, headers: { 'x-trace': 'abc' } }),
    )) as { status: number; headers: Record<string, string>; body: unknown };
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ got: { n: 1 }, q: '/json?day=2026-11-21' });
    expect(out.headers['content-type']).toBe('application/json');
    const req = srv.requests.at(-1)!;
    expect(req.headers['idempotency-key']).toBe('11111111-1111-4111-8111-111111111111:fetch');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-trace']).toBe('abc');
  });

  it('returns text bodies as text, and accepts the statuses in expect', async () => {
    expect(await exec().execute(invocation({ url: `${srv.url}/text` }))).toMatchObject({ status: 200, body: 'plain words' });
    expect(await exec().execute(invocation({ url: `${srv.url}/created`, method: 'PUT', expect: [201] }))).toMatchObject({ status: 201 });
    const unexpected = await failure(exec().execute(invocation({ url: `${srv.url}/created`, expect: 200 })));
    expect(unexpected).toBeInstanceOf(NonRetryableError);
  });

  it('5xx is retryable; 429 carries Retry-After; 4xx is not retryable and says what came back', async () => {
    const down = await failure(exec().execute(invocation({ url: `${srv.url}/boom` })));
    expect(down.name).toBe('HttpError');
    expect(down.retryable).toBe(true);
    expect(down.message).toContain('503: down for maintenance');
    const slow = await failure(exec().execute(invocation({ url: `${srv.url}/slowdown` })));
    expect(slow).toBeInstanceOf(RetryAfterError);
    expect(slow.retryAfterMs).toBe(7000);
    const missing = await failure(exec().execute(invocation({ url: `${srv.url}/missing` })));
    expect(missing.retryable).toBe(false);
    expect(missing.message).toContain('404: no such order');
  });

  it('caps the response size, times out, and treats refused connections as retryable network errors', async () => {
    const big = await failure(exec().execute(invocation({ url: `${srv.url}/big` })));
    expect(big.name).toBe('ResponseTooLarge');
    expect(big.retryable).toBe(false);
    const slow = await failure(createHttpExecutor(opts('127.0.0.1', { timeoutMs: 300 })).execute(invocation({ url: `${srv.url}/hang` })));
    expect(slow.name).toBe('TimeoutError');
    const closed = await startTestServer();
    const deadUrl = `${closed.url}/x`;
    await closed.close();
    const refused = await failure(exec().execute(invocation({ url: deadUrl })));
    expect(refused.name).toBe('NetworkError');
    expect(refused.retryable).toBe(true);
  });

  it('follows redirects (303 turns into GET) and stops after maxRedirects', async () => {
    const out = await createHttpExecutor(opts(`127.0.0.1`)).execute(
      invocation({ url: `${srv.url}/to-self`, method: 'POST', body: { a: 1 } }),
    );
    expect(out).toMatchObject({ status: 200, body: { got: null } });
    expect(srv.requests.at(-1)!.method).toBe('GET');
    const loop = await failure(exec().execute(invocation({ url: `${srv.url}/loop` })));
    expect(loop.name).toBe('TooManyRedirects');
  });

  it('rejects URLs that are not absolute http(s) or that embed credentials', async () => {
    expect((await failure(exec().execute(invocation({ url: 'file:///etc/passwd' })))).name).toBe('InvalidUrl');
    expect((await failure(exec().execute(invocation({ url: `http://user:pw@127.0.0.1:${srv.port}/json` })))).name).toBe('InvalidUrl');
  });
});

describe('SSRF protection', () => {
  it('refuses loopback, private, link-local/metadata and unspecified addresses by default', async () => {
    const exec = createHttpExecutor(opts(''));
    for (const url of [
      `${srv.url}/json`,
      `http://localhost:${srv.port}/json`,
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/',
      'http://192.168.1.1/',
      'http://172.16.0.1/',
      'http://0.0.0.0/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[fd00::1]/',
    ]) {
      const err = await failure(exec.execute(invocation({ url })));
      expect(err.name, url).toBe('EgressBlocked');
      expect(err.retryable, url).toBe(false);
    }
    const before = srv.requests.length;
    await failure(exec.execute(invocation({ url: `${srv.url}/json`, headers: { 'x-probe': 'blocked' } })));
    expect(srv.requests.length).toBe(before);
  });

  it('checks every redirect hop: to another local port, to metadata, to a name that resolves to loopback', async () => {
    const exec = createHttpExecutor(opts(`127.0.0.1:${srv.port}`));
    expect(await exec.execute(invocation({ url: `${srv.url}/text` }))).toMatchObject({ status: 200 });
    for (const path of ['/to-other', '/to-metadata', '/to-localhost']) {
      const before = other.requests.length;
      const err = await failure(exec.execute(invocation({ url: `${srv.url}${path}` })));
      expect(err.name, path).toBe('EgressBlocked');
      expect(other.requests.length, path).toBe(before);
    }
    // Allow the other port too and the same redirect goes through — without the Authorization
    // header, which was meant for the first origin only.
    const both = createHttpExecutor(opts(`127.0.0.1:${srv.port},127.0.0.1:${other.port}`));
    const out = await both.execute(invocation({ url: `${srv.url}/to-other`, headers: { Authorization: 'Bearer first-origin-only' } }));
    expect(out).toMatchObject({ body: { from: 'other' } });
    expect(srv.requests.at(-1)!.headers.authorization).toBe('Bearer first-origin-only');
    expect(other.requests.at(-1)!.headers.authorization).toBeUndefined();
  });

  it('a redirect to another origin drops Cookie, Proxy-Authorization and headers built from secrets; same-origin keeps them', async () => {
    // What the worker does before calling the executor: register the values the task received.
    const token = 'sekrit-redirect-token-42';
    const unregister = registerSecretValues([token]);
    try {
      const both = createHttpExecutor(opts(`127.0.0.1:${srv.port},127.0.0.1:${other.port}`));
      const headers = {
        'X-Api-Key': `key=${token}`,
        Cookie: 'session=first-origin-cookie',
        'Proxy-Authorization': 'Basic cHJveHk6cGFzcw==',
        'X-Trace': 'not-a-credential',
      };
      const sent = (r: { headers: Record<string, unknown> }) => ({
        key: r.headers['x-api-key'],
        cookie: r.headers.cookie,
        proxy: r.headers['proxy-authorization'],
        trace: r.headers['x-trace'],
      });
      const all = {
        key: `key=${token}`,
        cookie: 'session=first-origin-cookie',
        proxy: 'Basic cHJveHk6cGFzcw==',
        trace: 'not-a-credential',
      };
      const none = { key: undefined, cookie: undefined, proxy: undefined, trace: 'not-a-credential' };

      const srvBefore = srv.requests.length;
      const otherBefore = other.requests.length;
      expect(await both.execute(invocation({ url: `${srv.url}/to-other`, headers }))).toMatchObject({ body: { from: 'other' } });
      expect(srv.requests.slice(srvBefore).map(sent)).toEqual([all]);
      expect(other.requests.slice(otherBefore).map(sent)).toEqual([none]);

      // Same origin (303 to a path on the same host and port): everything is kept.
      const before = srv.requests.length;
      expect(await both.execute(invocation({ url: `${srv.url}/to-self`, headers }))).toMatchObject({ status: 200 });
      expect(srv.requests.slice(before).map((r) => r.url)).toEqual(['/to-self', '/json']);
      expect(srv.requests.slice(before).map(sent)).toEqual([all, all]);
    } finally {
      unregister();
    }
  });

  it('allowlist entries: IPs, CIDRs, host names and host:port', async () => {
    expect(await createHttpExecutor(opts('127.0.0.0/8')).execute(invocation({ url: `${srv.url}/text` }))).toMatchObject({ status: 200 });
    expect(await createHttpExecutor(opts('localhost')).execute(invocation({ url: `http://localhost:${srv.port}/text` }))).toMatchObject({
      status: 200,
    });
    const wrongPort = await failure(createHttpExecutor(opts('127.0.0.1:1')).execute(invocation({ url: `${srv.url}/text` })));
    expect(wrongPort.name).toBe('EgressBlocked');
  });

  it('classifies addresses', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '169.254.169.254',
      '100.64.0.1',
      '::1',
      'fe80::1',
      'fc00::1',
      '::ffff:10.0.0.1',
      '224.0.0.1',
      '0.0.0.0',
    ])
      expect(isPublicAddress(a), a).toBe(false);
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '93.184.216.34']) expect(isPublicAddress(a), a).toBe(true);
  });
});
