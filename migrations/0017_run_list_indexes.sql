-- The runs list (GET /v1/runs, the web UI's /runs) reads its pages newest first within a
-- namespace. Without an index in that order for each filter, a filter that matches few runs
-- (status=failed) or none (status=running, trigger=retry) read every run of the namespace before
-- answering (265 ms at 1,000,000 runs). With these, every filter the UI offers reads its first
-- page from an index in (created_at DESC, id DESC) order and stops after it (bench P8,
-- docs/benchmarks.md). created_at, workflow and the trigger never change; status already had an
-- index, so a run's status changes were not HOT updates before either.
CREATE INDEX run_ns_list_idx ON openclaw.run (namespace, created_at DESC, id DESC);
CREATE INDEX run_ns_status_list_idx ON openclaw.run (namespace, status, created_at DESC, id DESC);
CREATE INDEX run_ns_workflow_list_idx ON openclaw.run (namespace, workflow, created_at DESC, id DESC);
CREATE INDEX run_ns_trigger_list_idx ON openclaw.run (namespace, (trigger ->> 'type'), created_at DESC, id DESC);
