-- Worker loss has its own budget (issue 9).
--
-- A lease that expires (worker killed, frozen or cut off) is not a task failure: the scheduler's
-- reaper puts the step back in the queue without spending an attempt of retry.maxAttempts (it
-- raises max_attempts by one for the lost execution), and counts the loss here. When a step has
-- lost retry.maxWorkerLosses workers (default 3) it is dead-lettered with error WorkerLost, so a
-- step that kills its worker every time still ends. A graceful hand-back (worker drain) counts
-- nothing; a run retry starts the count again at 0.
ALTER TABLE openclaw.step ADD COLUMN worker_losses integer NOT NULL DEFAULT 0;

COMMENT ON COLUMN openclaw.step.worker_losses IS
  'Expired leases (lost workers) since the step was created or last retried; dead with WorkerLost at retry.maxWorkerLosses.';
