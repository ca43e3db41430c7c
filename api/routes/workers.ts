/**
 * `GET /v1/workers` (viewer): the worker fleet. Workers are shared by every namespace (a worker runs
 * any namespace's steps), so the list is the same whichever namespace the request names; the
 * namespace is only checked against the credential, as on every route. States are judged by the
 * database clock (engine/fleet/workers.ts; docs/operations.md, "The worker fleet").
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { WORKER_STATES, type Engine, type WorkerState } from '../../engine/index.js';
import { errors, PageQuery } from '../schemas.js';

const time = Type.String({ format: 'date-time' });
const nullableTime = Type.Union([time, Type.Null()]);
const State = Type.Unsafe<WorkerState>({
  type: 'string',
  enum: [...WORKER_STATES],
  description:
    'alive: heartbeating; draining: stop requested, finishing its tasks; stale: no heartbeat within its lease TTL (killed, frozen, ' +
    'cut off); stopped: stopped gracefully.',
});

const Worker = Type.Object(
  {
    id: Type.String({ description: '`<host>:<pid>:<random>` unless the worker was given an id (`openclaw worker --id`).' }),
    host: Type.Union([Type.String(), Type.Null()]),
    pid: Type.Union([Type.Integer(), Type.Null()]),
    version: Type.Union([Type.String(), Type.Null()], { description: 'The openclaw package version the worker runs.' }),
    slots: Type.Integer({ description: 'Tasks it runs at once.' }),
    busySlots: Type.Integer({ description: 'Slots running a task at its last heartbeat (0 once stopped).' }),
    state: State,
    startedAt: time,
    lastHeartbeatAt: time,
    secondsSinceHeartbeat: Type.Number({ description: 'From the last heartbeat to the database’s now().' }),
    heartbeatTimeoutMs: Type.Integer({ description: 'The worker’s lease TTL: with no heartbeat for this long it is stale.' }),
    stopRequestedAt: nullableTime,
    stoppedAt: nullableTime,
  },
  { $id: 'Worker' },
);

export const workerRoutes: FastifyPluginAsyncTypebox<{ engine: Engine }> = async (app, { engine }) => {
  app.addSchema(Worker);
  app.get(
    '/v1/workers',
    {
      schema: {
        tags: ['workers'],
        summary: 'The worker fleet, by id, with each worker’s state',
        description:
          'Workers serve every namespace, so this list is the same in every namespace. Stopped and stale workers are listed until ' +
          'OPENCLAW_WORKER_RETENTION_HOURS (default 24) after they stopped or last heartbeat.',
        querystring: Type.Object({ ...PageQuery, state: Type.Optional(State) }),
        response: {
          200: Type.Object({ items: Type.Array(Type.Ref('Worker')), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
          ...errors(400),
        },
      },
    },
    (request) => engine.listWorkers(request.query),
  );
};
