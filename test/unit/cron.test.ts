/**
 * Cron maths with an injected clock (engine/triggers/cron.ts): next fire times, daylight-saving
 * changes in Europe/Berlin (2026-03-29 spring forward, 2026-10-25 fall back) and America/New_York
 * (2026-03-08, 2026-11-01), and which due ticks fire under each catch-up policy.
 */
import { describe, expect, it } from 'vitest';
import { compileSpec } from '../../engine/spec/compile.js';
import { nextFireAfter, planTicks, tickScope, ticksAfter, zonedTime, type PlanInput } from '../../engine/triggers/cron.js';
import { cronTriggersOf } from '../../engine/triggers/schedules.js';

const D = (s: string): Date => new Date(s);
const iso = (ds: Date[]): string[] => ds.map((d) => d.toISOString());
const berlin = (cron: string) => ({ cron, timezone: 'Europe/Berlin' });
const newYork = (cron: string) => ({ cron, timezone: 'America/New_York' });
/** The wall-clock times of instants in a zone. */
const local = (ds: Date[], tz: string): string[] => ds.map((d) => zonedTime(d, tz).local);
/** Ticks whose local date is `date`. */
const onLocalDate = (ds: Date[], tz: string, date: string): Date[] => ds.filter((d) => zonedTime(d, tz).date === date);

describe('next fire times', () => {
  it('reads 5 fields (minutes), 6 fields (seconds first) and names, in UTC by default', () => {
    expect(nextFireAfter({ cron: '0 2 * * *', timezone: 'UTC' }, D('2026-01-01T02:00:00Z'))?.toISOString()).toBe(
      '2026-01-02T02:00:00.000Z',
    );
    expect(iso(ticksAfter({ cron: '*/20 * * * * *', timezone: 'UTC' }, D('2026-01-01T00:00:00.500Z'), 3))).toEqual([
      '2026-01-01T00:00:20.000Z',
      '2026-01-01T00:00:40.000Z',
      '2026-01-01T00:01:00.000Z',
    ]);
    expect(nextFireAfter({ cron: '@daily', timezone: 'Europe/Berlin' }, D('2026-01-01T12:00:00Z'))?.toISOString()).toBe(
      '2026-01-01T23:00:00.000Z',
    );
  });

  it('is strictly after the given instant (a tick at exactly `after` is not next)', () => {
    const s = { cron: '* * * * * *', timezone: 'UTC' };
    expect(nextFireAfter(s, D('2026-01-01T00:00:05.000Z'))?.toISOString()).toBe('2026-01-01T00:00:06.000Z');
    expect(nextFireAfter(s, D('2026-01-01T00:00:05.999Z'))?.toISOString()).toBe('2026-01-01T00:00:06.000Z');
  });

  it('reads the expression in its time zone (09:00 Berlin is 08:00Z in winter, 07:00Z in summer)', () => {
    expect(nextFireAfter(berlin('0 9 * * *'), D('2026-01-10T00:00:00Z'))?.toISOString()).toBe('2026-01-10T08:00:00.000Z');
    expect(nextFireAfter(berlin('0 9 * * *'), D('2026-07-10T00:00:00Z'))?.toISOString()).toBe('2026-07-10T07:00:00.000Z');
  });

  it('gives `H` fields a stable value per seed', () => {
    const a = nextFireAfter({ cron: 'H H * * *', timezone: 'UTC', seed: 'schedule-a' }, D('2026-01-01T00:00:00Z'));
    expect(nextFireAfter({ cron: 'H H * * *', timezone: 'UTC', seed: 'schedule-a' }, D('2026-01-01T00:00:00Z'))).toEqual(a);
  });
});

