/** Run history events for the web UI's pure model tests (ui/src/pages/run/history-replay.ts): numbered in order, `ms` after 2026-01-01. */
import type { RunEvent } from '../../ui/src/data/types.js';

let seq = 0;

export const historyEvent = (type: string, stepKey: string | null, ms: number, data: unknown = null): RunEvent => ({
  id: String(++seq),
  type,
  stepKey,
  data,
  createdAt: new Date(Date.UTC(2026, 0, 1) + ms).toISOString(),
});
