-- Cron schedules: what firing, pausing and the API need on top of openclaw.schedule and
-- openclaw.schedule_fire (0001). See docs/schedules.md.
--
-- Invariant: next_fire_at is NULL exactly when the schedule cannot fire — paused, its workflow
-- archived, or an expression with no further tick — so the due query reads one partial index.
-- A tick fires in one transaction: the schedule row is locked (FOR NO KEY UPDATE SKIP LOCKED), the
-- (schedule_id, fire_at) row is inserted under its primary key, the run is created with the
-- idempotency key `cron:<schedule id>:<fire ISO>`, and next_fire_at moves past the tick.
ALTER TABLE openclaw.schedule
  ADD COLUMN paused_at     timestamptz,
  ADD COLUMN last_fire_at  timestamptz,          -- the newest tick that fired (started a run or recorded an error)
  ADD COLUMN last_run_id   uuid,                 -- the run of that tick
  ADD COLUMN last_error    jsonb,                -- {fireAt, name, message} when the newest fired tick could not start a run, else NULL
  ADD COLUMN skipped_ticks bigint NOT NULL DEFAULT 0,  -- due ticks never fired (catch-up policy or bound); a lower bound after a huge backlog
  ADD COLUMN last_skip     jsonb,                -- {count, exact, from, to, at, reason} of the newest skip
  ADD CONSTRAINT schedule_catch_up_check CHECK (catch_up IN ('none', 'latest', 'all'));

-- The error of a tick that could not start a run (input expression failed, input rejected by the
-- workflow's inputs schema, ...): the tick counts as fired and is not retried.
ALTER TABLE openclaw.schedule_fire ADD COLUMN error jsonb;

-- The scheduler's due query: next_fire_at <= now() over active schedules only.
CREATE INDEX schedule_due_idx ON openclaw.schedule (next_fire_at) WHERE next_fire_at IS NOT NULL AND NOT paused;
