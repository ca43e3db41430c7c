-- OpenClaw schema, version 1. Forward-only: never edit this file once it has landed; add 0002_*.sql.
-- Everything lives in schema `openclaw`; graphile-worker installs its own schema (graphile_worker).

CREATE SCHEMA IF NOT EXISTS openclaw;

CREATE TABLE openclaw.workflow (
  namespace      text NOT NULL DEFAULT 'default',
  name           text NOT NULL,
  latest_version integer NOT NULL,
  archived_at    timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (namespace, name)
);

-- Immutable once written. The same content (hash) registers once per workflow.
CREATE TABLE openclaw.workflow_version (
  id           bigserial PRIMARY KEY,
  namespace    text NOT NULL,
  name         text NOT NULL,
  version      integer NOT NULL,
  content_hash text NOT NULL,
  spec_text    text NOT NULL,
  spec         jsonb NOT NULL,
  graph        jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (namespace, name, version),
  UNIQUE (namespace, name, content_hash),
  FOREIGN KEY (namespace, name) REFERENCES openclaw.workflow (namespace, name)
);

CREATE TABLE openclaw.run (
  id              uuid PRIMARY KEY,
  namespace       text NOT NULL DEFAULT 'default',
  workflow        text NOT NULL,
  version         integer NOT NULL,
  version_id      bigint NOT NULL REFERENCES openclaw.workflow_version (id),
  status          text NOT NULL CHECK (status IN ('queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled')),
  input           jsonb,
  output          jsonb,
  error           jsonb,
  -- Idempotency: unique per namespace + workflow; input_hash tells a replay from a reuse.
  idempotency_key text,
  input_hash      text NOT NULL,
  -- What started the run: {"type":"api"|"cron"|"webhook"|"signal"|"parent", ...}.
  trigger         jsonb NOT NULL DEFAULT '{"type":"api"}',
  parent_run_id   uuid REFERENCES openclaw.run (id),
  parent_step_id  bigint,
  deadline_at     timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  started_at      timestamptz,
  finished_at     timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (namespace, workflow, idempotency_key)
);
CREATE INDEX run_list_idx ON openclaw.run (created_at DESC, id DESC);
CREATE INDEX run_workflow_status_idx ON openclaw.run (namespace, workflow, status, created_at);
CREATE INDEX run_active_idx ON openclaw.run (id) WHERE status IN ('queued', 'running', 'waiting');
CREATE INDEX run_deadline_idx ON openclaw.run (deadline_at) WHERE deadline_at IS NOT NULL AND status IN ('queued', 'running', 'waiting');
CREATE INDEX run_parent_idx ON openclaw.run (parent_run_id) WHERE parent_run_id IS NOT NULL;

-- One row per step instance (DAG node, state-machine visit, forEach item, parallel branch state).
-- It is both the run graph and the work queue.
CREATE TABLE openclaw.step (
  id               bigserial PRIMARY KEY,
  run_id           uuid NOT NULL REFERENCES openclaw.run (id) ON DELETE CASCADE,
  key              text NOT NULL,           -- unique per run: "load", "check#2", "score[3]", "fan.0.a"
  name             text NOT NULL,           -- graph node (qualified state) name
  kind             text NOT NULL,           -- task | foreach | choice | wait | parallel | workflow | succeed | fail
  status           text NOT NULL CHECK (status IN ('pending', 'ready', 'running', 'retrying', 'waiting',
                                                   'succeeded', 'skipped', 'failed', 'dead', 'cancelled')),
  attempt          integer NOT NULL DEFAULT 0,
  max_attempts     integer NOT NULL DEFAULT 1,
  lease_owner      text,
  lease_token      bigint NOT NULL DEFAULT 0,
  lease_expires_at timestamptz,
  available_at     timestamptz NOT NULL DEFAULT now(),
  deps_remaining   integer NOT NULL DEFAULT 0, -- DAG: unmet needs; foreach/parallel: unfinished children
  parent_step_id   bigint REFERENCES openclaw.step (id) ON DELETE CASCADE, -- foreach / parallel parent
  item_index       integer,                 -- forEach item index or parallel branch index
  visit            integer NOT NULL DEFAULT 1,
  input            jsonb,
  output           jsonb,
  error            jsonb,
  wait_signal      text,                    -- wait: {signal} name while waiting
  child_run_id     uuid,                    -- workflow state: the child run
  ends_scope       boolean NOT NULL DEFAULT false, -- a branch's last state (its output is the branch output)
  skip_dep         boolean NOT NULL DEFAULT false, -- DAG: a needed step was skipped and this step did not opt in
  timeout_ms       integer,
  created_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz,
  UNIQUE (run_id, key)
);
-- The claim index: only ready/retrying rows, in due order. Kept small because rows leave it on claim.
CREATE INDEX step_ready_idx ON openclaw.step (available_at, id) WHERE status IN ('ready', 'retrying');
-- Lease reaper and heartbeats.
CREATE INDEX step_running_idx ON openclaw.step (lease_expires_at) WHERE status = 'running';
CREATE INDEX step_lease_owner_idx ON openclaw.step (lease_owner) WHERE status = 'running';
-- Timers (wait for/until, signal timeouts) fired by the scheduler.
CREATE INDEX step_waiting_idx ON openclaw.step (available_at) WHERE status = 'waiting';
CREATE INDEX step_run_name_idx ON openclaw.step (run_id, name, id);
CREATE INDEX step_parent_idx ON openclaw.step (parent_step_id, item_index) WHERE parent_step_id IS NOT NULL;
CREATE INDEX step_child_run_idx ON openclaw.step (child_run_id) WHERE child_run_id IS NOT NULL;

