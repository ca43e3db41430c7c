/**
 * The vocabularies are defined once (engine/vocabulary/) and documented once: the history event
 * types in docs/api.md ("Run history event types") and the engine's failure names in
 * docs/errors.md ("Task failure names the engine produces"). These keep the two in step.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FAILURE_NAMES } from '../../engine/vocabulary/failures.js';
import { HISTORY_EVENT_TYPES } from '../../engine/vocabulary/history-events.js';
import { STEP_STATUSES, SQL, TERMINAL_STEP_STATUSES } from '../../engine/vocabulary/statuses.js';

const doc = (name: string): string => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');

/** The first-column names of the table under `heading` (`a` / `b` cells give both). */
function tableNames(text: string, heading: string): string[] {
  const start = text.indexOf(heading);
  expect(start, `heading ${heading}`).toBeGreaterThanOrEqual(0);
  const body = text.slice(start + heading.length);
  const end = body.search(/\n#{1,4} /);
  const rows = (end < 0 ? body : body.slice(0, end)).split('\n').filter((l) => l.startsWith('| `'));
  return rows.flatMap((r) => [...(r.split('|')[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
}

describe('vocabularies', () => {
  it('docs/api.md lists every history event type, and no other', () => {
    expect(tableNames(doc('api.md'), '### Run history event types').sort()).toEqual([...HISTORY_EVENT_TYPES].sort());
  });

  it('docs/errors.md lists every failure name the engine produces, and no other', () => {
    expect(tableNames(doc('errors.md'), '## Task failure names the engine produces').sort()).toEqual([...FAILURE_NAMES].sort());
  });

  it('keeps the status lists that partial indexes are defined on (changing one needs a migration)', () => {
    // step_ready_idx and run_active_idx / run_deadline_idx (migrations/schema.snapshot.txt): the claim
    // and the deadline and liveness queries only use them while their IN lists match.
    expect(SQL.claimableStep).toBe("'ready', 'retrying'");
    expect(SQL.activeRun).toBe("'queued', 'running', 'waiting'");
    expect(STEP_STATUSES).toEqual(expect.arrayContaining([...TERMINAL_STEP_STATUSES]));
  });
});
