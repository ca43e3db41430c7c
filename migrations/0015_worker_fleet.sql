-- The worker fleet (docs/operations.md, "The worker fleet"; GET /v1/workers, `openclaw workers`).
-- A worker registers its row at start, its heartbeat (one UPDATE per interval, the same statement
-- that extends its leases) sets last_seen and busy_slots, a graceful stop sets stop_requested_at
-- when it stops claiming and stopped_at when it has drained. The state is derived when read, from
-- the database clock: stopped, else stale (no heartbeat within the worker's own lease TTL), else
-- draining (stop requested), else alive. Stopped and stale rows older than
-- OPENCLAW_WORKER_RETENTION_HOURS are deleted by the scheduler leader in bounded batches.
ALTER TABLE openclaw.worker
  ADD COLUMN version text,
  ADD COLUMN busy_slots integer NOT NULL DEFAULT 0,
  ADD COLUMN lease_ttl_ms integer NOT NULL DEFAULT 10000,
  ADD COLUMN stop_requested_at timestamptz;

COMMENT ON COLUMN openclaw.worker.version IS 'The openclaw package version the worker runs.';
COMMENT ON COLUMN openclaw.worker.busy_slots IS 'Slots running a task at the last heartbeat.';
COMMENT ON COLUMN openclaw.worker.lease_ttl_ms IS
  'The worker''s lease TTL: with no heartbeat for this long it is stale (its leases have expired).';
COMMENT ON COLUMN openclaw.worker.stop_requested_at IS
  'A graceful stop began: the worker claims nothing more and finishes (or hands back) its tasks.';
