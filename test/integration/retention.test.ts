/**
 * Run retention (engine/runs/retention.ts): a pass deletes exactly the finished runs past their
 * retention (workflow `retention:` > namespace > global), with every row that hangs off them, and
 * never an active run, the parent of an active run, or a child run on its own.
 */
import { describe, expect, it } from 'vitest';
import { engineCore } from '../../engine/engine.js';
import { pruneRuns } from '../../engine/runs/retention.js';
import { fireDueSchedules } from '../../engine/triggers/cron-fire.js';
import { sign } from '../../engine/triggers/signature.js';
import { generateMasterKey } from '../../engine/index.js';
import { query, useEngine, waitFor, waitForRun, waitForStatus } from '../helpers/engine.js';
import { age, allRunIds, dependents } from '../helpers/retention.js';

const t = useEngine('retention', {
  slots: 4,
  config: {
    secretKey: generateMasterKey(),
    runRetentionDays: 30,
    runRetentionByNamespace: 'team-a=7d,team-b=0',
    // Several batches, no pauses: the pass must find every candidate across batches.
    runRetentionBatchSize: 2,
    runRetentionRate: 0,
  },
});

const SPECS = {
  ok: 'name: ok\nsteps:\n  a: { run: log, with: { message: hello } }\n  b: { needs: [a], run: noop }\n',
  bad: 'name: bad\nsteps:\n  a: { run: fail, with: { error: Boom } }\n',
  gate: 'name: gate\nstart: w\nstates:\n  w: { wait: { signal: go }, next: done }\n  done: { succeed: true }\n',
  single:
    'name: single\nconcurrency: { limit: 1 }\nstart: w\nstates:\n  w: { wait: { signal: go }, next: done }\n  done: { succeed: true }\n',
  slow: 'name: slow\nsteps:\n  a: { run: sleep, with: { ms: 600000 } }\n',
  'parent-ok': 'name: parent-ok\nstart: c\nstates:\n  c: { workflow: { name: ok }, end: true }\n',
  'parent-gate': 'name: parent-gate\nstart: c\nstates:\n  c: { workflow: { name: gate }, end: true }\n',
  short: 'name: short\nretention: 1d\nsteps:\n  a: { run: noop }\n',
  long: 'name: long\nretention: 90d\nsteps:\n  a: { run: noop }\n',
  forever: 'name: forever\nretention: 0\nsteps:\n  a: { run: noop }\n',
  month: 'name: month\nretention: 30d\nsteps:\n  a: { run: noop }\n',
  triggered:
    'name: triggered\ntriggers:\n  - cron: "* * * * * *"\n  - webhook: { name: h, secret: HOOK_SECRET }\nsteps:\n  a: { run: noop }\n',
};
const HOOK_SECRET = 'retention-hook-secret-0123456789';

