/**
 * Shared response schemas (plain JSON Schema, registered once with `$id` so the OpenAPI document
 * lists them under components) and the request schemas built with TypeBox (typed handlers).
 * Shapes follow ../shared/design/api.md; every route's response is serialised through these, so a
 * field missing here never reaches a client.
 */
import { Type } from '@fastify/type-provider-typebox';
import { RUN_STATUSES, STEP_STATUSES } from '../engine/index.js';

const nullable = (type: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ type: [type, 'null'], ...extra });
const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = nullable('string', { format: 'date-time' });
/** Any JSON value (input, output, payloads). */
const anyJson = { description: 'any JSON value' };

export const ErrorInfoSchema = {
  $id: 'ErrorInfo',
  type: ['object', 'null'],
  description: 'A step or run error: `{name, message, attempt}`.',
  properties: {
    name: { type: 'string' },
    message: { type: 'string' },
    attempt: { type: 'integer' },
    retryable: { type: 'boolean' },
  },
  additionalProperties: true,
} as const;

export const ErrorResponseSchema = {
  $id: 'ErrorResponse',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Stable snake_case code; see docs/errors.md.' },
        message: { type: 'string' },
        details: { description: 'Structured context, e.g. spec problems with path, line and column.' },
      },
    },
  },
} as const;

export const StepSchema = {
  $id: 'Step',
  type: 'object',
  required: ['key', 'name', 'status', 'attempt'],
  properties: {
    key: { type: 'string', description: 'Unique in the run: `load`, `score[3]`, `check#2`, `fan.0.a`.' },
    name: { type: 'string', description: 'The step (or qualified state) name in the spec.' },
    kind: { type: 'string' },
    status: { type: 'string', enum: [...STEP_STATUSES] },
    attempt: { type: 'integer' },
    maxAttempts: { type: 'integer' },
    input: anyJson,
    output: anyJson,
    error: { $ref: 'ErrorInfo#' },
    childRunId: nullable('string', { format: 'uuid' }),
    skipReason: nullable('string', {
      description: 'Why a DAG step was skipped: a false condition, a skipped need, or a failed need (onFailure: continue).',
    }),
    cached: {
      type: ['object', 'null'],
      description: 'Served from the step cache without executing (docs/caching.md): the source run, its step and when it succeeded.',
      required: ['runId', 'stepKey', 'at'],
      properties: { runId: { type: 'string', format: 'uuid' }, stepKey: { type: 'string' }, at: time },
    },
    startedAt: nullableTime,
    finishedAt: nullableTime,
  },
} as const;

const runProperties = {
  id: { type: 'string', format: 'uuid' },
  workflow: { type: 'string' },
  version: { type: 'integer' },
  status: { type: 'string', enum: [...RUN_STATUSES] },
  input: anyJson,
  output: anyJson,
  error: { $ref: 'ErrorInfo#' },
  trigger: { type: 'object', additionalProperties: true, description: 'How the run started, e.g. `{type: "api"}`.' },
  idempotencyKey: nullable('string'),
  parentRunId: nullable('string', { format: 'uuid' }),
  createdAt: time,
  startedAt: nullableTime,
  finishedAt: nullableTime,
  deadlineAt: nullableTime,
  traceId: nullable('string', {
    description: 'The run’s OpenTelemetry trace id (32 hex digits) when tracing was on at its start (docs/operations.md, "Traces").',
  }),
} as const;

export const ArtifactSchema = {
  $id: 'Artifact',
  type: 'object',
  description: 'A file a step wrote (docs/artifacts.md); `GET /v1/artifacts/{id}` downloads it.',
  required: ['id', 'name', 'stepKey', 'attempt', 'size', 'sha256', 'mediaType', 'createdAt', 'cachedFrom'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string', description: 'The name the step declared in `artifacts.out`.' },
    stepKey: nullable('string', { description: 'The step that wrote it.' }),
    attempt: nullable('integer', { description: 'The attempt whose completion attached it.' }),
    size: { type: 'integer', description: 'Bytes.' },
    sha256: { type: 'string', description: 'Lower-case hex SHA-256 of the bytes (also the download’s ETag).' },
    mediaType: { type: 'string' },
    createdAt: time,
    cachedFrom: nullable('string', { format: 'uuid', description: 'The artifact the step cache served this one from.' }),
  },
} as const;

