/**
 * R9: cron across scheduler restarts, with scheduler processes (child processes running the
 * scheduler loop and a worker) that are killed with SIGKILL and restarted.
 *
 * - Two schedulers, the leader SIGKILLed and replaced three times while an every-second schedule
 *   runs (catchUp none, default grace): every second from the first fire to the last has exactly
 *   one schedule_fire row and exactly one run — no duplicate, no gap.
 * - All schedulers down for ~6 s, then one started (grace 1 s): `all` fires every missed tick,
 *   `none` none older than the grace window, `latest` the most recent one (unless a tick is merely
 *   late); each schedule then goes on without a gap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../engine/index.js';
import { ticksAfter } from '../../engine/triggers/cron.js';
import { createTestDb, query, type TestDb, testEngine, testPool, waitFor } from '../helpers/engine.js';
import { dbNow, killAllChildren, killChild, sleep, spawnWorker, type ChildWorker } from '../helpers/recovery.js';

let db: TestDb;
let engine: Engine;

beforeAll(async () => {
  db = await createTestDb('cron');
  // No scheduler in the test process: only the children fire.
  engine = await testEngine(db);
});

afterAll(async () => {
  await killAllChildren();
  await engine?.close();
  await db?.drop();
});

interface Fire {
  fire_at: Date;
  run_id: string | null;
  error: unknown;
  created_at: Date;
}

const scheduleOf = async (workflow: string): Promise<string> =>
  (await query<{ id: string }>(engine, 'SELECT id FROM openclaw.schedule WHERE workflow = $1', [workflow]))[0]!.id;
const firesOf = (id: string): Promise<Fire[]> =>
  query<Fire>(engine, 'SELECT fire_at, run_id, error, created_at FROM openclaw.schedule_fire WHERE schedule_id = $1 ORDER BY fire_at', [
    id,
  ]);
const secondsApart = (fs: Fire[]): number[] => fs.slice(1).map((f, i) => (f.fire_at.getTime() - fs[i]!.fire_at.getTime()) / 1000);
const BECAME_LEADER = /"msg":"scheduler: became leader"/;

/** The runs of a schedule: every fire has one, with the tick's trigger and idempotency key, and nothing else exists. */
async function expectOneRunPerFire(id: string, fs: Fire[]): Promise<void> {
  const runs = await query<{ id: string; key: string; fire: string }>(
    engine,
    `SELECT id, idempotency_key AS key, trigger->>'fireAt' AS fire FROM openclaw.run WHERE trigger->>'scheduleId' = $1`,
    [id],
  );
  expect(runs).toHaveLength(fs.length);
  const byId = new Map(runs.map((r) => [r.id, r]));
  for (const f of fs) {
    expect(f.error).toBeNull();
    const run = byId.get(f.run_id ?? '');
    expect(run, `the run of tick ${f.fire_at.toISOString()}`).toBeDefined();
    expect(run).toMatchObject({ fire: f.fire_at.toISOString(), key: `cron:${id}:${f.fire_at.toISOString()}` });
  }
}

