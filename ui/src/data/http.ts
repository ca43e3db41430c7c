/**
 * The UI's one way to the API: the typed client `openclaw/client` (client/, generated from the
 * OpenAPI document), with the signed-in key and the chosen namespace put on every request as it
 * goes out (both can change while the app runs). A 401 signs the tab out (the key is wrong,
 * revoked or expired). Failed calls throw `OpenClawError` (`unwrap`), with the API's code.
 */
import { createClient, errorOf, NAMESPACE_HEADER, OpenClawError, unwrap } from '../../../client/index';
import { getKey, getNamespace, signOut } from '../auth/session';

export { OpenClawError, unwrap };
/** The same class: errors from the typed client and from the helpers below are alike. */
export { OpenClawError as ApiError };

/** The headers every call carries: the bearer key and the namespace. */
export function authHeaders(extra: Record<string, string> = {}): Record<string, string> {
  const key = getKey();
  return { ...(key ? { authorization: `Bearer ${key}` } : {}), [NAMESPACE_HEADER]: getNamespace(), ...extra };
}

/** An OpenClawError from a failed response (for the calls the client does not make: the SSE stream). */
export async function errorFrom(res: Response): Promise<OpenClawError> {
  const text = await res.text().catch(() => '');
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: errorOf keeps the start of the text
  }
  if (res.status === 401) signOut();
  return new OpenClawError(res.status, errorOf(res.status, body));
}

export const client = createClient({
  baseUrl: window.location.origin,
  fetch: async (request: Request): Promise<Response> => {
    for (const [k, v] of Object.entries(authHeaders())) request.headers.set(k, v);
    const res = await fetch(request);
    if (res.status === 401) signOut();
    return res;
  },
});

/** A client for one key (sign-in checks a key before keeping it). */
export const clientWithKey = (apiKey: string) => createClient({ baseUrl: window.location.origin, apiKey });

// ---- untyped helpers (for calls not worth a typed path; prefer `client` and `unwrap`) ----

export type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export interface CallOptions {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** One call with the key and namespace; JSON in and out; throws OpenClawError. */
export async function api<T>(method: string, path: string, opts: CallOptions = {}): Promise<T> {
  const headers = authHeaders(opts.headers);
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(withQuery(path, opts.query), {
    method,
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (!res.ok) throw await errorFrom(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const get = <T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> =>
  api<T>('GET', path, { ...(query ? { query } : {}), ...(signal ? { signal } : {}) });
export const post = <T>(path: string, body?: unknown): Promise<T> => api<T>('POST', path, body === undefined ? {} : { body });
