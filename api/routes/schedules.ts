/** Cron schedules: one per cron trigger of each workflow's latest spec; list, pause, resume (docs/schedules.md). */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Engine } from '../../engine/index.js';
import { scopeOf } from '../namespace.js';
import { errors, PageQuery } from '../schemas.js';

const time = Type.String({ format: 'date-time' });
const nullableTime = Type.Union([time, Type.Null()]);

const Schedule = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    workflow: Type.String(),
    triggerIndex: Type.Integer({ description: 'Position of the cron trigger in the spec’s `triggers:` list.' }),
    cron: Type.String({ description: '5 fields, or 6 with seconds first (cron-parser syntax).' }),
    timezone: Type.String({ description: 'IANA time zone the expression is read in.' }),
    catchUp: Type.Union([Type.Literal('none'), Type.Literal('latest'), Type.Literal('all')]),
    input: Type.Optional(Type.Unknown({ description: 'The `input` template, evaluated per tick.' })),
    paused: Type.Boolean(),
    pausedAt: nullableTime,
    archived: Type.Boolean({ description: 'The workflow is archived: no tick fires until it is registered again.' }),
    nextFireAt: Type.Union([time, Type.Null()], { description: 'The next tick (null while paused or archived).' }),
    lastFireAt: Type.Union([time, Type.Null()], { description: 'The newest tick that fired.' }),
    lastRunId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    lastError: Type.Unknown({ description: '`{fireAt, name, message}` when the newest fired tick could not start a run, else null.' }),
    skippedTicks: Type.Integer({ description: 'Due ticks never fired because of `catchUp` or OPENCLAW_CRON_MAX_CATCHUP.' }),
    lastSkip: Type.Unknown({ description: '`{count, exact, from, to, at, reason}` of the newest skip, or null.' }),
    createdAt: time,
    updatedAt: time,
  },
  { $id: 'Schedule' },
);

const IdParams = Type.Object({ id: Type.String({ format: 'uuid', description: 'Schedule id' }) });

export const scheduleRoutes: FastifyPluginAsyncTypebox<{ engine: Engine }> = async (app, { engine }) => {
  app.addSchema(Schedule);
  const ScheduleRef = Type.Ref('Schedule');

  app.get(
    '/v1/schedules',
    {
      schema: {
        tags: ['schedules'],
        summary: 'Cron schedules, by workflow then trigger position',
        querystring: Type.Object({ ...PageQuery, workflow: Type.Optional(Type.String({ maxLength: 200 })) }),
        response: {
          200: Type.Object({ items: Type.Array(ScheduleRef), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
          ...errors(400),
        },
      },
    },
    (request) => scopeOf(engine, request).listSchedules(request.query),
  );

  app.get(
    '/v1/schedules/:id',
    {
      schema: { tags: ['schedules'], summary: 'One schedule', params: IdParams, response: { 200: ScheduleRef, ...errors(400, 404) } },
    },
    (request) => scopeOf(engine, request).getSchedule(request.params.id),
  );

  app.post(
    '/v1/schedules/:id/pause',
    {
      schema: {
        tags: ['schedules'],
        summary: 'Pause: no tick fires until resumed (pausing a paused schedule changes nothing)',
        params: IdParams,
        response: { 200: ScheduleRef, ...errors(400, 404) },
      },
    },
    (request) => scopeOf(engine, request).pauseSchedule(request.params.id),
  );

  app.post(
    '/v1/schedules/:id/resume',
    {
      schema: {
        tags: ['schedules'],
        summary: 'Resume from now: the next fire is the first tick after now; ticks missed while paused are not made up',
        params: IdParams,
        response: { 200: ScheduleRef, ...errors(400, 404) },
      },
    },
    (request) => scopeOf(engine, request).resumeSchedule(request.params.id),
  );
};