describe('daylight saving: Europe/Berlin', () => {
  it('spring forward 2026-03-29 (02:00 -> 03:00): 02:30 does not exist and fires once, at 03:30 CEST', () => {
    const ticks = ticksAfter(berlin('30 2 * * *'), D('2026-03-27T00:00:00Z'), 4);
    expect(local(ticks, 'Europe/Berlin')).toEqual([
      '2026-03-27T02:30:00+01:00',
      '2026-03-28T02:30:00+01:00',
      '2026-03-29T03:30:00+02:00', // 01:30Z: the instant 02:30 would be in the old offset
      '2026-03-30T02:30:00+02:00',
    ]);
    expect(onLocalDate(ticks, 'Europe/Berlin', '2026-03-29')).toHaveLength(1);
  });

  it('spring forward: 02:00 fires at 03:00 CEST, the first instant after the gap; 02:00 and 03:00 together fire once', () => {
    expect(local(ticksAfter(berlin('0 2 * * *'), D('2026-03-28T12:00:00Z'), 2), 'Europe/Berlin')).toEqual([
      '2026-03-29T03:00:00+02:00',
      '2026-03-30T02:00:00+02:00',
    ]);
    const both = ticksAfter(berlin('0 2,3 * * *'), D('2026-03-28T23:00:00Z'), 3);
    expect(local(both, 'Europe/Berlin')).toEqual(['2026-03-29T03:00:00+02:00', '2026-03-30T02:00:00+02:00', '2026-03-30T03:00:00+02:00']);
  });

  it('spring forward: a next fire computed inside the gap’s shadow (03:00-03:30 CEST) skips that day’s 02:30', () => {
    // cron-parser only maps 02:30 to 03:30 when walking from before the change. The engine walks
    // from the previous tick, so a running schedule fires it; one registered, resumed or caught up
    // between 03:00 and 03:30 CEST that day does not.
    expect(zonedTime(nextFireAfter(berlin('30 2 * * *'), D('2026-03-29T00:59:00Z'))!, 'Europe/Berlin').local).toBe(
      '2026-03-29T03:30:00+02:00',
    );
    expect(zonedTime(nextFireAfter(berlin('30 2 * * *'), D('2026-03-29T01:10:00Z'))!, 'Europe/Berlin').local).toBe(
      '2026-03-30T02:30:00+02:00',
    );
  });

  it('fall back 2026-10-25 (03:00 -> 02:00): 02:30 occurs twice and fires once, at the first (CEST)', () => {
    const ticks = ticksAfter(berlin('30 2 * * *'), D('2026-10-23T12:00:00Z'), 3);
    expect(local(ticks, 'Europe/Berlin')).toEqual(['2026-10-24T02:30:00+02:00', '2026-10-25T02:30:00+02:00', '2026-10-26T02:30:00+01:00']);
    expect(onLocalDate(ticks, 'Europe/Berlin', '2026-10-25')).toHaveLength(1);
    // Walking on from between the two 02:30s does not fire the second one either.
    expect(zonedTime(nextFireAfter(berlin('30 2 * * *'), D('2026-10-25T00:45:00Z'))!, 'Europe/Berlin').local).toBe(
      '2026-10-26T02:30:00+01:00',
    );
  });

  it('01:30 on both change days is an ordinary time: once a day', () => {
    const spring = ticksAfter(berlin('30 1 * * *'), D('2026-03-28T12:00:00Z'), 2);
    const fall = ticksAfter(berlin('30 1 * * *'), D('2026-10-24T12:00:00Z'), 2);
    expect(local(spring, 'Europe/Berlin')).toEqual(['2026-03-29T01:30:00+01:00', '2026-03-30T01:30:00+02:00']);
    expect(local(fall, 'Europe/Berlin')).toEqual(['2026-10-25T01:30:00+02:00', '2026-10-26T01:30:00+01:00']);
  });

  it('hourly and stepped expressions follow elapsed time: 23 ticks on the short day, 25 on the long one, one per real hour', () => {
    const spring = ticksAfter(berlin('0 * * * *'), D('2026-03-28T22:59:00Z'), 30);
    expect(onLocalDate(spring, 'Europe/Berlin', '2026-03-29')).toHaveLength(23);
    const fall = ticksAfter(berlin('0 * * * *'), D('2026-10-24T21:59:00Z'), 30);
    const day = onLocalDate(fall, 'Europe/Berlin', '2026-10-25');
    expect(day).toHaveLength(25);
    expect(local(day, 'Europe/Berlin').slice(1, 5)).toEqual([
      '2026-10-25T01:00:00+02:00',
      '2026-10-25T02:00:00+02:00',
      '2026-10-25T02:00:00+01:00', // the repeated hour fires in both offsets: they are different instants
      '2026-10-25T03:00:00+01:00',
    ]);
    // No instant twice, always one hour apart.
    for (let i = 1; i < day.length; i++) expect(day[i]!.getTime() - day[i - 1]!.getTime()).toBe(3_600_000);
  });
});

