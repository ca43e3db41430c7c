-- Run retention (docs/operations.md, "Retention"): the scheduler leader and `POST /v1/runs/purge`
-- delete finished runs past their retention in small batches (engine/runs/retention.ts). A run is
-- deleted with everything that hangs off it: steps, attempts, history, step logs, signals and dead
-- letters by the foreign keys' ON DELETE CASCADE (0001, 0002), webhook deliveries and cron fire
-- records (no foreign key) by an explicit DELETE in the same transaction.
--
-- These indexes keep each of those deletes an index probe instead of a scan of the whole table.

-- The candidates of each (namespace, workflow), oldest first: finished runs that are not child
-- runs (a child run is deleted with its root run, never on its own).
CREATE INDEX run_retention_idx ON openclaw.run (namespace, workflow, finished_at)
  WHERE status IN ('succeeded', 'failed', 'cancelled') AND parent_run_id IS NULL;

-- ON DELETE CASCADE from run (run_id) and from step (step_id) looks dead letters up by both.
CREATE INDEX dead_letter_run_idx ON openclaw.dead_letter (run_id);
CREATE INDEX dead_letter_step_idx ON openclaw.dead_letter (step_id);

-- ON DELETE CASCADE from run: signal_pending_idx covers only unconsumed signals.
CREATE INDEX signal_run_idx ON openclaw.signal (run_id);

-- No foreign key (the delivery row is written before its run exists): deleted by run id.
CREATE INDEX webhook_delivery_run_idx ON openclaw.webhook_delivery (run_id) WHERE run_id IS NOT NULL;

-- No foreign key: a cron tick's record goes with the run it started (the schedule's next_fire_at is
-- long past it, so the tick can never fire again).
CREATE INDEX schedule_fire_run_idx ON openclaw.schedule_fire (run_id) WHERE run_id IS NOT NULL;