describe('R9: cron across scheduler restarts', () => {
  it('two schedulers, the leader SIGKILLed and replaced three times: every second fires exactly once', { timeout: 120_000 }, async () => {
    let seq = 0;
    const spawn = (): Promise<ChildWorker> =>
      spawnWorker({ databaseUrl: db.url, id: `sched-${++seq}`, slots: 2, scheduler: true, logLevel: 'info' });
    const live = await Promise.all([spawn(), spawn()]);
    // Registered once both schedulers run, so the first ticks fire on time too.
    await engine.registerWorkflow(
      'name: every-second\nsteps: { a: { run: noop } }\ntriggers:\n  - { cron: "* * * * * *", catchUp: none }\n',
    );
    const id = await scheduleOf('every-second');
    const leaderLines = (c: ChildWorker): number => c.lines.filter((l) => BECAME_LEADER.test(l.text)).length;
    const kills: Date[] = [];
    for (let round = 0; round < 3; round++) {
      await sleep(2500);
      const leader = await waitFor(async () => live.find((c) => c.alive && leaderLines(c) > 0) ?? null, 10_000);
      await killChild(leader);
      kills.push(await dbNow(testPool(engine)));
      live.splice(live.indexOf(leader), 1);
      live.push(await spawn()); // the replacement starts while the survivor has taken over
    }
    // Let the last takeover catch up, then stop the schedule (its row lock waits for a pass in flight).
    const lastKill = kills[kills.length - 1]!;
    await waitFor(async () => (await firesOf(id)).some((f) => f.fire_at.getTime() >= lastKill.getTime() + 2000), 15_000, 100);
    const stoppedAt = (await engine.pauseSchedule(id)).updatedAt;
    await Promise.all(live.map((c) => killChild(c)));

    const fs = await firesOf(id);
    const span = (fs[fs.length - 1]!.fire_at.getTime() - fs[0]!.fire_at.getTime()) / 1000;
    expect(
      secondsApart(fs).filter((s) => s !== 1),
      'gaps or repeats between consecutive fires',
    ).toEqual([]);
    expect(fs).toHaveLength(span + 1);
    // The window covers every kill, and the schedule fired up to the moment it was paused.
    expect(fs[0]!.fire_at.getTime()).toBeLessThan(kills[0]!.getTime());
    expect(fs[fs.length - 1]!.fire_at.getTime()).toBeGreaterThan(stoppedAt.getTime() - 3000);
    await expectOneRunPerFire(id, fs);
    const lateness = fs.map((f) => f.created_at.getTime() - f.fire_at.getTime()).sort((a, b) => a - b);
    console.log(
      `[R9] ${fs.length} ticks over ${span + 1} s, ${kills.length} leader kills: 0 duplicates, 0 gaps; ` +
        `lateness p50 ${lateness[Math.floor(lateness.length / 2)]} ms, max ${lateness[lateness.length - 1]} ms ` +
        `(the ticks due during a takeover fire late, within the 60 s grace)`,
    );
  });

  it(
    'all schedulers down for ~6 s, then one restarted: none, latest and all fire what their policy says',
    { timeout: 120_000 },
    async () => {
      const GRACE_MS = 1000;
      const crons = { none: '* * * * * *', latest: '*/5 * * * * *', all: '* * * * * *' } as const;
      const ids: Record<string, string> = {};
      for (const [policy, cron] of Object.entries(crons)) {
        await engine.registerWorkflow(
          `name: after-${policy}\nsteps: { a: { run: noop } }\ntriggers:\n  - { cron: "${cron}", catchUp: ${policy} }\n`,
        );
        ids[policy] = await scheduleOf(`after-${policy}`);
      }
      const env = { OPENCLAW_CRON_GRACE_MS: String(GRACE_MS) };
      const first = await spawnWorker({ databaseUrl: db.url, id: 'down-1', slots: 2, scheduler: true, env });
      await waitFor(async () => {
        for (const id of Object.values(ids)) if ((await firesOf(id)).length < 2) return false;
        return true;
      }, 20_000);
      await killChild(first);
      const downAt = await dbNow(testPool(engine));
      const skippedBefore = new Map(
        (await query<{ id: string; n: string }>(engine, 'SELECT id, skipped_ticks AS n FROM openclaw.schedule')).map((r) => [
          r.id,
          Number(r.n),
        ]),
      );
      await sleep(6000);
      const second = await spawnWorker({ databaseUrl: db.url, id: 'down-2', slots: 2, scheduler: true, env });
      await waitFor(async () => (await firesOf(ids.all!)).some((f) => f.created_at.getTime() > downAt.getTime() + 9000), 20_000, 100);
      for (const id of Object.values(ids)) await engine.pauseSchedule(id);
      await killChild(second);

      for (const [policy, cron] of Object.entries(crons)) {
        const id = ids[policy]!;
        const fs = await firesOf(id);
        const before = fs.filter((f) => f.created_at.getTime() < downAt.getTime());
        const after = fs.filter((f) => f.created_at.getTime() > downAt.getTime());
        // The first pass after the restart, at database time `restart`, decided the missed ticks.
        const restart = new Date(Math.min(...after.map((f) => f.created_at.getTime())));
        const lastBefore = before[before.length - 1]!.fire_at;
        const gap = ticksAfter({ cron, timezone: 'UTC' }, lastBefore, 100).filter((t) => t.getTime() <= restart.getTime());
        const late = gap.filter((t) => t.getTime() >= restart.getTime() - GRACE_MS);
        const missed = gap.filter((t) => t.getTime() < restart.getTime() - GRACE_MS);
        const expected = policy === 'all' ? gap : late.length > 0 || policy === 'none' ? late : missed.slice(-1);
        const firedInGap = fs.filter((f) => f.fire_at > lastBefore && f.fire_at <= restart).map((f) => f.fire_at.toISOString());
        expect(missed.length, `${policy}: ticks missed while down`).toBeGreaterThanOrEqual(policy === 'latest' ? 1 : 4);
        expect(firedInGap, `${policy}: ticks fired for the downtime`).toEqual(expected.map((t) => t.toISOString()));
        // Before the kill and after the restart: no gap, no repeat.
        const period = policy === 'latest' ? 5 : 1;
        expect(
          secondsApart(before).filter((s) => s !== period),
          `${policy} before`,
        ).toEqual([]);
        const later = fs.filter((f) => f.fire_at >= restart);
        expect(
          secondsApart(later).filter((s) => s !== period),
          `${policy} after`,
        ).toEqual([]);
        if (later[0]) expect((later[0].fire_at.getTime() - restart.getTime()) / 1000).toBeLessThanOrEqual(period);
        await expectOneRunPerFire(id, fs);
        const [row] = await query<{ skipped_ticks: string }>(engine, 'SELECT skipped_ticks FROM openclaw.schedule WHERE id = $1', [id]);
        expect(Number(row!.skipped_ticks) - skippedBefore.get(id)!, `${policy}: skipped ticks`).toBe(gap.length - expected.length);
        console.log(
          `[R9] catchUp ${policy} (${cron}): ${missed.length} ticks missed while down, ${late.length} late; ` +
            `fired ${expected.length} for the downtime, skipped ${gap.length - expected.length}`,
        );
      }
    },
  );
});
