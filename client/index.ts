/**
 * `openclaw/client`: a typed client of the OpenClaw REST API, for Node 20+ and browsers (no Node
 * imports; the web UI uses it too, and so does the `openclaw` CLI).
 *
 * Every path, parameter, request body and response is typed from the API's OpenAPI document
 * (`GET /openapi.json`): the types are generated into schema.generated.ts by `npm run
 * client:gen`, and test/api/client-types.test.ts fails when they differ from what the current
 * document produces. Requests go through openapi-fetch:
 *
 * ```ts
 * const api = createClient({ baseUrl: 'http://127.0.0.1:8080', apiKey: process.env.OPENCLAW_API_KEY });
 * const { data, error } = await api.GET('/v1/runs/{id}', { params: { path: { id } } });
 * if (error) console.error(error.error.code, error.error.message); // the API's {error: {code, message, details}}
 * else console.log(data.status, data.steps.length); // data is a Run
 * const run = await unwrap(api.GET('/v1/runs/{id}', { params: { path: { id } } })); // or throws an OpenClawError
 * ```
 */
import createFetchClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema.generated.js';

export type { components, paths };

/** The header that names a request's namespace (the API's `namespace` query parameter does the same). */
export const NAMESPACE_HEADER = 'X-OpenClaw-Namespace';

export interface ClientOptions {
  /** Where the API is, e.g. `http://127.0.0.1:8080` (a trailing slash is ignored). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>`: an API key (`ocl_...`) or an OIDC access token. */
  apiKey?: string | undefined;
  /** Sent as `X-OpenClaw-Namespace` on every request (the server's default namespace when unset). */
  namespace?: string | undefined;
  /** A fetch of your own (default: the global one), e.g. to add a timeout or a proxy. */
  fetch?: ((request: Request) => Promise<Response>) | undefined;
  /** More headers for every request. */
  headers?: Record<string, string> | undefined;
}

/** The client: `GET`, `POST`, `PUT`, `DELETE` of the API's paths (openapi-fetch's `Client`). */
export type OpenClawClient = Client<paths>;

/** A client of the API at `baseUrl`, authenticated with `apiKey`, acting in `namespace`. */
export function createClient(options: ClientOptions): OpenClawClient {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  if (options.namespace) headers[NAMESPACE_HEADER] = options.namespace;
  return createFetchClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

// ---- the shapes, by name ----

type Schemas = components['schemas'];
type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : undefined;
type SuccessOf<O> = O extends { responses: infer Rs } ? JsonOf<Rs[Extract<keyof Rs, 200 | 201 | 202 | 204>]> : never;

/** The JSON body of an operation's success: `ResponseBody<'/v1/runs/{id}', 'get'>` is a `Run` (`undefined` for 204). */
export type ResponseBody<P extends keyof paths, M extends keyof paths[P]> = SuccessOf<paths[P][M]>;

/** The `{error: {code, message, details}}` of every error response (codes: docs/errors.md). */
export type ErrorResponse = Schemas['ErrorResponse'];
/** A step or run error: `{name, message, attempt, ...}`, or null. */
export type ErrorInfo = Schemas['ErrorInfo'];
export type Run = Schemas['Run'];
export type RunSummary = Schemas['RunSummary'];
export type RunStatus = Run['status'];
export type Step = Schemas['Step'];
export type StepStatus = Step['status'];
export type RunEvent = Schemas['RunEvent'];
export type StepLogLine = Schemas['StepLogPage']['items'][number];
/** A file a step wrote (docs/artifacts.md); `GET /v1/artifacts/{id}` downloads it. */
export type Artifact = Schemas['Artifact'];
export type Workflow = Schemas['Workflow'];
export type WorkflowSummary = Schemas['WorkflowSummary'];
export type WorkflowRegistered = Schemas['WorkflowRegistered'];
/** What `POST /v1/workflows/validate` answers: `valid`, the `problems`, and for a valid spec its compiled graph. */
export type WorkflowValidation = Schemas['WorkflowValidation'];
export type DeadLetter = Schemas['DeadLetter'];
export type Schedule = Schemas['Schedule'];
export type Worker = Schemas['Worker'];
export type Secret = ResponseBody<'/v1/secrets', 'get'>['items'][number];
export type Skill = ResponseBody<'/v1/skills', 'get'>['items'][number];
/** An API key as listed (never the key itself). */
export type ApiKey = ResponseBody<'/v1/api-keys', 'get'>['items'][number];
/** The answer to creating an API key: the only time the key itself is shown. */
export type CreatedApiKey = ResponseBody<'/v1/api-keys', 'post'>;
export type AuditRow = ResponseBody<'/v1/audit', 'get'>['items'][number];
export type Stats = ResponseBody<'/v1/stats', 'get'>;

// ---- errors ----

/** An error answered by the API, as an Error. */
export class OpenClawError extends Error {
  /** The HTTP status. */
  readonly status: number;
  /** The stable code (`not_found`, `invalid_spec`, ...; docs/errors.md), or `http_<status>` for a body not in the API's shape. */
  readonly code: string;
  /** Structured context, e.g. the problems of an invalid spec with their line and column. */
  readonly details: unknown;

  constructor(status: number, error: ErrorResponse['error']) {
    super(`${error.code}: ${error.message}`);
    this.name = 'OpenClawError';
    this.status = status;
    this.code = error.code;
    this.details = error.details;
  }
}

/**
 * The `{code, message, details}` of an error response's body: the API's own, or, for a body not in
 * its shape (a proxy's page, an empty body), `http_<status>` with the start of the text.
 */
export function errorOf(status: number, body: unknown): ErrorResponse['error'] {
  const e = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  if (typeof e === 'object' && e !== null) {
    const { code, message, details } = e as { code?: unknown; message?: unknown; details?: unknown };
    return {
      code: typeof code === 'string' ? code : `http_${status}`,
      message: typeof message === 'string' ? message : '',
      ...(details === undefined ? {} : { details }),
    };
  }
  const text = typeof body === 'string' ? body.trim().slice(0, 500) : body == null ? '' : JSON.stringify(body).slice(0, 500);
  return { code: `http_${status}`, message: text || `HTTP ${status}` };
}

/** The data of a call's success, or throws an `OpenClawError`: `const run = await unwrap(api.GET('/v1/runs/{id}', ...))`. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new OpenClawError(response.status, errorOf(response.status, error));
  return data as T;
}
