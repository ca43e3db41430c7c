/**
 * `http:` tasks, with undici: connect and total timeouts, `expect`ed statuses, JSON decoding, a
 * response size cap, `Idempotency-Key: <run id>:<step key>` on every request, retry semantics
 * (5xx, 429 and network errors retryable, honouring `Retry-After`; other statuses not), and SSRF
 * protection on every hop (egress.ts: the policy; egress-guard.ts: the connection checks, shared
 * with run notifications). Redirects are followed by hand so that each one is checked like the
 * first request, and so that credentials meant for one origin never reach another: a redirect that
 * changes scheme, host or port drops `Authorization`, `Cookie`, `Proxy-Authorization` and every
 * header whose value holds a secret (a value the worker registered for this task, secrets/mask.ts).
 * `bodyFrom` / `saveAs` stream an artifact as the request body / the response body into an artifact
 * (artifact-body.ts).
 */
import { FAILURES } from '../../vocabulary/failures.js';
import { request, type Dispatcher } from 'undici';
import { NonRetryableError, RetryAfterError, TaskError } from '../../errors.js';
import { containsActiveSecret } from '../../secrets/mask.js';
import type { Executor, TaskInvocation } from '../types.js';
import type { EgressPolicy } from './egress.js';
import { bodyInput, readStart, saveBody } from './artifact-body.js';
import { createEgressGuard, EgressBlocked, portOf } from './egress-guard.js';

export interface HttpExecutorOptions {
  /** `OPENCLAW_HTTP_ALLOW`, parsed (`EgressPolicy.parse`): non-public destinations that may be reached anyway. */
  allow: EgressPolicy;
  connectTimeoutMs: number;
  /** Whole-request bound when the step sets no timeout. */
  timeoutMs: number;
  /** Largest response body read; a task may ask for less (`maxResponseBytes`). */
  maxResponseBytes: number;
  maxRedirects: number;
}

interface HttpSpec {
  method?: string;
  url: string;
  headers?: Record<string, string | number | boolean>;
  query?: Record<string, string | number | boolean>;
  body?: unknown;
  /** An input artifact (`artifacts.in`) sent as the body, streamed; never with `body`. */
  bodyFrom?: string;
  /** An output artifact (`artifacts.out`) the response body is streamed into instead of being parsed. */
  saveAs?: string;
  expect?: number | number[];
  followRedirects?: boolean;
  maxResponseBytes?: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Headers that only ever go to the origin the task named (and same-origin redirects). */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];
/** How much of an unexpected response's body a `saveAs` step reads for its error message. */
const ERROR_SNIPPET_BYTES = 300;

/** Seconds or an HTTP date → ms (bounded to an hour). */
function retryAfterMs(header: string | string[] | undefined): number | null {
  const v = Array.isArray(header) ? header[0] : header;
  if (!v) return null;
  const secs = Number(v);
  const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(v) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 3_600_000) : null;
}

