/**
 * The UI's one way to the API: bearer key and namespace on every call, JSON in and out, errors as
 * ApiError with the API's code (docs/errors.md). A 401 signs the tab out (the key is wrong, revoked
 * or expired). Swap for the typed client (`openclaw/client`) once it lands.
 */
import { getKey, getNamespace, signOut } from '../auth/session';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export function authHeaders(extra: Record<string, string> = {}): Record<string, string> {
  const key = getKey();
  return {
    ...(key ? { authorization: `Bearer ${key}` } : {}),
    'x-openclaw-namespace': getNamespace(),
    ...extra,
  };
}

export async function toApiError(res: Response): Promise<ApiError> {
  let code = 'http_error';
  let message = `${res.status} ${res.statusText}`;
  let details: unknown;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; details?: unknown } };
    if (body.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
      details = body.error.details;
    }
  } catch {
    // not JSON: keep the status line
  }
  if (res.status === 401) signOut();
  return new ApiError(res.status, code, message, details);
}

export interface CallOptions {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export async function api<T>(method: string, path: string, opts: CallOptions = {}): Promise<T> {
  const headers = authHeaders(opts.headers);
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(withQuery(path, opts.query), {
    method,
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (!res.ok) throw await toApiError(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const get = <T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> =>
  api<T>('GET', path, { ...(query ? { query } : {}), ...(signal ? { signal } : {}) });
export const post = <T>(path: string, body?: unknown): Promise<T> => api<T>('POST', path, body === undefined ? {} : { body });
