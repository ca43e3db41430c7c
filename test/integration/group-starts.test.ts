/**
 * Group commit on both ends of a run: concurrent starts share transactions (each start still gets
 * its own answer), and a worker claims a chain's next step in the transaction that completed the
 * previous one (it needs neither a wake-up nor its poll).
 */
import { describe, expect, it } from 'vitest';
import { ConflictError, EngineError, NotFoundError } from '../../engine/index.js';
import { query, testEngine, useEngine, waitForRun } from '../helpers/engine.js';

const t = useEngine('groupstart');

describe('concurrent starts', () => {
  it('each start gets its own answer: runs, refusals and idempotent repeats, nothing half-applied', async () => {
    await t.engine.registerWorkflow(`
name: typed
inputs: { type: object, properties: { n: { type: integer } }, required: [n] }
steps:
  a: { run: echo, with: { n: "\${{ inputs.n }}" } }
`);
    await t.engine.registerWorkflow('name: gone\nsteps:\n  a: { run: noop }\n');
    await t.engine.archiveWorkflow('gone');
    const starts = Array.from({ length: 60 }, (_, i) => {
      switch (i % 6) {
        case 0:
          return t.engine.startRun({ workflow: 'typed', input: { n: i } });
        case 1:
          return t.engine.startRun({ workflow: 'typed', input: { n: 'not a number' } });
        case 2:
          return t.engine.startRun({ workflow: 'nope' });
        case 3:
          return t.engine.startRun({ workflow: 'gone' });
        case 4:
          return t.engine.startRun({ workflow: 'typed', input: { n: 1 }, idempotencyKey: 'same-key' });
        default:
          return t.engine.startRun({ workflow: 'typed', input: { n: 2 }, idempotencyKey: 'same-key' });
      }
    });
    const settled = await Promise.allSettled(starts);
    const kinds = settled.map((s, i) => {
      if (s.status === 'fulfilled')
        return i % 6 === 0 ? (s.value.created ? 'created' : 'repeat?') : s.value.created ? 'keyed-new' : 'keyed-repeat';
      const e = s.reason as unknown;
      if (e instanceof NotFoundError) return 'not_found';
      if (e instanceof ConflictError) return 'conflict';
      if (e instanceof EngineError) return e.code;
      return `unexpected: ${String(e)}`;
    });
    expect(kinds.filter((_, i) => i % 6 === 0)).toEqual(Array(10).fill('created'));
    expect(kinds.filter((_, i) => i % 6 === 1)).toEqual(Array(10).fill('invalid_input'));
    expect(kinds.filter((_, i) => i % 6 === 2)).toEqual(Array(10).fill('not_found'));
    expect(kinds.filter((_, i) => i % 6 === 3)).toEqual(Array(10).fill('conflict'));
    // One key, two inputs: exactly one run owns it; every other start is a repeat of the same input or refused.
    const keyed = settled.filter((_, i) => i % 6 === 4 || i % 6 === 5);
    const created = keyed.filter((s) => s.status === 'fulfilled' && s.value.created);
    expect(created).toHaveLength(1);
    for (const s of keyed) {
      if (s.status === 'fulfilled') expect(s.value.runId).toBe((created[0] as PromiseFulfilledResult<{ runId: string }>).value.runId);
      else expect((s.reason as EngineError).code).toBe('idempotency_key_reused');
    }
    const rows = await query<{ workflow: string; n: number }>(
      t.engine,
      'SELECT workflow, count(*)::int AS n FROM openclaw.run GROUP BY workflow',
    );
    expect(rows).toEqual([{ workflow: 'typed', n: 11 }]);
    // Every created run has its steps and its history.
    const orphans = await query(
      t.engine,
      `SELECT r.id FROM openclaw.run r WHERE NOT EXISTS (SELECT 1 FROM openclaw.step s WHERE s.run_id = r.id)
          OR NOT EXISTS (SELECT 1 FROM openclaw.run_event e WHERE e.run_id = r.id AND e.type = 'run.created')`,
    );
    expect(orphans).toEqual([]);
  });
});

describe('the inline transition limit', () => {
  it('counts per run, not per batch: 60 concurrent starts of a 40-choice state machine all succeed', async () => {
    const states = Array.from(
      { length: 40 },
      (_, i) => `  c${i}: { choice: [{ when: "\${{ true }}", next: ${i === 39 ? 'done' : `c${i + 1}`} }] }`,
    );
    await t.engine.registerWorkflow(`name: hops\nstart: c0\nstates:\n${states.join('\n')}\n  done: { succeed: true }\n`);
    const started = await Promise.all(Array.from({ length: 60 }, () => t.engine.startRun({ workflow: 'hops' })));
    expect(started.map((s) => s.status)).toEqual(Array(60).fill('succeeded'));
  });
});

describe('claiming in the completion', () => {
  it("a chain's next step is claimed in the transaction that completes the previous one", async () => {
    const engine = await testEngine(t.db, { pollIntervalMs: 600_000 });
    try {
      await engine.registerWorkflow(
        'name: chain\nsteps:\n  a: { run: noop }\n  b: { needs: [a], run: noop }\n  c: { needs: [b], run: noop }\n',
      );
      const { runId } = await engine.startRun({ workflow: 'chain' });
      // Started after the run: its first claim (at start) takes `a`; b and c can only come from completions.
      const worker = engine.createWorker({ slots: 2, listen: false });
      await worker.start();
      try {
        const run = await waitForRun(engine, runId, 15_000);
        expect(run.status).toBe('succeeded');
        const started = await query<{ step_key: string; worker: string }>(
          engine,
          `SELECT step_key, data->>'worker' AS worker FROM openclaw.run_event WHERE run_id = $1 AND type = 'step.started' ORDER BY id`,
          [runId],
        );
        expect(started).toEqual(['a', 'b', 'c'].map((k) => ({ step_key: k, worker: worker.id })));
        // Same transaction (same xmin): b was claimed by the commit that recorded a's success, c by b's.
        const tx = await query<{ type: string; step_key: string; xid: string }>(
          engine,
          `SELECT type, step_key, xmin::text AS xid FROM openclaw.run_event
            WHERE run_id = $1 AND (type, step_key) IN (('step.succeeded', 'a'), ('step.started', 'b'), ('step.succeeded', 'b'), ('step.started', 'c'))`,
          [runId],
        );
        const xid = (type: string, key: string): string | undefined => tx.find((e) => e.type === type && e.step_key === key)?.xid;
        expect(xid('step.started', 'b')).toBe(xid('step.succeeded', 'a'));
        expect(xid('step.started', 'c')).toBe(xid('step.succeeded', 'b'));
      } finally {
        await worker.stop();
      }
    } finally {
      await engine.close();
    }
  });
});
