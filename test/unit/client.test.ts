/** openclaw/client against a stand-in fetch: what it sends (URL, headers, body) and how errors come back. */
import { describe, expect, it } from 'vitest';
import { createClient, errorOf, OpenClawError, unwrap, type Run } from '../../client/index.js';

const RUN = '00000000-0000-4000-8000-000000000001';

/** A fetch that records each request and answers with `answer`. */
function fakeFetch(answer: (req: Request) => Response): { fetch: (req: Request) => Promise<Response>; seen: Request[] } {
  const seen: Request[] = [];
  return {
    seen,
    fetch: async (req) => {
      seen.push(req);
      return answer(req);
    },
  };
}

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('openclaw/client', () => {
  it('sends the key as a bearer token, the namespace as X-OpenClaw-Namespace, and escapes path parameters', async () => {
    const f = fakeFetch(() => json(200, { items: [], nextCursor: null }));
    const api = createClient({ baseUrl: 'http://api.test:8080/', apiKey: 'ocl_k', namespace: 'team-a', fetch: f.fetch });
    const { data } = await api.GET('/v1/runs/{id}/steps/{key}/logs', {
      params: { path: { id: RUN, key: 'score[2]' }, query: { attempt: 2 } },
    });
    expect(data).toEqual({ items: [], nextCursor: null });
    const req = f.seen[0]!;
    expect(req.method).toBe('GET');
    expect(req.url).toBe(`http://api.test:8080/v1/runs/${RUN}/steps/score%5B2%5D/logs?attempt=2`);
    expect(req.headers.get('authorization')).toBe('Bearer ocl_k');
    expect(req.headers.get('x-openclaw-namespace')).toBe('team-a');
    expect(req.headers.get('accept')).toBe('application/json');
  });

  it('sends no credentials or namespace when none are given, and JSON bodies as JSON', async () => {
    const f = fakeFetch(() => json(201, { id: RUN, workflow: 'hello', version: 1, status: 'queued', createdAt: '', steps: [] }));
    const api = createClient({ baseUrl: 'http://api.test', fetch: f.fetch });
    const run: Run = await unwrap(
      api.POST('/v1/workflows/{name}/runs', { params: { path: { name: 'hello' } }, body: { input: { a: 1 } } }),
    );
    expect(run.id).toBe(RUN);
    const req = f.seen[0]!;
    expect(req.headers.get('authorization')).toBeNull();
    expect(req.headers.get('x-openclaw-namespace')).toBeNull();
    expect(req.headers.get('content-type')).toBe('application/json');
    expect(await req.json()).toEqual({ input: { a: 1 } });
  });

  it("an error answer is the API's {error: {code, message, details}}; unwrap throws it as an OpenClawError", async () => {
    const body = { error: { code: 'not_found', message: 'run not found', details: { id: RUN } } };
    const api = createClient({ baseUrl: 'http://api.test', fetch: fakeFetch(() => json(404, body)).fetch });
    const res = await api.GET('/v1/runs/{id}', { params: { path: { id: RUN } } });
    expect(res.response.status).toBe(404);
    expect(res.error).toEqual(body);
    const err = await unwrap(api.GET('/v1/runs/{id}', { params: { path: { id: RUN } } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenClawError);
    expect(err).toMatchObject({ status: 404, code: 'not_found', message: 'not_found: run not found', details: { id: RUN } });
  });

  it('a body not in the error shape (a proxy page, nothing) becomes http_<status>', async () => {
    const api = createClient({
      baseUrl: 'http://api.test',
      fetch: fakeFetch(() => new Response('<h1>Bad Gateway</h1>', { status: 502 })).fetch,
    });
    await expect(unwrap(api.GET('/v1/workflows'))).rejects.toMatchObject({ code: 'http_502', message: 'http_502: <h1>Bad Gateway</h1>' });
    expect(errorOf(503, undefined)).toEqual({ code: 'http_503', message: 'HTTP 503' });
    expect(errorOf(500, { error: { code: 'internal' } })).toEqual({ code: 'internal', message: '' });
  });

  it('a 204 answer unwraps to undefined', async () => {
    const api = createClient({ baseUrl: 'http://api.test', fetch: fakeFetch(() => new Response(null, { status: 204 })).fetch });
    expect(await unwrap(api.DELETE('/v1/secrets/{name}', { params: { path: { name: 'TOKEN' } } }))).toBeUndefined();
  });
});
