/** Runs: list, view with steps, history (and following it live), step logs, cancel, retry, signals. */
import { setTimeout as delay } from 'node:timers/promises';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RUN_STATUSES, TERMINAL_RUN_STATUSES, type Engine, type NamespaceScope } from '../../engine/index.js';
import { scopeOf } from '../namespace.js';
import { errors, PageQuery, ref, RunIdParams } from '../schemas.js';

const TERMINAL = new Set<string>(TERMINAL_RUN_STATUSES);
const EVENT_ID = '^[0-9]{1,19}$';
/** Comment lines keep idle streams open through proxies. */
const KEEPALIVE_MS = 15_000;

export const runRoutes: FastifyPluginAsyncTypebox<{ engine: Engine; followPollMs: number }> = async (app, { engine, followPollMs }) => {
  // Open event streams end when the server closes (they would otherwise hold close() open).
  const streams = new Set<() => void>();
  app.addHook('preClose', (done) => {
    for (const stop of streams) stop();
    done();
  });
  app.get(
    '/v1/runs',
    {
      schema: {
        tags: ['runs'],
        summary: 'Runs, newest first (stable cursor pagination)',
        querystring: Type.Object({
          ...PageQuery,
          workflow: Type.Optional(Type.String({ maxLength: 200 })),
          status: Type.Optional(Type.Union(RUN_STATUSES.map((s) => Type.Literal(s)))),
          trigger: Type.Optional(
            Type.String({ pattern: '^[a-z]{1,32}$', description: 'The trigger type: api, cron, webhook, parent, retry, signal.' }),
          ),
          since: Type.Optional(Type.String({ format: 'date-time', description: 'Created at or after this time (ISO 8601).' })),
          until: Type.Optional(Type.String({ format: 'date-time', description: 'Created before this time (ISO 8601).' })),
          idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The run started with this key.' })),
        }),
        response: { 200: ref('RunPage'), ...errors(400) },
      },
    },
    (request) => scopeOf(engine, request).queries.listRuns(request.query),
  );

  app.get(
    '/v1/runs/:id',
    {
      schema: {
        tags: ['runs'],
        summary: 'One run with every step',
        params: RunIdParams,
        response: { 200: ref('Run'), ...errors(400, 404) },
      },
    },
    (request) => scopeOf(engine, request).queries.getRun(request.params.id),
  );

  app.get(
    '/v1/runs/:id/events',
    {
      schema: {
        tags: ['runs'],
        summary: 'The run’s ordered history; with follow=1 a server-sent event stream that ends when the run does',
        description:
          'With `follow=1` the response is `text/event-stream`: one message per history event (`id:` event id, `event:` type, ' +
          '`data:` the event as JSON), then `event: end` with the final run status once the run is terminal. ' +
          'Reconnect with `Last-Event-ID` (or `after`) to resume without gaps or repeats.',
        params: RunIdParams,
        querystring: Type.Object({
          after: Type.Optional(Type.String({ pattern: EVENT_ID, description: 'Only events after this event id (a `nextCursor`).' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 10_000, description: 'Events per page (JSON).' })),
          follow: Type.Optional(
            Type.Union([Type.Literal('1'), Type.Literal('true'), Type.Literal('0'), Type.Literal('false')], {
              description: 'Stream events live (server-sent events): 1 or true.',
            }),
          ),
        }),
        headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ pattern: EVENT_ID })) }),
        response: {
          200: {
            description: 'The history (JSON), or a live stream (text/event-stream) with follow=1',
            content: {
              'application/json': { schema: ref('RunEventList') },
              'text/event-stream': { schema: { type: 'string' } },
            },
          },
          ...errors(400, 404),
        },
      },
    },
    async (request, reply) => {
      const after = request.headers['last-event-id'] ?? request.query.after;
      const { queries } = scopeOf(engine, request);
      if (request.query.follow === '1' || request.query.follow === 'true')
        return follow(queries, request, reply, { runId: request.params.id, after, pollMs: followPollMs, streams });
      const { items, nextCursor } = await queries.getEvents(request.params.id, {
        ...(after === undefined ? {} : { after }),
        ...(request.query.limit === undefined ? {} : { limit: request.query.limit }),
      });
      return { items, nextCursor };
    },
  );

  app.get(
    '/v1/runs/:id/steps/:key/logs',
    {
      schema: {
        tags: ['runs'],
        summary: 'A step’s log lines (what its task printed), oldest first',
        description: 'JSON `{items, nextCursor}` by default; plain text lines with `Accept: text/plain`.',
        params: Type.Object({ id: Type.String({ format: 'uuid' }), key: Type.String({ minLength: 1, maxLength: 500 }) }),
        querystring: Type.Object({
          attempt: Type.Optional(Type.Integer({ minimum: 1, description: 'Only this attempt.' })),
          cursor: Type.Optional(Type.String({ pattern: EVENT_ID, description: 'The `nextCursor` of the previous page.' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 })),
        }),
        response: {
          200: {
            description: 'Log lines',
            content: { 'application/json': { schema: ref('StepLogPage') }, 'text/plain': { schema: { type: 'string' } } },
          },
          ...errors(400, 404),
        },
      },
    },
    async (request, reply) => {
      const { attempt, cursor, limit } = request.query;
      const page = await scopeOf(engine, request).queries.getStepLogs(request.params.id, request.params.key, {
        ...(attempt === undefined ? {} : { attempt }),
        ...(cursor === undefined ? {} : { after: cursor }),
        ...(limit === undefined ? {} : { limit }),
      });
      const accept = request.headers.accept ?? '';
      if (accept.includes('text/plain') && !accept.includes('application/json')) {
        const text = page.items.map((l) => `${l.createdAt} [${l.attempt}] ${l.stream}: ${l.message}\n`).join('');
        return reply.type('text/plain; charset=utf-8').send(text);
      }
      return page;
    },
  );

  const runAction = (path: string, summary: string, act: (scope: NamespaceScope, id: string) => Promise<unknown>): void => {
    app.post(
      path,
      {
        schema: { tags: ['runs'], summary, params: RunIdParams, response: { 202: ref('Run'), ...errors(400, 404, 409) } },
      },
      async (request, reply) => {
        const scope = scopeOf(engine, request);
        await act(scope, request.params.id);
        return reply.status(202).send(await scope.queries.getRun(request.params.id));
      },
    );
  };
  runAction('/v1/runs/:id/cancel', 'Cancel: active steps are cancelled and running tasks told to stop', (scope, id) => scope.cancelRun(id));
  runAction('/v1/runs/:id/retry', 'Run the failed, dead or cancelled steps again; succeeded outputs are kept', (scope, id) =>
    scope.retryRun(id),
  );

  app.post(
    '/v1/runs/purge',
    {
      schema: {
        tags: ['runs'],
        summary: 'Delete (or count, dryRun) the runs of this namespace that finished before a time (admin)',
        description:
          'Runs that finished before `before`, whatever their retention, with their steps, attempts, history, logs, signals, ' +
          'dead letters and webhook delivery and cron fire records. Never an active run nor the parent of one; a child run ' +
          'goes with its root run (and `workflow` selects root runs). At most `limit` runs, and about 10 s, per call, in small ' +
          'batches at the retention rate: `more: true` means call again. See docs/operations.md, "Retention".',
        body: Type.Object(
          {
            before: Type.String({ format: 'date-time', description: 'Runs that finished before this time (ISO 8601).' }),
            workflow: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Only the runs of this workflow.' })),
            dryRun: Type.Optional(Type.Boolean({ default: false, description: 'Count what would be deleted; delete nothing.' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 10_000, description: 'Runs deleted per call.' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            dryRun: Type.Boolean(),
            deleted: Type.Optional(Type.Integer({ description: 'Runs deleted (child runs included).' })),
            more: Type.Optional(Type.Boolean({ description: 'Runs are left past `limit`: call again.' })),
            wouldDelete: Type.Optional(Type.Integer({ description: 'dryRun: the runs a purge would delete now.' })),
          }),
          ...errors(400),
        },
      },
    },
    async (request) => {
      const { before, workflow, dryRun = false, limit } = request.body;
      const result = await scopeOf(engine, request).purgeRuns({
        before: new Date(before),
        ...(workflow === undefined ? {} : { workflow }),
        dryRun,
        ...(limit === undefined ? {} : { limit }),
      });
      return { dryRun, ...result };
    },
  );

  app.post(
    '/v1/runs/:id/signals/:name',
    {
      schema: {
        tags: ['runs'],
        summary: 'Deliver a signal to a `wait: {signal}` (buffered until one waits)',
        params: Type.Object({ id: Type.String({ format: 'uuid' }), name: Type.String({ minLength: 1, maxLength: 200 }) }),
        body: Type.Optional(Type.Object({ payload: Type.Optional(Type.Unknown()) }, { additionalProperties: false })),
        response: {
          202: Type.Object({
            runId: Type.String({ format: 'uuid' }),
            signal: Type.String(),
            delivered: Type.Boolean({ description: 'true when a waiting step consumed it now; false when it is buffered' }),
          }),
          ...errors(400, 404, 409, 413),
        },
      },
    },
    async (request, reply) => {
      const { delivered } = await scopeOf(engine, request).signalRun(request.params.id, request.params.name, request.body?.payload);
      return reply.status(202).send({ runId: request.params.id, signal: request.params.name, delivered });
    },
  );
};

/**
 * Server-sent events: history so far, then new events as they commit (polled from the indexed
 * history, every `pollMs`), and an `end` message once the run is terminal. The status is read
 * before the events, so when it is terminal the events read after it include the final one.
 */
async function follow(
  queries: NamespaceScope['queries'],
  request: FastifyRequest,
  reply: FastifyReply,
  opts: { runId: string; after: string | undefined; pollMs: number; streams: Set<() => void> },
): Promise<FastifyReply> {
  const { runId, after, pollMs, streams } = opts;
  // 404 before the stream starts; the status is read before the events (see getEvents).
  let batch = await queries.getEvents(runId, after === undefined ? {} : { after });
  const res = reply.raw;
  reply.hijack();
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': String(request.id),
  });
  let closed = false;
  const wake = new AbortController();
  const stop = (): void => {
    closed = true;
    wake.abort();
  };
  request.raw.on('close', stop);
  streams.add(stop);
  let cursor = after;
  let lastWrite = Date.now();
  try {
    res.write(`retry: 1000\n\n`);
    while (!closed) {
      for (const e of batch.items) {
        res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
        cursor = e.id;
        lastWrite = Date.now();
      }
      if (TERMINAL.has(batch.status) && batch.nextCursor === null) {
        res.write(`event: end\ndata: ${JSON.stringify({ runId, status: batch.status })}\n\n`);
        break;
      }
      if (Date.now() - lastWrite > KEEPALIVE_MS) {
        res.write(': keep-alive\n\n');
        lastWrite = Date.now();
      }
      // A full page means more is already there: read on without waiting.
      if (batch.nextCursor === null) await delay(pollMs, undefined, { signal: wake.signal }).catch(() => undefined);
      if (closed) break;
      batch = await queries.getEvents(runId, cursor === undefined ? {} : { after: cursor });
    }
  } catch (err) {
    request.log.warn({ err, runId }, 'event stream stopped');
    if (!closed) res.write(`event: error\ndata: ${JSON.stringify({ message: 'stream interrupted; reconnect with Last-Event-ID' })}\n\n`);
  } finally {
    streams.delete(stop);
    res.end();
  }
  return reply;
}
