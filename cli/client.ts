/**
 * The CLI's HTTP client for the REST API (docs/api.md, served at `/docs`): `openclaw/client`
 * (client/index.ts: every path, parameter and shape typed from the OpenAPI document) plus a
 * timeout; every error response `{"error": {code, message, details}}` becomes an `ApiError`, and a
 * server that cannot be reached becomes an `ApiUnreachableError` that names the URL and says how
 * to start one.
 */
import type { ClientPathsWithMethod, MaybeOptionalInit } from 'openapi-fetch';
import { createClient, errorOf, type OpenClawClient, type paths, type ResponseBody } from '../client/index.js';
import { CliError, ExitCodes } from './errors.js';

export const DEFAULT_URL = 'http://127.0.0.1:8080';
/** The namespace a request acts in when it names none (the API's default). */
export const DEFAULT_NAMESPACE = 'default';
const REQUEST_TIMEOUT_MS = 30_000;

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** An error answered by the API. */
export class ApiError extends CliError {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  /** The API's own message (without the code). */
  readonly apiMessage: string;

  constructor(status: number, code: string, message: string, details: unknown) {
    super(`${code}: ${message}`, { lines: detailLines(details, code, message) });
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.apiMessage = message;
  }

  /** The problem list of an `invalid_spec` (or any details that are an array of `{path, message, line?, column?}`). */
  get problems(): Problem[] {
    return problemsOf(this.details);
  }
}

/** Nothing answered at the URL. */
export class ApiUnreachableError extends CliError {
  constructor(baseUrl: string, reason: string, cause?: unknown) {
    super(`cannot reach the OpenClaw API at ${baseUrl} (${reason})`, {
      exitCode: ExitCodes.unreachable,
      lines: ['Is it running? Start one with `openclaw dev`, or point to another with --url / OPENCLAW_URL.'],
      cause,
    });
    this.name = 'ApiUnreachableError';
  }
}

export interface Problem {
  path?: string;
  message: string;
  line?: number;
  column?: number;
}

function problemsOf(details: unknown): Problem[] {
  if (!Array.isArray(details)) return [];
  return details.filter(
    (d): d is Problem => typeof d === 'object' && d !== null && typeof (d as { message?: unknown }).message === 'string',
  );
}

/** `path (line 3, column 5): message`, or the parts that are known. */
export function formatProblem(p: Problem): string {
  const at = p.line !== undefined ? `line ${p.line}${p.column !== undefined ? `, column ${p.column}` : ''}` : '';
  const where = p.path ? (at ? `${p.path} (${at})` : p.path) : at;
  return where ? `${where}: ${p.message}` : p.message;
}

/** Detail lines under an API error: each problem not already in the message, or the details as JSON. */
export function detailLines(details: unknown, code = '', message = ''): string[] {
  if (code === 'unauthorized') {
    return [
      'Set OPENCLAW_API_KEY to an API key (`openclaw keys create`), or run next to `openclaw dev`, whose key is in .openclaw/admin.key.',
    ];
  }
  if (details === undefined || details === null || code === 'not_found') return [];
  const problems = problemsOf(details);
  if (problems.length > 0) return problems.filter((p) => !message.includes(formatProblem(p))).map((p) => `  - ${formatProblem(p)}`);
  if (typeof details === 'object' && Object.keys(details).length === 0) return [];
  return [`  details: ${JSON.stringify(details)}`];
}

/** Validates and normalises a base URL given by --url / OPENCLAW_URL (no trailing slash). */
export function normaliseBaseUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CliError(`--url: ${JSON.stringify(raw)} is not a URL (expected e.g. ${DEFAULT_URL})`, { exitCode: ExitCodes.usage });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new CliError(`--url: ${JSON.stringify(raw)} must be an http:// or https:// URL`, { exitCode: ExitCodes.usage });
  }
  return u.toString().replace(/\/+$/, '');
}

export interface ApiClientOptions {
  /** Sent as `Authorization: Bearer <key>` when set (OPENCLAW_API_KEY). */
  apiKey?: string | undefined;
  /** Sent as `X-OpenClaw-Namespace` on every request when set (--namespace / OPENCLAW_NAMESPACE). */
  namespace?: string | undefined;
  timeoutMs?: number;
}

type Method = 'get' | 'post' | 'put' | 'delete';
/** The API's paths that have `method`. */
type PathOf<M extends Method> = ClientPathsWithMethod<OpenClawClient, M>;
/** What a call of `method` on `path` takes (params, body, headers), optional when nothing in it is required. */
type InitArgs<P extends keyof paths, M extends Method & keyof paths[P]> =
  undefined extends MaybeOptionalInit<paths[P], M> ? [init?: MaybeOptionalInit<paths[P], M>] : [init: MaybeOptionalInit<paths[P], M>];