-- History of attempts (one row per finished attempt, accepted or not).
CREATE TABLE openclaw.step_attempt (
  id          bigserial PRIMARY KEY,
  step_id     bigint NOT NULL REFERENCES openclaw.step (id) ON DELETE CASCADE,
  run_id      uuid NOT NULL,
  attempt     integer NOT NULL,
  lease_token bigint NOT NULL,
  worker      text,
  status      text NOT NULL,                -- succeeded | failed | lease_expired | released | cancelled
  error       jsonb,
  started_at  timestamptz,
  finished_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX step_attempt_step_idx ON openclaw.step_attempt (step_id, attempt);

-- Append-only history of every transition.
CREATE TABLE openclaw.run_event (
  id         bigserial PRIMARY KEY,
  run_id     uuid NOT NULL REFERENCES openclaw.run (id) ON DELETE CASCADE,
  step_key   text,
  type       text NOT NULL,
  data       jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX run_event_run_idx ON openclaw.run_event (run_id, id);

CREATE TABLE openclaw.dead_letter (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  namespace   text NOT NULL DEFAULT 'default',
  run_id      uuid NOT NULL REFERENCES openclaw.run (id) ON DELETE CASCADE,
  step_id     bigint NOT NULL REFERENCES openclaw.step (id) ON DELETE CASCADE,
  step_key    text NOT NULL,
  workflow    text NOT NULL,
  error       jsonb NOT NULL,
  errors      jsonb NOT NULL,              -- the error of every attempt, oldest first
  attempts    integer NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  replayed_at timestamptz
);
CREATE INDEX dead_letter_list_idx ON openclaw.dead_letter (namespace, created_at DESC, id);

-- Signals delivered to a run; consumed by a `wait: {signal}` state (buffered until one waits).
CREATE TABLE openclaw.signal (
  id          bigserial PRIMARY KEY,
  run_id      uuid NOT NULL REFERENCES openclaw.run (id) ON DELETE CASCADE,
  name        text NOT NULL,
  payload     jsonb,
  created_at  timestamptz NOT NULL DEFAULT now(),
  consumed_at timestamptz,
  step_id     bigint
);
CREATE INDEX signal_pending_idx ON openclaw.signal (run_id, name, id) WHERE consumed_at IS NULL;

-- The scheduler leader's heartbeat (one row). Leadership is a session advisory lock; this row lets
-- followers notice a leader that holds the lock but is frozen (SIGSTOP, blocked event loop) and
-- act anyway. That is safe because every maintenance action is ownership-conditional.
CREATE TABLE openclaw.scheduler_leader (
  id           integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  holder       text NOT NULL,
  heartbeat_at timestamptz NOT NULL
);

-- Live workers (one heartbeat statement per worker per interval).
CREATE TABLE openclaw.worker (
  id         text PRIMARY KEY,
  hostname   text,
  pid        integer,
  slots      integer NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  last_seen  timestamptz NOT NULL DEFAULT now(),
  stopped_at timestamptz
);

-- Cron schedules and their fires (used by the trigger layer; the unique key makes a tick fire once).
CREATE TABLE openclaw.schedule (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  namespace  text NOT NULL DEFAULT 'default',
  workflow   text NOT NULL,
  trigger_index integer NOT NULL,
  cron       text NOT NULL,
  timezone   text NOT NULL DEFAULT 'UTC',
  catch_up   text NOT NULL DEFAULT 'none',
  input      jsonb,
  paused     boolean NOT NULL DEFAULT false,
  next_fire_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (namespace, workflow, trigger_index)
);
CREATE TABLE openclaw.schedule_fire (
  schedule_id uuid NOT NULL REFERENCES openclaw.schedule (id) ON DELETE CASCADE,
  fire_at     timestamptz NOT NULL,
  run_id      uuid,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (schedule_id, fire_at)
);

CREATE TABLE openclaw.webhook_delivery (
  namespace   text NOT NULL DEFAULT 'default',
  workflow    text NOT NULL,
  hook        text NOT NULL,
  delivery_id text NOT NULL,
  run_id      uuid,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (namespace, workflow, hook, delivery_id)
);

CREATE TABLE openclaw.audit_log (
  id         bigserial PRIMARY KEY,
  actor      text,
  action     text NOT NULL,
  target     text,
  data       jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
