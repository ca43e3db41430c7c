-- Step logs: lines a task writes (container stdout/stderr, wasm log calls, built-in task notes),
-- per attempt, capped per attempt by the worker (OPENCLAW_MAX_STEP_LOG_BYTES). Served by
-- GET /v1/runs/{id}/steps/{key}/logs. Deleted with their run.
CREATE TABLE openclaw.step_log (
  id         bigserial PRIMARY KEY,
  run_id     uuid NOT NULL REFERENCES openclaw.run (id) ON DELETE CASCADE,
  step_key   text NOT NULL,
  attempt    integer NOT NULL,
  stream     text NOT NULL CHECK (stream IN ('stdout', 'stderr', 'log')),
  message    text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX step_log_run_step_idx ON openclaw.step_log (run_id, step_key, id);