describe('daylight saving: America/New_York', () => {
  it('spring forward 2026-03-08: 02:30 fires once, at 03:30 EDT', () => {
    const ticks = ticksAfter(newYork('30 2 * * *'), D('2026-03-07T00:00:00Z'), 3);
    expect(local(ticks, 'America/New_York')).toEqual([
      '2026-03-07T02:30:00-05:00',
      '2026-03-08T03:30:00-04:00',
      '2026-03-09T02:30:00-04:00',
    ]);
  });

  it('fall back 2026-11-01: 01:30 occurs twice and fires once, at the first (EDT)', () => {
    const ticks = ticksAfter(newYork('30 1 * * *'), D('2026-10-31T00:00:00Z'), 3);
    expect(local(ticks, 'America/New_York')).toEqual([
      '2026-10-31T01:30:00-04:00',
      '2026-11-01T01:30:00-04:00',
      '2026-11-02T01:30:00-05:00',
    ]);
    expect(onLocalDate(ticks, 'America/New_York', '2026-11-01')).toHaveLength(1);
  });
});

describe('which due ticks fire (planTicks)', () => {
  const perSecond = (over: Partial<PlanInput> = {}): PlanInput => ({
    cron: '* * * * * *',
    timezone: 'UTC',
    catchUp: 'latest',
    nextFireAt: D('2026-01-01T00:00:00Z'),
    now: D('2026-01-01T00:00:00.004Z'),
    graceMs: 3000,
    maxCatchUp: 100,
    ...over,
  });

  it('nothing before the next fire time', () => {
    const p = planTicks(perSecond({ now: D('2026-01-01T00:00:00Z'), nextFireAt: D('2026-01-01T00:00:01Z') }));
    expect(p).toMatchObject({ fire: [], skipped: 0, next: D('2026-01-01T00:00:01Z') });
  });

  it('on time: the due tick fires and the next fire is the following tick', () => {
    const p = planTicks(perSecond());
    expect(iso(p.fire)).toEqual(['2026-01-01T00:00:00.000Z']);
    expect(p).toMatchObject({ skipped: 0, skippedFrom: null, next: D('2026-01-01T00:00:01Z') });
    expect(planTicks(perSecond({ now: D('2026-01-01T00:00:00Z') })).fire).toHaveLength(1); // a tick at exactly now is due
  });

  it('late but within the grace window: every late tick fires, oldest first, under every policy', () => {
    for (const catchUp of ['none', 'latest', 'all'] as const) {
      const p = planTicks(perSecond({ catchUp, now: D('2026-01-01T00:00:02.300Z') }));
      expect(iso(p.fire), catchUp).toEqual(['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z', '2026-01-01T00:00:02.000Z']);
      expect(p.skipped).toBe(0);
      expect(p.next).toEqual(D('2026-01-01T00:00:03Z'));
    }
  });

  it('after downtime: none skips the missed ticks, latest fires the most recent, all fires every one', () => {
    // Down from 00:00 to 00:10.5 with a 3 s grace: 00:00..00:07 missed, 00:08..00:10 late.
    const at = { now: D('2026-01-01T00:00:10.500Z') };
    const none = planTicks(perSecond({ ...at, catchUp: 'none' }));
    expect(iso(none.fire)).toEqual(['2026-01-01T00:00:08.000Z', '2026-01-01T00:00:09.000Z', '2026-01-01T00:00:10.000Z']);
    expect(none).toMatchObject({
      skipped: 8,
      skippedExact: true,
      skippedFrom: D('2026-01-01T00:00:00Z'),
      skippedTo: D('2026-01-01T00:00:07Z'),
    });
    const all = planTicks(perSecond({ ...at, catchUp: 'all' }));
    expect(all.fire).toHaveLength(11);
    expect(all.skipped).toBe(0);
    // latest with ticks in the grace window fires those (the most recent tick is among them) ...
    expect(iso(planTicks(perSecond({ ...at, catchUp: 'latest' })).fire)).toEqual(iso(none.fire));
    // ... and with nothing merely late, the one most recent missed tick.
    const daily = { cron: '0 2 * * *', graceMs: 60_000, nextFireAt: D('2026-01-01T02:00:00Z'), now: D('2026-01-04T09:00:00Z') };
    const latest = planTicks(perSecond({ ...daily, catchUp: 'latest' }));
    expect(iso(latest.fire)).toEqual(['2026-01-04T02:00:00.000Z']);
    expect(latest).toMatchObject({ skipped: 3, skippedFrom: D('2026-01-01T02:00:00Z'), skippedTo: D('2026-01-03T02:00:00Z') });
    expect(planTicks(perSecond({ ...daily, catchUp: 'none' }))).toMatchObject({ fire: [], skipped: 4 });
    expect(iso(planTicks(perSecond({ ...daily, catchUp: 'all' })).fire)).toEqual([
      '2026-01-01T02:00:00.000Z',
      '2026-01-02T02:00:00.000Z',
      '2026-01-03T02:00:00.000Z',
      '2026-01-04T02:00:00.000Z',
    ]);
    expect(planTicks(perSecond({ ...daily, catchUp: 'all' })).next).toEqual(D('2026-01-05T02:00:00Z'));
  });

  it('all is bounded by maxCatchUp: the most recent ticks fire, the older ones are skipped and counted', () => {
    const p = planTicks(perSecond({ catchUp: 'all', graceMs: 0, maxCatchUp: 5, now: D('2026-01-01T00:00:59.900Z') }));
    expect(iso(p.fire)).toEqual([
      '2026-01-01T00:00:55.000Z',
      '2026-01-01T00:00:56.000Z',
      '2026-01-01T00:00:57.000Z',
      '2026-01-01T00:00:58.000Z',
      '2026-01-01T00:00:59.000Z',
    ]);
    expect(p).toMatchObject({
      skipped: 55,
      skippedExact: true,
      skippedFrom: D('2026-01-01T00:00:00Z'),
      skippedTo: D('2026-01-01T00:00:54Z'),
    });
  });

  it('a backlog too long to walk tick by tick is jumped: the same ticks fire, the skipped count becomes a lower bound', () => {
    const input = perSecond({ catchUp: 'all', graceMs: 0, now: D('2026-01-02T00:00:00.500Z') }); // a day of per-second ticks
    const t0 = performance.now();
    const p = planTicks({ ...input, scanLimit: 200 });
    expect(performance.now() - t0).toBeLessThan(5_000); // (not a benchmark: 86,400 ticks one by one would take many seconds)
    expect(p.fire).toHaveLength(100);
    expect(p.fire[0]!.toISOString()).toBe('2026-01-01T23:58:21.000Z');
    expect(p.fire[99]!.toISOString()).toBe('2026-01-02T00:00:00.000Z');
    expect(p.skippedExact).toBe(false);
    expect(p.skipped).toBeGreaterThanOrEqual(200);
    expect(p.next).toEqual(D('2026-01-02T00:00:01Z'));
  });

  it('catches up across a daylight-saving change with the same ticks as the forward walk', () => {
    const p = planTicks({
      ...berlin('30 2 * * *'),
      catchUp: 'all',
      nextFireAt: D('2026-03-28T01:30:00Z'),
      now: D('2026-03-31T12:00:00Z'),
      graceMs: 60_000,
      maxCatchUp: 100,
    });
    expect(local(p.fire, 'Europe/Berlin')).toEqual([
      '2026-03-28T02:30:00+01:00',
      '2026-03-29T03:30:00+02:00',
      '2026-03-30T02:30:00+02:00',
      '2026-03-31T02:30:00+02:00',
    ]);
    const fall = planTicks({
      ...berlin('30 2 * * *'),
      catchUp: 'all',
      nextFireAt: D('2026-10-24T00:30:00Z'),
      now: D('2026-10-26T12:00:00Z'),
      graceMs: 60_000,
      maxCatchUp: 100,
    });
    expect(local(fall.fire, 'Europe/Berlin')).toEqual([
      '2026-10-24T02:30:00+02:00',
      '2026-10-25T02:30:00+02:00',
      '2026-10-26T02:30:00+01:00',
    ]);
  });
});

