-- Artifacts (docs/artifacts.md): files steps produce and consume, and JSON values too large to keep
-- in a row. The bytes live in the artifact store (a directory, or an S3-compatible bucket); these
-- tables hold what PostgreSQL must know about them.
--
-- artifact_object: one row per object in the store, written BEFORE its upload starts (so the
-- store never holds an object the database does not know of, but for an upload that is still
-- running). An object nothing references is garbage: the scheduler leader deletes it from the
-- store, then its row, once it is older than the sweep grace (engine/artifacts/sweep.ts). That is
-- how a zombie attempt's upload, a rolled-back transaction's object and the objects of runs
-- deleted by retention go away.
CREATE TABLE openclaw.artifact_object (
  key          text PRIMARY KEY,                 -- the object's key in the store (unique per upload)
  namespace    text NOT NULL,
  run_id       uuid,                             -- for diagnostics; no foreign key (the run may go first)
  step_id      bigint,                           -- the attempt that uploads it, with its lease token
  lease_token  bigint,
  size         bigint,                           -- null until the upload finished
  sha256       text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  stored_at    timestamptz
);
CREATE INDEX artifact_object_created_idx ON openclaw.artifact_object (created_at);

-- artifact: an object attached to a run. A step's output artifacts are inserted by the fenced
-- completion that wins the lease (engine/runs/complete.ts), in its transaction: a zombie's upload
-- never gets a row here. kind 'json' holds a step output or run input too large to keep inline
-- (the row's JSON column then holds a reference; docs/artifacts.md "Large JSON").
CREATE TABLE openclaw.artifact (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  namespace    text NOT NULL,
  run_id       uuid NOT NULL REFERENCES openclaw.run (id) ON DELETE CASCADE,
  step_id      bigint REFERENCES openclaw.step (id) ON DELETE CASCADE, -- null: the run's input
  step_key     text,
  attempt      integer,
  name         text NOT NULL,
  kind         text NOT NULL DEFAULT 'file' CHECK (kind IN ('file', 'json')),
  object_key   text NOT NULL REFERENCES openclaw.artifact_object (key),
  size         bigint NOT NULL,
  sha256       text NOT NULL,
  media_type   text NOT NULL,
  cached_from  uuid,                             -- the artifact the step cache served this one from
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX artifact_step_name_idx ON openclaw.artifact (step_id, kind, name) WHERE step_id IS NOT NULL;
CREATE INDEX artifact_run_idx ON openclaw.artifact (run_id, created_at);
-- The sweep asks "does anything still reference this object?".
CREATE INDEX artifact_object_key_idx ON openclaw.artifact (object_key);
