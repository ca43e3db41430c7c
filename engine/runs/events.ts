import type { Queryable } from '../db/pool.js';
import type { PendingEvent, TxState } from './types.js';

/** Queues one run event; all queued events are written by `flushEvents` in one statement. */
export function emit(tx: TxState, runId: string, type: string, stepKey: string | null = null, data: unknown = null): void {
  tx.events.push({ runId, stepKey, type, data });
}

/** Appends the queued events (append-only history) in one INSERT, inside the transaction. */
export async function flushEvents(db: Queryable, events: PendingEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db.query(
    `INSERT INTO openclaw.run_event (run_id, step_key, type, data)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[])`,
    [
      events.map((e) => e.runId),
      events.map((e) => e.stepKey),
      events.map((e) => e.type),
      events.map((e) => (e.data === null ? null : JSON.stringify(e.data))),
    ],
  );
  events.length = 0;
}
