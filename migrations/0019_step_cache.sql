-- Step caching (docs/caching.md): a task step with `cache:` is satisfied from an earlier succeeded
-- execution of the same workflow and step with the same key, without executing.
--
-- step_cache: one row per (namespace, workflow, step, key), in one of two states:
--   pending  a step is executing to fill it: step_id and lease_token name that attempt. While that
--            attempt still holds its lease (the step is running under that token, not expired), a
--            second step with the same key waits (handed back without spending an attempt) instead
--            of executing too. A pending row whose attempt is gone is taken over by the next miss.
--   filled   the succeeded step it serves (step_id, its run and key), written by the fenced success
--            completion (engine/runs/complete.ts) in its transaction: only a winning completion fills
--            it. It serves hits until expires_at (the database clock).
-- The row goes with its step (ON DELETE CASCADE): retention that deletes the source run deletes the
-- entry. A step served from the cache has its own artifact rows naming the same store objects, so
-- the source's deletion never breaks it (the sweep deletes only objects no artifact row names).
CREATE TABLE openclaw.step_cache (
  namespace    text NOT NULL,
  workflow     text NOT NULL,
  step_name    text NOT NULL,                    -- the node's qualified name (every visit and forEach item shares it)
  cache_key    text NOT NULL,                    -- sha256 hex of the key (engine/worker/step-cache.ts)
  state        text NOT NULL CHECK (state IN ('pending', 'filled')),
  run_id       uuid NOT NULL,                    -- the step's run (no foreign key: the step's cascade covers it)
  step_id      bigint NOT NULL REFERENCES openclaw.step (id) ON DELETE CASCADE,
  step_key     text NOT NULL,
  lease_token  bigint,                           -- pending: the owning attempt's lease token
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz,                      -- filled: hits until then
  PRIMARY KEY (namespace, workflow, step_name, cache_key),
  CHECK ((state = 'pending') = (lease_token IS NOT NULL)),
  CHECK ((state = 'filled') = (expires_at IS NOT NULL))
);
-- The cascade from a deleted step (retention deletes runs, and their steps with them).
CREATE INDEX step_cache_step_idx ON openclaw.step_cache (step_id);

-- The step's cache directive, evaluated when it becomes ready (`cache.key` hashed, `cache.refresh`),
-- null when its `cache:` has no template; and, once served from the cache, where from
-- ({runId, stepKey, at}: GET /v1/runs/{id}).
ALTER TABLE openclaw.step ADD COLUMN cache jsonb, ADD COLUMN cached_from jsonb;

-- `POST /v1/workflows/{name}/runs {"cache": "refresh"}`: every cached step of the run executes and
-- replaces its entry.
ALTER TABLE openclaw.run ADD COLUMN cache_refresh boolean NOT NULL DEFAULT false;
