/**
 * Suspect isolation in the claim (engine/worker/claim.ts, migration 0016): a step that has lost a
 * worker (`worker_losses > 0`) is claimed by a worker only when it runs no other such step, and at
 * most one per claim, so a poison step cannot take the steps requeued beside it down again (the
 * chaos suite's R11 found healthy runs dead with WorkerLost that way). Fresh steps are claimed as
 * before, suspects or not.
 */
import { describe, expect, it } from 'vitest';
import { claimSteps } from '../../engine/worker/claim.js';
import { query, testPool, useEngine } from '../helpers/engine.js';

const t = useEngine('suspects');

describe('claiming suspect steps', () => {
  it('gives a worker at most one suspect at a time, and fresh steps as usual', async () => {
    await t.engine.registerWorkflow('name: one\nsteps:\n  s: { run: noop }\n');
    const runs: string[] = [];
    for (let i = 0; i < 5; i++) runs.push((await t.engine.startRun({ workflow: 'one' })).runId);
    // Three steps lost a worker before (requeued by the reaper), two are fresh.
    await query(t.engine, 'UPDATE openclaw.step SET worker_losses = 1 WHERE run_id = ANY($1::uuid[])', [runs.slice(0, 3)]);
    const db = testPool(t.engine);
    const suspects = new Set(runs.slice(0, 3));
    const kinds = (claimed: Array<{ run_id: string }>): string[] =>
      claimed.map((c) => (suspects.has(c.run_id) ? 'suspect' : 'fresh')).sort();

    const first = await claimSteps(db, 'w1', 10, 30_000);
    expect(kinds(first)).toEqual(['fresh', 'fresh', 'suspect']);
    // w1 holds a suspect: no other one for it, however many slots it has free.
    expect(await claimSteps(db, 'w1', 10, 30_000)).toEqual([]);
    // Another worker takes the next one, and only one.
    expect(kinds(await claimSteps(db, 'w2', 10, 30_000))).toEqual(['suspect']);
    expect(await claimSteps(db, 'w2', 10, 30_000)).toEqual([]);
    // Once w1's suspect is done, w1 may take the last one.
    await query(
      t.engine,
      `UPDATE openclaw.step SET status = 'succeeded', lease_owner = NULL WHERE lease_owner = 'w1' AND worker_losses > 0`,
    );
    expect(kinds(await claimSteps(db, 'w1', 10, 30_000))).toEqual(['suspect']);
  });
});
