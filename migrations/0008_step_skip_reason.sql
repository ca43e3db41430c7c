-- DAG failure modes (issue 9): why a step was skipped is part of its record.
--
-- Set when a DAG step is skipped: "condition is false", "needs x, which was skipped", or (with
-- `onFailure: continue`) "needs x, which failed". Shown as `skipReason` in the run's steps.
ALTER TABLE openclaw.step ADD COLUMN skip_reason text;

COMMENT ON COLUMN openclaw.step.skip_reason IS
  'Why the step was skipped (DAG: a false condition, a skipped need, or a failed need under onFailure: continue).';
