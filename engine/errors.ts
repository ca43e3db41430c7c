/**
 * One error model for the engine (see docs/errors.md, kept in sync by test/unit/errors-doc.test.ts).
 *
 * `EngineError` carries a stable snake_case `code`, the HTTP status the API layer maps it to,
 * optional structured `details` (for example the spec path, line and column of a compile error)
 * and the original `cause`. Task failures are a separate model: see `TaskError` below.
 */

export const ErrorCodes = {
  invalid_spec: 400,
  invalid_input: 400,
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  idempotency_key_reused: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  rate_limited: 429,
  schema_too_new: 500,
  unavailable: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export interface SpecProblem {
  /** JSON-pointer-like path into the spec, e.g. `/steps/load/needs/0`. */
  path: string;
  message: string;
  /** 1-based line and column in the YAML/JSON source, when known. */
  line?: number;
  column?: number;
}

export class EngineError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: { details?: unknown; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EngineError';
    this.code = code;
    this.status = ErrorCodes[code];
    this.details = options.details;
  }
}

/** A spec that cannot be parsed, validated or compiled. `details` lists every problem found. */
export class SpecError extends EngineError {
  readonly problems: SpecProblem[];
  constructor(problems: SpecProblem[], message?: string) {
    const first = problems[0];
    const at = first?.line ? `line ${first.line}, column ${first.column ?? 1}` : '';
    // "/steps/a (line 3, column 5)", or just "line 4, column 1" for document-level problems.
    const where = first ? (first.path ? `${first.path}${at ? ` (${at})` : ''}` : at || 'spec') : '';
    super('invalid_spec', message ?? (first ? `${where}: ${first.message}` : 'invalid spec'), { details: problems });
    this.name = 'SpecError';
    this.problems = problems;
  }
}

export class NotFoundError extends EngineError {
  constructor(what: string, id: string) {
    super('not_found', `${what} ${JSON.stringify(id)} not found`, { details: { what, id } });
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends EngineError {
  constructor(message: string, details?: unknown) {
    super('conflict', message, { details });
    this.name = 'ConflictError';
  }
}

/**
 * The failure of one task attempt: `{name, message, retryable}`. Executors throw it (or one of the
 * two subclasses); anything else thrown by a task is wrapped as a retryable `Error`.
 */
export class TaskError extends Error {
  readonly retryable: boolean;
  /** Minimum delay before the next attempt (e.g. from an HTTP Retry-After header). */
  readonly retryAfterMs: number | undefined;
  constructor(name: string, message: string, options: { retryable?: boolean; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = name;
    this.retryable = options.retryable ?? true;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** A task failure that must not be retried (goes straight to dead / catch). */
export class NonRetryableError extends TaskError {
  constructor(name: string, message: string, options: { cause?: unknown } = {}) {
    super(name, message, { ...options, retryable: false });
  }
}

/** A retryable task failure that asks for at least `retryAfterMs` before the next attempt. */
export class RetryAfterError extends TaskError {
  constructor(name: string, message: string, retryAfterMs: number, options: { cause?: unknown } = {}) {
    super(name, message, { ...options, retryable: true, retryAfterMs });
  }
}

/** The persisted shape of a step or run error. */
export interface ErrorInfo {
  name: string;
  message: string;
  attempt?: number;
  retryable?: boolean;
  /** `WorkerLost`: the workers whose leases on the step expired (oldest first), one per lost execution. */
  workers?: string[];
}

/** Normalises anything thrown by a task into the persisted error shape. */
export function toErrorInfo(err: unknown, attempt?: number): ErrorInfo {
  if (err instanceof TaskError) {
    return { name: err.name, message: err.message, retryable: err.retryable, ...(attempt === undefined ? {} : { attempt }) };
  }
  if (err instanceof Error) {
    return { name: err.name || 'Error', message: err.message, retryable: true, ...(attempt === undefined ? {} : { attempt }) };
  }
  return { name: 'Error', message: String(err), retryable: true, ...(attempt === undefined ? {} : { attempt }) };
}