function headerObject(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

async function readCapped(body: Dispatcher.ResponseData['body'], max: number, url: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > max) {
      body.destroy();
      throw new NonRetryableError(
        'ResponseTooLarge',
        `${url}: response body is larger than ${max} bytes (maxResponseBytes / OPENCLAW_HTTP_MAX_RESPONSE_BYTES)`,
      );
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export function createHttpExecutor(options: HttpExecutorOptions): Executor {
  const guard = createEgressGuard({ allow: options.allow, connectTimeoutMs: options.connectTimeoutMs, subject: 'HTTP tasks' });

  function target(raw: string, query?: HttpSpec['query']): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new NonRetryableError('InvalidUrl', `http.url is not a valid absolute URL: ${JSON.stringify(raw)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new NonRetryableError('InvalidUrl', `http.url must be http or https, got ${url.protocol}`);
    }
    if (url.username || url.password)
      throw new NonRetryableError('InvalidUrl', 'http.url must not carry credentials; use headers and secrets');
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.append(k, String(v));
    return url;
  }

  return {
    kinds: ['http'],
    async execute(inv: TaskInvocation): Promise<unknown> {
      const spec = inv.spec as unknown as HttpSpec;
      let url = target(spec.url, spec.query);
      let method = (spec.method ?? 'GET').toUpperCase();
      const expect = spec.expect === undefined ? null : Array.isArray(spec.expect) ? spec.expect : [spec.expect];
      const maxBytes = Math.min(spec.maxResponseBytes ?? options.maxResponseBytes, options.maxResponseBytes);
      const headers: Record<string, string> = { 'idempotency-key': inv.idempotencyKey };
      // The attempt's span (tracing on): the receiver continues the run's trace. A task's own header wins.
      if (inv.traceparent !== undefined) headers.traceparent = inv.traceparent;
      for (const [k, v] of Object.entries(spec.headers ?? {})) headers[k.toLowerCase()] = String(v);
      // Checked before the first request, while the worker holds this task's secret values.
      const originBound = Object.keys(headers).filter((h) => CREDENTIAL_HEADERS.includes(h) || containsActiveSecret(headers[h]!));
      let body: string | undefined;
      // bodyFrom: the artifact is opened afresh for every request (each redirect hop that keeps the
      // body, each attempt), so a 307/308 re-sends it whole; a stream cannot be replayed.
      let bodyFrom = spec.bodyFrom;
      if (bodyFrom !== undefined) {
        const input = bodyInput(inv.artifacts, bodyFrom);
        headers['content-type'] ??= input.mediaType;
        headers['content-length'] = String(input.size);
      } else if (spec.body !== undefined && spec.body !== null) {
        if (typeof spec.body === 'string') {
          body = spec.body;
          headers['content-type'] ??= 'text/plain; charset=utf-8';
        } else {
          body = JSON.stringify(spec.body);
          headers['content-type'] ??= 'application/json';
        }
      }
      const total = inv.timeoutMs ?? options.timeoutMs;
      const signal = AbortSignal.any([inv.signal, AbortSignal.timeout(total)]);
      for (let hop = 0; ; hop++) {
        guard.checkLiteral(url);
        const upload = bodyFrom === undefined ? null : await inv.artifacts.open(bodyFrom);
        const agent = guard.agentFor(url.hostname.replace(/^\[|\]$/g, ''), portOf(url));
        try {
          let res: Dispatcher.ResponseData;
          try {
            res = await request(url, {
              method: method as Dispatcher.HttpMethod,
              headers,
              body: upload ?? body ?? null,
              signal,
              dispatcher: agent,
            });
          } catch (err) {
            throw networkError(err, url, signal, total);
          }
          if (REDIRECTS.has(res.statusCode) && spec.followRedirects !== false && !(expect?.includes(res.statusCode) ?? false)) {
            await res.body.dump();
            const location = res.headers.location;
            const loc = Array.isArray(location) ? location[0] : location;
            if (!loc) throw new NonRetryableError('HttpError', `${method} ${url.href} → ${res.statusCode} without a Location header`);
            if (hop + 1 > options.maxRedirects) {
              throw new NonRetryableError(
                'TooManyRedirects',
                `${spec.url}: more than ${options.maxRedirects} redirects (OPENCLAW_HTTP_MAX_REDIRECTS)`,
              );
            }
            const next = target(new URL(loc, url).href);
            if (res.statusCode === 303 || ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')) {
              method = 'GET';
              body = undefined;
              bodyFrom = undefined;
              delete headers['content-type'];
              delete headers['content-length'];
            }
            if (next.origin !== url.origin) for (const h of originBound) delete headers[h];
            url = next;
            continue;
          }
          const ok = expect ? expect.includes(res.statusCode) : res.statusCode >= 200 && res.statusCode < 300;
          if (spec.saveAs !== undefined) {
            const resHeaders = headerObject(res.headers);
            if (!ok) throw statusError(method, url, res, await readStart(res.body, ERROR_SNIPPET_BYTES + 1));
            const artifact = await saveBody(inv.artifacts, spec.saveAs, res.body, resHeaders['content-type'], signal, (err) =>
              networkError(err, url, signal, total),
            );
            return { status: res.statusCode, headers: resHeaders, artifact };
          }
          let raw: Buffer;
          try {
            raw = await readCapped(res.body, maxBytes, url.href);
          } catch (err) {
            if (err instanceof TaskError) throw err;
            throw networkError(err, url, signal, total);
          }
          const resHeaders = headerObject(res.headers);
          const text = raw.toString('utf8');
          let decoded: unknown = text;
          if (/\bjson\b/i.test(resHeaders['content-type'] ?? '') && text.length > 0) {
            try {
              decoded = JSON.parse(text);
            } catch {
              decoded = text;
            }
          }
          if (!ok) throw statusError(method, url, res, text);
          return { status: res.statusCode, headers: resHeaders, body: decoded };
        } finally {
          upload?.destroy();
          void agent.close();
        }
      }
    },
  };
}

/** An unexpected status: HttpError with the start of the body; 5xx and 429 retryable (honouring Retry-After). */
function statusError(method: string, url: URL, res: Dispatcher.ResponseData, text: string): TaskError {
  const snippet = text.length > ERROR_SNIPPET_BYTES ? `${text.slice(0, ERROR_SNIPPET_BYTES)}…` : text;
  const message = `${method} ${url.href} → ${res.statusCode}${snippet ? `: ${snippet}` : ''}`;
  if (res.statusCode === 429 || res.statusCode >= 500) {
    const after = retryAfterMs(res.headers['retry-after']);
    return after === null ? new TaskError('HttpError', message) : new RetryAfterError('HttpError', message, after);
  }
  return new NonRetryableError('HttpError', message);
}

function networkError(err: unknown, url: URL, signal: AbortSignal, totalMs: number): Error {
  if (err instanceof TaskError) return err;
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof EgressBlocked) return cause;
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof TaskError) return reason;
    if (reason instanceof Error && reason.name === 'TimeoutError')
      return new TaskError(FAILURES.Timeout, `${url.href}: no complete response within ${totalMs} ms`);
    return reason instanceof Error ? reason : new TaskError('Aborted', String(reason));
  }
  const code = (err as { code?: string }).code ?? (cause as { code?: string } | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return new TaskError('NetworkError', `${url.href}: ${code ? `${code} ` : ''}${message}`);
}
