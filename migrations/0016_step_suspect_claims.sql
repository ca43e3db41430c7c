-- Suspect steps are isolated (issue 14: found by the chaos suite's R11 poison scenario).
--
-- A step that has lost a worker (worker_losses > 0: its lease expired because its worker was
-- killed, froze or was cut off) may be what kills workers. The claim statement (engine/worker/claim.ts)
-- gives a worker at most one such suspect at a time, so a poison step can no longer take the
-- healthy steps that were requeued beside it down again and again until their own loss budget
-- (retry.maxWorkerLosses) runs out. Suspects are few: this partial index lets the claim find the
-- first due one without walking the whole ready queue.
CREATE INDEX step_ready_suspect_idx ON openclaw.step (available_at, id)
  WHERE status IN ('ready', 'retrying') AND worker_losses > 0;
