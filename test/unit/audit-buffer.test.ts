/**
 * The audit log's write queue without a database (engine/audit/audit-log.ts): `record()` returns
 * at once, a database that hangs keeps at most AUDIT_BUFFER_ROWS rows waiting (the oldest dropped
 * and counted), a database that refuses drops and counts the rows it refused, and fields are bounded.
 */
import { describe, expect, it, vi } from 'vitest';
import { AUDIT_BUFFER_ROWS, AuditLog, type AuditEntry } from '../../engine/audit/audit-log.js';
import type { EngineCore } from '../../engine/core/engine-core.js';

const entry = (i: number): AuditEntry => ({
  principal: `key-${i}`,
  principalKind: 'api_key',
  role: 'admin',
  namespace: 'default',
  method: 'post',
  route: '/v1/workflows',
  ids: {},
  status: 201,
  clientAddress: '127.0.0.1',
  requestId: `req-${i}`,
});

function fakeCore(query: (text: string, values: unknown[]) => Promise<unknown>) {
  const log = { warn: vi.fn(), info: vi.fn(), error: vi.fn(), debug: vi.fn() };
  const core = { pool: { query }, log, config: { auditRetentionDays: 90 } } as unknown as EngineCore;
  return { core, log };
}

describe('audit write queue', () => {
  it('writes what queued meanwhile as one batch, with bounded fields', async () => {
    const batches: unknown[][][] = [];
    const { core } = fakeCore(async (_text, values) => {
      batches.push(values as unknown[][]);
      return { rowCount: (values[0] as unknown[]).length };
    });
    const audit = new AuditLog(core);
    for (let i = 0; i < 5; i++) audit.record(entry(i));
    audit.record({ ...entry(5), route: `/${'x'.repeat(5000)}`, ids: { id: 'y'.repeat(5000), n: 3 } });
    await audit.flush();
    // The first row goes at once; the ones recorded while it was being written go together.
    expect(batches.map((b) => (b[0] as unknown[]).length)).toEqual([1, 5]);
    const last = batches[1]!;
    expect((last[5] as string[])[0]).toBe('POST');
    expect((last[6] as string[])[4]!.length).toBe(200);
    expect(JSON.parse((last[7] as string[])[4]!)).toEqual({ id: 'y'.repeat(200), n: '3' });
    expect(audit.dropped).toBe(0);
  });

  it('a database that hangs keeps at most AUDIT_BUFFER_ROWS rows waiting: the oldest are dropped, counted and logged', () => {
    const { core, log } = fakeCore(() => new Promise(() => undefined));
    const audit = new AuditLog(core);
    const started = performance.now();
    // One row is being written (and hangs); the queue behind it holds AUDIT_BUFFER_ROWS.
    for (let i = 0; i < AUDIT_BUFFER_ROWS + 1 + 25; i++) audit.record(entry(i));
    expect(performance.now() - started).toBeLessThan(2_000);
    return vi.waitFor(() => {
      expect(audit.dropped).toBe(25);
      expect(log.warn).toHaveBeenCalledWith(expect.objectContaining({ dropped: 1 }), expect.stringContaining('buffer full'));
    });
  });

  it('a database that refuses: the rows are dropped and counted, and flush still returns', async () => {
    const { core, log } = fakeCore(() => Promise.reject(new Error('connect ECONNREFUSED')));
    const audit = new AuditLog(core);
    for (let i = 0; i < 4; i++) audit.record(entry(i));
    await audit.flush();
    expect(audit.dropped).toBe(4);
    expect(log.warn).toHaveBeenCalledWith(expect.objectContaining({ dropped: 1 }), expect.stringContaining('not written'));
    await audit.close();
    audit.record(entry(9));
    expect(audit.dropped).toBe(5);
  });
});
