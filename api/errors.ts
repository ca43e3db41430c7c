/**
 * One error shape everywhere: `{"error": {"code", "message", "details"}}` (api.md). Engine errors
 * keep their code and status; fastify's own errors (validation, body size, media type, bad JSON)
 * are mapped to the documented codes; anything unexpected is a 500 `internal` whose body carries
 * the request id and never a stack trace or SQL.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EngineError, ErrorCodes, isDatabaseUnavailable, type ErrorCode } from '../engine/index.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

const byStatus: Record<number, ErrorCode> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'invalid_request',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

interface ValidationIssue {
  instancePath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** `body/input/amount must be number` — where, then what, for every issue ajv found. */
function validationDetails(err: FastifyError): Array<{ in: string; field: string; message: string }> {
  const where = err.validationContext ?? 'request';
  return ((err.validation ?? []) as ValidationIssue[]).map((v) => {
    let field = v.instancePath.replace(/^\//, '');
    if (v.keyword === 'required' && typeof v.params.missingProperty === 'string') {
      field = field ? `${field}/${v.params.missingProperty}` : v.params.missingProperty;
    }
    if (v.keyword === 'additionalProperties' && typeof v.params.additionalProperty === 'string') {
      field = field ? `${field}/${v.params.additionalProperty}` : v.params.additionalProperty;
    }
    return { in: where, field, message: v.message ?? v.keyword };
  });
}

/** A body-size limit and, for routes with their own, the message a 413 gives. */
export interface BodyLimit {
  bytes: number;
  /** Default: names OPENCLAW_MAX_BODY_BYTES. */
  message?: string;
}

export function toErrorReply(err: unknown, limit: BodyLimit): { status: number; body: ErrorBody; log: boolean } {
  if (err instanceof EngineError) {
    return { status: err.status, body: errorBody(err.code, err.message, err.details), log: err.status >= 500 };
  }
  const fe = err as Partial<FastifyError>;
  if (fe.validation) {
    const details = validationDetails(fe as FastifyError);
    const first = details[0];
    const message = first ? `${first.in}${first.field ? `/${first.field}` : ''} ${first.message}` : 'request is not valid';
    return { status: 400, body: errorBody('invalid_request', message, details), log: false };
  }
  switch (fe.code ?? '') {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        body: errorBody(
          'payload_too_large',
          limit.message ?? `request body is larger than ${limit.bytes} bytes; raise OPENCLAW_MAX_BODY_BYTES to allow more`,
          { limit: limit.bytes },
        ),
        log: false,
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        body: errorBody('unsupported_media_type', fe.message ?? 'unsupported Content-Type', {
          accepted: ['application/json', 'application/yaml', 'text/yaml'],
        }),
        log: false,
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        status: 400,
        body: errorBody('invalid_request', 'body is empty but Content-Type is application/json; send JSON or no Content-Type'),
        log: false,
      };
    default:
      break;
  }
  if (isDatabaseUnavailable(err)) {
    return {
      status: 503,
      body: errorBody('unavailable', 'the database is unavailable (restarting, failing over or out of connections); retry shortly'),
      log: false,
    };
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    const code = byStatus[status] ?? 'invalid_request';
    // fastify's client errors (bad JSON, bad headers) carry safe messages.
    return { status, body: errorBody(code, fe.message ?? code), log: false };
  }
  return { status: 500, body: errorBody('internal', 'internal error'), log: true };
}

/** The error handler of the app, and of routes with their own body limit: one error shape, no internals. */
export function errorHandler(limit: BodyLimit) {
  return (err: unknown, request: FastifyRequest, reply: FastifyReply): void => {
    const { status, body, log } = toErrorReply(err, limit);
    if (log) {
      request.log.error({ err }, 'request failed');
      body.error.message = `internal error (request ${request.id}); see the server log`;
    }
    if (status === 503) request.log.warn({ err }, 'request failed: database unavailable');
    if ((status === 429 || status === 503) && !reply.hasHeader('retry-after')) void reply.header('retry-after', '1');
    void reply.status(status).type('application/json').send(body);
  };
}

export function installErrorHandling(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler(errorHandler({ bytes: bodyLimit }));
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(errorBody('not_found', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`)),
  );
}

// Keeps the table above honest: every mapped code exists.
for (const code of Object.values(byStatus)) if (!(code in ErrorCodes)) throw new Error(`unknown error code ${code}`);
