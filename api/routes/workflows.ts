/** Workflows: register (YAML or JSON), validate without registering, list, read, archive — and start runs. */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { compileSpec, EngineError, SpecError, type Engine } from '../../engine/index.js';
import { errorHandler } from '../errors.js';
import { scopeOf } from '../namespace.js';
import { errors, PageQuery, ref, WorkflowNameParams } from '../schemas.js';

const specBodyDescription =
  'A workflow spec (see /v1/schema/workflow.json and docs/spec-reference.md), as YAML or JSON. ' +
  'Errors name the spec path with its line and column.';

/**
 * The run-start route's body limit: a run input may be up to OPENCLAW_MAX_JSON_BYTES (kept in the
 * artifact store above OPENCLAW_INLINE_JSON_BYTES: docs/artifacts.md, "Large JSON"), plus 1 MiB for
 * the rest of the body. Its own, not OPENCLAW_MAX_BODY_BYTES.
 */
export function startRunBodyLimit(maxJsonBytes: number): number {
  return maxJsonBytes + 1024 * 1024;
}

export const workflowRoutes: FastifyPluginAsyncTypebox<{ engine: Engine; yamlTypes: string[] }> = async (app, { engine, yamlTypes }) => {
  const runBodyLimit = startRunBodyLimit(engine.config.maxJsonBytes);
  const yamlBody = { schema: { type: 'string', description: specBodyDescription } };
  app.post(
    '/v1/workflows',
    {
      schema: {
        tags: ['workflows'],
        summary: 'Register a spec: a new version (201), or the existing one for the same content (200)',
        body: {
          content: {
            'application/json': { schema: { type: 'object', description: specBodyDescription } },
            ...Object.fromEntries(yamlTypes.map((t) => [t, yamlBody])),
          },
        },
        response: { 200: ref('WorkflowRegistered'), 201: ref('WorkflowRegistered'), ...errors(400, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const text = request.rawBody;
      if (text === undefined || text.trim() === '') {
        throw new EngineError('invalid_spec', 'the request body is empty; send a spec as YAML or JSON', {
          details: [{ path: '', message: 'empty body' }],
        });
      }
      const isJson = (request.headers['content-type'] ?? '').startsWith('application/json');
      const r = await scopeOf(engine, request).registerWorkflow(text, { format: isJson ? 'json' : 'yaml' });
      return reply
        .status(r.created ? 201 : 200)
        .header('location', `/v1/workflows/${encodeURIComponent(r.name)}/versions/${r.version}`)
        .send({ name: r.name, version: r.version, created: r.created, createdAt: r.createdAt.toISOString() });
    },
  );

  app.post(
    '/v1/workflows/validate',
    {
      schema: {
        tags: ['workflows'],
        summary: 'Check a spec without registering it: its problems (line and column), or its compiled graph',
        description:
          'The same checks as `POST /v1/workflows`, and nothing is stored. Always 200 for a spec, valid or not: `valid`, ' +
          'the `problems` registering would answer with (`invalid_spec` details), and for a valid spec its name, inputs ' +
          'schema, triggers and compiled graph. The web UI’s editor calls it as you type. Not audited (it changes nothing).',
        body: {
          content: {
            'application/json': { schema: { type: 'object', description: specBodyDescription } },
            ...Object.fromEntries(yamlTypes.map((t) => [t, yamlBody])),
          },
        },
        response: { 200: ref('WorkflowValidation'), ...errors(413, 415) },
      },
    },
    (request) => {
      const text = request.rawBody ?? '';
      if (text.trim() === '') return { valid: false, problems: [{ path: '', message: 'empty spec' }] };
      const isJson = (request.headers['content-type'] ?? '').startsWith('application/json');
      try {
        const { compiled } = compileSpec(text, { format: isJson ? 'json' : 'yaml' });
        return {
          valid: true,
          problems: [],
          name: compiled.name,
          description: compiled.description,
          inputs: compiled.inputs,
          graph: compiled.graph,
          triggers: compiled.triggers,
        };
      } catch (err) {
        if (err instanceof SpecError) return { valid: false, problems: err.problems };
        throw err;
      }
    },
  );

  app.get(
    '/v1/workflows',
    {
      schema: {
        tags: ['workflows'],
        summary: 'Registered workflows, by name',
        querystring: Type.Object(PageQuery),
        response: { 200: ref('WorkflowPage'), ...errors(400) },
      },
    },
    (request) => scopeOf(engine, request).queries.listWorkflows(request.query),
  );

  app.get(
    '/v1/workflows/:name',
    {
      schema: {
        tags: ['workflows'],
        summary: 'The latest version, with its spec',
        params: WorkflowNameParams,
        response: { 200: ref('Workflow'), ...errors(404) },
      },
    },
    (request) => scopeOf(engine, request).queries.getWorkflow(request.params.name),
  );

  app.get(
    '/v1/workflows/:name/versions/:version',
    {
      schema: {
        tags: ['workflows'],
        summary: 'One version, with its spec',
        params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }), version: Type.Integer({ minimum: 1 }) }),
        response: { 200: ref('Workflow'), ...errors(400, 404) },
      },
    },
    (request) => scopeOf(engine, request).queries.getWorkflow(request.params.name, request.params.version),
  );

  app.delete(
    '/v1/workflows/:name',
    {
      schema: {
        tags: ['workflows'],
        summary: 'Archive: no new runs (schedules stop); running runs finish. Registering again restores it.',
        params: WorkflowNameParams,
        response: { 204: Type.Null({ description: 'archived' }), ...errors(404) },
      },
    },
    async (request, reply) => {
      await scopeOf(engine, request).archiveWorkflow(request.params.name);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/v1/workflows/:name/runs',
    {
      schema: {
        tags: ['runs'],
        summary: 'Start a run (201); a repeated idempotency key with the same input returns the same run (200)',
        params: WorkflowNameParams,
        headers: Type.Object({
          'idempotency-key': Type.Optional(
            Type.String({ minLength: 1, maxLength: 200, description: 'Same as the body field idempotencyKey.' }),
          ),
          traceparent: Type.Optional(
            Type.String({
              description:
                'W3C trace context: with tracing on, the run’s root span is a child of this span (the run joins the caller’s trace); ' +
                'a malformed value is ignored.',
            }),
          ),
        }),
        body: Type.Optional(
          Type.Object(
            {
              input: Type.Optional(Type.Unknown({ description: 'Validated against the workflow’s `inputs` schema.' })),
              version: Type.Optional(Type.Integer({ minimum: 1, description: 'Pin a version; default the latest.' })),
              idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
              cache: Type.Optional(
                Type.Literal('refresh', {
                  description: '`refresh`: every step with `cache:` executes (no lookup) and replaces its cache entry (docs/caching.md).',
                }),
              ),
            },
            { additionalProperties: false },
          ),
        ),
        response: { 200: ref('Run'), 201: ref('Run'), ...errors(400, 404, 409, 413) },
      },
      bodyLimit: runBodyLimit,
      errorHandler: errorHandler({
        bytes: runBodyLimit,
        message:
          `request body is larger than ${runBodyLimit} bytes (a run input of at most ${engine.config.maxJsonBytes} bytes and 1 MiB more); ` +
          'raise OPENCLAW_MAX_JSON_BYTES to allow larger run inputs',
      }),
    },
    async (request, reply) => {
      const body = request.body ?? {};
      const header = request.headers['idempotency-key'];
      if (header !== undefined && body.idempotencyKey !== undefined && header !== body.idempotencyKey) {
        throw new EngineError('invalid_request', 'Idempotency-Key header and body idempotencyKey differ; send one of them', {
          details: { field: 'idempotencyKey' },
        });
      }
      const idempotencyKey = header ?? body.idempotencyKey;
      const started = await scopeOf(engine, request).startRunDetail({
        workflow: request.params.name,
        input: body.input,
        ...(body.version === undefined ? {} : { version: body.version }),
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
        ...(body.cache === undefined ? {} : { cache: body.cache }),
        ...(request.headers.traceparent === undefined ? {} : { traceparent: request.headers.traceparent }),
        trigger: { type: 'api' },
      });
      const { run } = started;
      return reply
        .status(started.created ? 201 : 200)
        .header('location', `/v1/runs/${run.id}`)
        .send(run);
    },
  );
};
