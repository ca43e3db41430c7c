/** Audit log retention (engine/audit/retention.ts): bounded batches, 0 keeps everything, and the scheduler leader runs it. */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pruneAuditLog } from '../../engine/audit/retention.js';
import { engineCore } from '../../engine/engine.js';
import { query, useEngine } from '../helpers/engine.js';

const t = useEngine('auditretention');

describe('retention', () => {
  it('deletes rows older than the retention in bounded batches and keeps the rest; 0 keeps everything', async () => {
    const principal = `old-${randomUUID().slice(0, 8)}`;
    await query(
      t.engine,
      `INSERT INTO openclaw.audit_log (at, principal, method, route, status)
       SELECT now() - make_interval(days => d), $1, 'POST', '/v1/workflows', 201 FROM unnest(ARRAY[200, 120, 91, 91, 91, 89, 1]) AS d`,
      [principal],
    );
    const count = async () =>
      (await query<{ n: string }>(t.engine, 'SELECT count(*) AS n FROM openclaw.audit_log WHERE principal = $1', [principal]))[0]!.n;
    const core = engineCore(t.engine);
    expect(core.config.auditRetentionDays).toBe(90);
    expect(await pruneAuditLog(core, { retentionDays: 0 })).toBe(0);
    expect(await count()).toBe('7');
    // Two rows a batch, two batches a pass: one pass deletes four of the five old rows, the next the last.
    expect(await pruneAuditLog(core, { batchSize: 2, maxBatches: 2 })).toBe(4);
    expect(await pruneAuditLog(core, { batchSize: 2, maxBatches: 2 })).toBe(1);
    expect(await pruneAuditLog(core)).toBe(0);
    expect(await count()).toBe('2');
  });

  it('the scheduler leader prunes (its first tick, then every minute)', async () => {
    await query(
      t.engine,
      `INSERT INTO openclaw.audit_log (at, method, route, status) VALUES (now() - interval '100 days', 'POST', '/x', 201)`,
    );
    const scheduler = t.engine.createScheduler();
    try {
      expect(await scheduler.tick()).toMatchObject({ leader: true, auditPruned: 1 });
      expect(await scheduler.tick()).toMatchObject({ leader: true, auditPruned: null });
    } finally {
      await scheduler.stop();
    }
  });
});