type Raw = (
  method: string,
  path: string,
  init: Record<string, unknown>,
) => Promise<{ data?: unknown; error?: unknown; response: Response }>;

/**
 * The CLI's client: `openclaw/client` (client/index.ts, every path and shape typed from the
 * OpenAPI document) with what a command needs on top: a timeout per request, `ApiError` for an
 * error status, `ApiUnreachableError` for a server that does not answer, and the status and
 * headers with the body.
 */
export class ApiClient {
  readonly baseUrl: string;
  /** The namespace every request acts in (undefined: the server's default). */
  readonly namespace: string | undefined;
  /** The typed client underneath (no timeout, no error mapping). */
  readonly api: OpenClawClient;
  private readonly timeoutMs: number;

  constructor(baseUrl: string, options: ApiClientOptions = {}) {
    this.baseUrl = normaliseBaseUrl(baseUrl);
    this.namespace = options.namespace;
    this.timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
    this.api = createClient({
      baseUrl: this.baseUrl,
      apiKey: options.apiKey,
      namespace: options.namespace,
      fetch: (request) => this.send(request),
    });
  }

  GET<P extends PathOf<'get'>>(path: P, ...init: InitArgs<P, 'get'>): Promise<ApiResponse<ResponseBody<P, 'get'>>> {
    return this.call('get', path, init[0]);
  }

  POST<P extends PathOf<'post'>>(path: P, ...init: InitArgs<P, 'post'>): Promise<ApiResponse<ResponseBody<P, 'post'>>> {
    return this.call('post', path, init[0]);
  }

  PUT<P extends PathOf<'put'>>(path: P, ...init: InitArgs<P, 'put'>): Promise<ApiResponse<ResponseBody<P, 'put'>>> {
    return this.call('put', path, init[0]);
  }

  DELETE<P extends PathOf<'delete'>>(path: P, ...init: InitArgs<P, 'delete'>): Promise<ApiResponse<ResponseBody<P, 'delete'>>> {
    return this.call('delete', path, init[0]);
  }

  /**
   * Opens a streaming GET (server-sent events by default; `accept` for others, e.g. a download).
   * No timeout: the caller aborts with `signal`. Error statuses throw `ApiError`; the caller reads `res.body`.
   */
  async openStream<P extends PathOf<'get'>>(
    path: P,
    init: NonNullable<InitArgs<P, 'get'>[0]>,
    signal?: AbortSignal,
    accept = 'text/event-stream',
  ): Promise<Response> {
    const { error, response } = await (this.api.request as unknown as Raw)('get', path, {
      ...init,
      headers: { accept },
      parseAs: 'stream',
      ...(signal ? { signal } : {}),
    });
    if (!response.ok) throw toApiError(response.status, error);
    return response;
  }

  /** Sends a typed call; resolves for 2xx, throws `ApiError` for error statuses. */
  private async call<T>(method: Method, path: string, init: object | undefined): Promise<ApiResponse<T>> {
    try {
      const { data, error, response } = await (this.api.request as unknown as Raw)(method, path, {
        ...init,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!response.ok) throw toApiError(response.status, error);
      return { status: response.status, headers: response.headers, body: data as T };
    } catch (err) {
      // The timeout can also strike while the body is read (after send() returned).
      if (err instanceof Error && err.name === 'TimeoutError') throw this.transportError(err);
      throw err;
    }
  }

  private async send(request: Request): Promise<Response> {
    try {
      return await fetch(request);
    } catch (err) {
      throw this.transportError(err);
    }
  }

  /** Maps a fetch failure to an `ApiUnreachableError` with the most specific reason known. */
  transportError(err: unknown): Error {
    if (err instanceof Error && err.name === 'AbortError') return err;
    if (err instanceof Error && err.name === 'TimeoutError') {
      return new ApiUnreachableError(this.baseUrl, `no answer within ${Math.round(this.timeoutMs / 1000)}s`, err);
    }
    return new ApiUnreachableError(this.baseUrl, reasonOf(err), err);
  }
}

/** Parameters without the flags that were not given: `{status: undefined}` becomes `{}` (no `status`). */
export function defined<T extends object>(values: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/** `ECONNREFUSED`, `ENOTFOUND`, ... from a fetch failure (undici puts it in `cause`). */
function reasonOf(err: unknown): string {
  let e: unknown = err;
  let deepest = err instanceof Error ? err.message : String(err);
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code === 'ECONNREFUSED' ? 'connection refused' : code;
    deepest = e.message;
    e = e.cause;
  }
  return deepest;
}

function toApiError(status: number, body: unknown): ApiError {
  const { code, message, details } = errorOf(status, body);
  return new ApiError(status, code, message, details);
}
