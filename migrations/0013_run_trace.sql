-- OpenTelemetry traces (docs/operations.md, "Traces"): a run is one trace. When tracing is on
-- (OTEL_EXPORTER_OTLP_ENDPOINT), the start of a run opens its root span, a child of the caller's
-- span when the start carried a W3C `traceparent` (the API, a webhook) or of the parent run's root
-- span (a sub-workflow). Its ids are stored here, so that every later span of the run (each step
-- attempt on any worker, waits, timers, notifications) is parented explicitly on them: across
-- processes, retries and restarts, never from in-process context alone. NULL when tracing was off
-- at the start (such a run has no trace; nothing is written or read for it).
ALTER TABLE openclaw.run
  ADD COLUMN trace_id text,
  ADD COLUMN trace_span_id text,
  ADD COLUMN trace_flags smallint;

COMMENT ON COLUMN openclaw.run.trace_id IS 'The run''s trace: 32 lower-case hex digits (W3C trace-id), or NULL when untraced.';
COMMENT ON COLUMN openclaw.run.trace_span_id IS 'The run''s root span (its start): 16 lower-case hex digits, the parent of its other spans.';
COMMENT ON COLUMN openclaw.run.trace_flags IS 'The W3C trace flags of the root span (1: sampled).';