export const RunSummarySchema = {
  $id: 'RunSummary',
  type: 'object',
  required: ['id', 'workflow', 'version', 'status', 'createdAt'],
  properties: runProperties,
} as const;

export const RunSchema = {
  $id: 'Run',
  type: 'object',
  required: ['id', 'workflow', 'version', 'status', 'createdAt', 'steps', 'artifacts'],
  properties: {
    ...runProperties,
    steps: { type: 'array', items: { $ref: 'Step#' } },
    artifacts: { type: 'array', items: { $ref: 'Artifact#' }, description: 'The files its steps wrote (docs/artifacts.md).' },
  },
} as const;

export const RunPageSchema = {
  $id: 'RunPage',
  type: 'object',
  required: ['items', 'nextCursor'],
  properties: { items: { type: 'array', items: { $ref: 'RunSummary#' } }, nextCursor: nullable('string') },
} as const;

export const EventSchema = {
  $id: 'RunEvent',
  type: 'object',
  required: ['id', 'type', 'createdAt'],
  properties: {
    id: { type: 'string', description: 'Increasing within a run; pass as `after` (or `Last-Event-ID`) to resume.' },
    type: { type: 'string', description: 'e.g. run.started, step.ready, step.running, step.succeeded, step.retrying, run.succeeded' },
    stepKey: nullable('string'),
    data: anyJson,
    createdAt: time,
  },
} as const;

export const EventListSchema = {
  $id: 'RunEventList',
  type: 'object',
  required: ['items', 'nextCursor'],
  properties: {
    items: { type: 'array', items: { $ref: 'RunEvent#' } },
    nextCursor: nullable('string', { description: 'More events exist: pass as `after`.' }),
  },
} as const;

export const StepLogPageSchema = {
  $id: 'StepLogPage',
  type: 'object',
  required: ['items', 'nextCursor'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'attempt', 'stream', 'message', 'createdAt'],
        properties: {
          id: { type: 'string' },
          attempt: { type: 'integer' },
          stream: { type: 'string', enum: ['stdout', 'stderr', 'log'] },
          message: { type: 'string' },
          createdAt: time,
        },
      },
    },
    nextCursor: nullable('string'),
  },
} as const;

export const WorkflowSummarySchema = {
  $id: 'WorkflowSummary',
  type: 'object',
  required: ['name', 'latestVersion', 'archived', 'createdAt', 'updatedAt'],
  properties: {
    name: { type: 'string' },
    description: nullable('string', { description: 'The latest version’s `description`.' }),
    latestVersion: { type: 'integer' },
    archived: { type: 'boolean' },
    createdAt: time,
    updatedAt: time,
  },
} as const;

export const WorkflowPageSchema = {
  $id: 'WorkflowPage',
  type: 'object',
  required: ['items', 'nextCursor'],
  properties: { items: { type: 'array', items: { $ref: 'WorkflowSummary#' } }, nextCursor: nullable('string') },
} as const;

export const WorkflowSchema = {
  $id: 'Workflow',
  type: 'object',
  required: ['name', 'version', 'latestVersion', 'archived', 'contentHash', 'spec', 'createdAt'],
  properties: {
    name: { type: 'string' },
    version: { type: 'integer' },
    latestVersion: { type: 'integer' },
    archived: { type: 'boolean' },
    contentHash: { type: 'string' },
    spec: { type: 'object', additionalProperties: true, description: 'The parsed spec (see /v1/schema/workflow.json).' },
    specText: { type: 'string', description: 'The spec exactly as registered.' },
    graph: {
      type: 'object',
      additionalProperties: true,
      description:
        'The compiled run graph (`model: "dag"` with `nodes`, or `model: "sm"` with `start` and `states`, by qualified name), ' +
        'as the engine runs it; the web UI draws runs from it.',
    },
    createdAt: time,
  },
} as const;

