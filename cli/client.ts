/**
 * A small HTTP client for the REST API (docs: /work/shared/design/api.md, served at `/docs`).
 * Global fetch only; every error response `{"error": {code, message, details}}` becomes an
 * `ApiError`, and a server that cannot be reached becomes an `ApiUnreachableError` that names
 * the URL and says how to start one.
 */
import { CliError, ExitCodes } from './errors.js';

export const DEFAULT_URL = 'http://127.0.0.1:8080';
/** The namespace a request acts in when it names none (the API's default). */
export const DEFAULT_NAMESPACE = 'default';
/** The header that names a request's namespace. */
export const NAMESPACE_HEADER = 'x-openclaw-namespace';
const REQUEST_TIMEOUT_MS = 30_000;

export type Query = Record<string, string | number | boolean | undefined>;

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

/** One path segment, escaped (`score[2]` -> `score%5B2%5D`). */
export const seg = (s: string): string => encodeURIComponent(s);

export interface ApiClientOptions {
  /** Sent as `Authorization: Bearer <key>` when set (OPENCLAW_API_KEY). */
  apiKey?: string | undefined;
  /** Sent as `X-OpenClaw-Namespace` on every request when set (--namespace / OPENCLAW_NAMESPACE). */
  namespace?: string | undefined;
  timeoutMs?: number;
}

export class ApiClient {
  readonly baseUrl: string;
  /** The namespace every request acts in (undefined: the server's default). */
  readonly namespace: string | undefined;
  private readonly apiKey: string | undefined;
  private readonly timeoutMs: number;

  constructor(baseUrl: string, options: ApiClientOptions = {}) {
    this.baseUrl = normaliseBaseUrl(baseUrl);
    this.apiKey = options.apiKey;
    this.namespace = options.namespace;
    this.timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  url(path: string, query: Query = {}): string {
    const u = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  get<T>(path: string, query: Query = {}): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path, { query });
  }

  post<T>(path: string, json?: unknown): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, json === undefined ? {} : { json });
  }

  /** Sends a request; resolves for 2xx/3xx, throws `ApiError` for error statuses. */
  async request<T>(
    method: string,
    path: string,
    options: { query?: Query; json?: unknown; body?: string; contentType?: string } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    let body: string | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    } else if (options.body !== undefined) {
      body = options.body;
      headers['content-type'] = options.contentType ?? 'text/plain';
    }
    const res = await this.send(this.url(path, options.query), {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const parsed = await readBody(res);
    if (res.status >= 400) throw toApiError(res.status, parsed);
    return { status: res.status, headers: res.headers, body: parsed as T };
  }

  /**
   * Opens a streaming GET (server-sent events). No timeout: the caller aborts with `signal`.
   * Error statuses throw `ApiError`; the caller reads `res.body`.
   */
  async openStream(path: string, query: Query, headers: Record<string, string>, signal?: AbortSignal): Promise<Response> {
    const res = await this.send(this.url(path, query), {
      method: 'GET',
      headers: { accept: 'text/event-stream', ...headers },
      ...(signal ? { signal } : {}),
    });
    if (res.status >= 400) throw toApiError(res.status, await readBody(res));
    return res;
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.apiKey) headers.set('authorization', `Bearer ${this.apiKey}`);
    if (this.namespace) headers.set(NAMESPACE_HEADER, this.namespace);
    try {
      return await fetch(url, { ...init, headers });
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

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text === '') return null;
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

function toApiError(status: number, body: unknown): ApiError {
  const e = (body as { error?: unknown } | null)?.error;
  if (typeof e === 'object' && e !== null) {
    const { code, message, details } = e as { code?: unknown; message?: unknown; details?: unknown };
    return new ApiError(status, typeof code === 'string' ? code : `http_${status}`, typeof message === 'string' ? message : '', details);
  }
  const text = typeof body === 'string' ? body.trim().slice(0, 500) : body === null ? '' : JSON.stringify(body).slice(0, 500);
  return new ApiError(status, `http_${status}`, text || `HTTP ${status}`, undefined);
}