describe('tick scope and trigger definitions', () => {
  it('gives the input `tick` (UTC ISO) and `schedule` with the local time and date in its zone', () => {
    const scope = tickScope(
      { id: 's1', workflow: 'report', cron: '30 2 * * *', timezone: 'Europe/Berlin', catchUp: 'latest' },
      D('2026-03-29T01:30:00Z'),
    );
    expect(scope).toEqual({
      tick: '2026-03-29T01:30:00.000Z',
      schedule: {
        id: 's1',
        workflow: 'report',
        cron: '30 2 * * *',
        timezone: 'Europe/Berlin',
        catchUp: 'latest',
        fireAt: '2026-03-29T01:30:00.000Z',
        localTime: '2026-03-29T03:30:00+02:00',
        date: '2026-03-29',
      },
    });
    expect(zonedTime(D('2026-01-01T00:00:00Z'), 'Asia/Kolkata').local).toBe('2026-01-01T05:30:00+05:30');
    expect(zonedTime(D('2026-01-01T00:00:00Z'), 'America/New_York').date).toBe('2025-12-31');
  });

  it('reads the cron triggers of a compiled spec (default UTC and catchUp latest); webhooks are not schedules', () => {
    const { compiled } = compileSpec(`
name: x
steps: { a: { run: noop } }
triggers:
  - { webhook: { name: gh } }
  - { cron: "0 2 * * *" }
  - { cron: "*/5 * * * * *", timezone: Europe/Berlin, catchUp: all, input: { at: "\${{ tick }}" } }
`);
    expect(cronTriggersOf(compiled.triggers)).toEqual([
      { index: 1, cron: '0 2 * * *', timezone: 'UTC', catchUp: 'latest', input: undefined },
      { index: 2, cron: '*/5 * * * * *', timezone: 'Europe/Berlin', catchUp: 'all', input: { at: '${{ tick }}' } },
    ]);
  });

  it('a cron trigger input may read `tick` and `schedule`, nothing else a tick does not have', () => {
    const problems = (input: string): string[] => {
      try {
        compileSpec(`name: x\nsteps: { a: { run: noop } }\ntriggers:\n  - cron: "0 2 * * *"\n    input: { v: "${input}" }\n`);
        return [];
      } catch (err) {
        return (err as { problems: Array<{ path: string; message: string }> }).problems.map((p) => `${p.path}: ${p.message}`);
      }
    };
    expect(problems('${{ tick }} ${{ schedule.date }} ${{ $now() }}')).toEqual([]);
    expect(problems('${{ body.x }}')).toEqual([
      '/triggers/0/input/v: a cron trigger input can read `tick` and `schedule` (and functions such as `$now()`), not `body`',
    ]);
    expect(problems('${{ inputs.x }}')).toEqual([expect.stringMatching(/^\/triggers\/0\/input\/v: a trigger input cannot read `inputs`/)]);
  });
});