export const RegisteredSchema = {
  $id: 'WorkflowRegistered',
  type: 'object',
  required: ['name', 'version', 'created', 'createdAt'],
  properties: {
    name: { type: 'string' },
    version: { type: 'integer' },
    created: { type: 'boolean', description: 'false when the same content was already registered (that version is returned).' },
    createdAt: time,
  },
} as const;

export const WorkflowValidationSchema = {
  $id: 'WorkflowValidation',
  type: 'object',
  required: ['valid', 'problems'],
  properties: {
    valid: { type: 'boolean', description: 'Whether `POST /v1/workflows` would accept this spec.' },
    problems: {
      type: 'array',
      description: 'Every problem found (empty when valid), as `invalid_spec` details would list them.',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: {
          path: { type: 'string', description: 'JSON pointer into the spec, e.g. `/steps/load/needs/0`.' },
          message: { type: 'string' },
          line: { type: 'integer', description: '1-based, when known.' },
          column: { type: 'integer', description: '1-based, when known.' },
        },
      },
    },
    name: { type: 'string', description: 'The workflow name (when valid).' },
    description: nullable('string'),
    inputs: nullable('object', { additionalProperties: true, description: 'The `inputs` JSON Schema, if any.' }),
    graph: {
      type: 'object',
      additionalProperties: true,
      description: 'The compiled run graph (when valid), as `GET /v1/workflows/{name}` returns it.',
    },
    triggers: { type: 'array', items: { type: 'object', additionalProperties: true }, description: 'The compiled triggers.' },
  },
} as const;

export const DeadLetterSchema = {
  $id: 'DeadLetter',
  type: 'object',
  required: ['id', 'runId', 'stepKey', 'workflow', 'attempts', 'createdAt'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    runId: { type: 'string', format: 'uuid' },
    stepKey: { type: 'string' },
    workflow: { type: 'string' },
    error: { $ref: 'ErrorInfo#' },
    errors: { type: 'array', items: { $ref: 'ErrorInfo#' }, description: 'Every attempt’s error, oldest first.' },
    attempts: { type: 'integer' },
    createdAt: time,
    replayedAt: nullableTime,
  },
} as const;

export const DeadLetterPageSchema = {
  $id: 'DeadLetterPage',
  type: 'object',
  required: ['items', 'nextCursor'],
  properties: { items: { type: 'array', items: { $ref: 'DeadLetter#' } }, nextCursor: nullable('string') },
} as const;

export const sharedSchemas = [
  ErrorInfoSchema,
  ErrorResponseSchema,
  StepSchema,
  ArtifactSchema,
  RunSummarySchema,
  RunSchema,
  RunPageSchema,
  EventSchema,
  EventListSchema,
  StepLogPageSchema,
  WorkflowSummarySchema,
  WorkflowPageSchema,
  WorkflowSchema,
  RegisteredSchema,
  WorkflowValidationSchema,
  DeadLetterSchema,
  DeadLetterPageSchema,
];

export const ref = (id: string): { $ref: string } => ({ $ref: `${id}#` });

/** Error responses a route documents, by status. */
export function errors(...statuses: number[]): Record<number, { $ref: string }> {
  return Object.fromEntries(statuses.map((s) => [s, ref('ErrorResponse')]));
}

// ---- request schemas (TypeBox: typed handlers) ----

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'Page size (1–500).' })),
  cursor: Type.Optional(Type.String({ maxLength: 512, description: 'The `nextCursor` of the previous page.' })),
};

export const RunIdParams = Type.Object({ id: Type.String({ format: 'uuid', description: 'Run id' }) });
export const WorkflowNameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) });