describe('run retention', () => {
  it('deletes exactly the finished runs past their retention, with their rows; keeps active runs and their parents', async () => {
    const e = t.engine;
    const teamA = e.inNamespace('team-a');
    const teamB = e.inNamespace('team-b');
    for (const spec of Object.values(SPECS)) await e.registerWorkflow(spec);
    for (const name of ['ok', 'month']) await teamA.registerWorkflow(SPECS[name as 'ok']);
    await teamB.registerWorkflow(SPECS.ok);
    await e.putSecret('HOOK_SECRET', HOOK_SECRET);

    type Scope = typeof teamA;
    const start = async (workflow: string, scope: Scope = e): Promise<string> => (await scope.startRun({ workflow })).runId;
    const finished = async (id: string, status = 'succeeded', scope: Scope = e): Promise<string> => {
      const run = await waitFor(async () => {
        const r = await scope.queries.getRun(id);
        return ['succeeded', 'failed', 'cancelled'].includes(r.status) ? r : null;
      });
      expect(run.status, id).toBe(status);
      return id;
    };

    // Finished runs of the default namespace (global retention 30 days).
    const okOld = await finished(await start('ok'));
    const okYoung = await finished(await start('ok'));
    const okNow = await finished(await start('ok'));
    const badOld = await finished(await start('bad'), 'failed');
    // A replayed (resolved) dead letter: the replay fails again and writes a second one.
    const [dl] = (await e.queries.listDeadLetters({})).items;
    await e.replayDeadLetter(String(dl!.id));
    await waitFor(async () => (await query(e, 'SELECT 1 FROM openclaw.dead_letter WHERE run_id = $1', [badOld])).length === 2);
    await finished(badOld, 'failed');
    // Cancelled with a buffered signal.
    const cancelledOld = await start('gate');
    await waitForStatus(e, cancelledOld, 'waiting');
    await e.signalRun(cancelledOld, 'other', { n: 1 });
    await e.cancelRun(cancelledOld);
    await finished(cancelledOld, 'cancelled');

    // Active runs, old: waiting, queued, running.
    const waiting = await start('gate');
    await waitForStatus(e, waiting, 'waiting');
    const singleWaiting = await start('single');
    await waitForStatus(e, singleWaiting, 'waiting');
    const queued = await start('single');
    await waitForStatus(e, queued, 'queued');
    const running = await start('slow');
    await waitFor(async () => (await query(e, "SELECT 1 FROM openclaw.step WHERE run_id = $1 AND status = 'running'", [running])).length);
    expect((await e.queries.getRun(running)).status).toBe('running');

    // Run trees: finished parent + finished child (both go); a young parent with an old child (both stay);
    // a finished parent whose child is active again (retried): both stay.
    const parentOld = await finished(await start('parent-ok'));
    const parentYoung = await finished(await start('parent-ok'));
    const parentOfActive = await start('parent-gate');
    const childOf = async (id: string): Promise<string> =>
      (await query<{ id: string }>(e, 'SELECT id FROM openclaw.run WHERE parent_run_id = $1', [id]))[0]!.id;
    const childOld = await childOf(parentOld);
    const childOfYoung = await childOf(parentYoung);
    const activeChild = await waitFor(
      async () => (await query<{ id: string }>(e, 'SELECT id FROM openclaw.run WHERE parent_run_id = $1', [parentOfActive]))[0]?.id,
    );
    await waitForStatus(e, activeChild, 'waiting');
    await e.cancelRun(parentOfActive);
    await finished(activeChild, 'cancelled');
    await e.retryRun(activeChild);
    await waitForStatus(e, activeChild, 'waiting');
    expect((await e.queries.getRun(parentOfActive)).status).toBe('cancelled');

    // Workflow retention wins over the global one.
    const shortOld = await finished(await start('short'));
    const longOld = await finished(await start('long'));
    const foreverOld = await finished(await start('forever'));
    // Namespace retention: team-a 7 days (a workflow's own retention still wins), team-b forever.
    const teamAOld = await finished(await start('ok', teamA), 'succeeded', teamA);
    const teamAMonth = await finished(await start('month', teamA), 'succeeded', teamA);
    const teamBOld = await finished(await start('ok', teamB), 'succeeded', teamB);

    // A cron tick's run and a webhook delivery's run: their fire and delivery records go with them.
    const core = engineCore(e);
    await waitFor(async () => (await fireDueSchedules(core)).fired > 0);
    const [schedule] = (await e.listSchedules({ workflow: 'triggered' })).items;
    await e.pauseSchedule(schedule!.id);
    const cronRuns = (await query<{ run_id: string }>(e, 'SELECT run_id FROM openclaw.schedule_fire WHERE run_id IS NOT NULL')).map(
      (r) => r.run_id,
    );
    const body = Buffer.from('{"x":1}');
    const ts = Math.floor(Date.now() / 1000);
    const hook = await e.deliverWebhook({
      workflow: 'triggered',
      hook: 'h',
      body,
      headers: { 'x-openclaw-signature': `t=${ts},v1=${sign(HOOK_SECRET, ts, body)}`, 'x-openclaw-delivery': 'd-1' },
    });
    for (const id of [...cronRuns, hook.runId]) await finished(id);

    await age(
      e,
      [okOld, badOld, cancelledOld, parentOld, childOld, childOfYoung, parentOfActive, longOld, ...cronRuns, hook.runId],
      '40 days',
    );
    await age(e, [waiting, singleWaiting, queued, running, foreverOld, teamBOld, activeChild], '400 days');
    await age(e, [okYoung, teamAOld, teamAMonth], '10 days');
    await age(e, [shortOld], '2 days');

    const everything = await allRunIds(e);
    const before = await dependents(e, everything);
    expect(before[okOld]).toMatchObject({ step: 2, step_attempt: 2, step_log: 1 });
    expect(before[badOld]).toMatchObject({ dead_letter: 2 });
    expect(before[cancelledOld]).toMatchObject({ signal: 1 });
    expect(before[hook.runId]).toMatchObject({ webhook_delivery: 1 });
    expect(before[cronRuns[0]!]).toMatchObject({ schedule_fire: 1 });

    const report = await pruneRuns(core);
    const deleted = [okOld, badOld, cancelledOld, parentOld, childOld, shortOld, teamAOld, ...cronRuns, hook.runId];
    const kept = everything.filter((id) => !deleted.includes(id));
    expect(report).toMatchObject({ deleted: deleted.length, more: false });
    expect(report.batches).toBeGreaterThan(1);
    expect(await allRunIds(e)).toEqual([...kept].sort());
    for (const id of [okNow, okYoung, waiting, singleWaiting, queued, running, parentYoung, childOfYoung, parentOfActive, activeChild]) {
      expect(kept).toContain(id);
    }
    for (const id of [longOld, foreverOld, teamAMonth, teamBOld]) expect(kept).toContain(id);

    // Everything that hung off the deleted runs is gone; the kept runs' rows are untouched.
    const after = await dependents(e, everything);
    for (const id of deleted) expect(after[id], id).toEqual({});
    for (const id of kept) expect(after[id], id).toEqual(before[id]);
    expect(await query(e, 'SELECT 1 FROM openclaw.dead_letter WHERE run_id <> ALL($1::uuid[])', [kept])).toEqual([]);

    // A second pass finds nothing; the active runs still move on.
    expect(await pruneRuns(core)).toMatchObject({ deleted: 0 });
    await e.signalRun(waiting, 'go');
    await finished(waiting);
  });

  it('the scheduler leader runs retention in the background', async () => {
    const e = t.engine;
    const { runId } = await e.startRun({ workflow: 'ok' });
    await waitForRun(e, runId);
    await age(e, [runId], '31 days');
    const scheduler = e.createScheduler({ retentionIntervalMs: 100 });
    scheduler.start();
    try {
      await waitFor(async () => (await query(e, 'SELECT 1 FROM openclaw.run WHERE id = $1', [runId])).length === 0);
    } finally {
      await scheduler.stop();
    }
  });
});
