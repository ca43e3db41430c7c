/** Kysely table types for the read side (listings, views). The hot path uses hand-written SQL. */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json = ColumnType<unknown, string, string>;
type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface WorkflowTable {
  namespace: string;
  name: string;
  latest_version: number;
  archived_at: Timestamp | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface WorkflowVersionTable {
  id: Generated<string>;
  namespace: string;
  name: string;
  version: number;
  content_hash: string;
  spec_text: string;
  spec: Json;
  graph: Json;
  created_at: GeneratedTimestamp;
}

export interface RunTable {
  id: string;
  namespace: string;
  workflow: string;
  version: number;
  version_id: string;
  status: string;
  input: Json | null;
  output: Json | null;
  error: Json | null;
  idempotency_key: string | null;
  input_hash: string;
  trigger: Json;
  parent_run_id: string | null;
  parent_step_id: string | null;
  deadline_at: Timestamp | null;
  created_at: GeneratedTimestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  updated_at: GeneratedTimestamp;
}

export interface StepTable {
  id: Generated<string>;
  run_id: string;
  key: string;
  name: string;
  kind: string;
  status: string;
  attempt: number;
  max_attempts: number;
  lease_owner: string | null;
  lease_token: string;
  lease_expires_at: Timestamp | null;
  available_at: Timestamp;
  parent_step_id: string | null;
  item_index: number | null;
  visit: number;
  input: Json | null;
  output: Json | null;
  error: Json | null;
  child_run_id: string | null;
  created_at: GeneratedTimestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
}

export interface RunEventTable {
  id: Generated<string>;
  run_id: string;
  step_key: string | null;
  type: string;
  data: Json | null;
  created_at: GeneratedTimestamp;
}

export interface DeadLetterTable {
  id: Generated<string>;
  namespace: string;
  run_id: string;
  step_id: string;
  step_key: string;
  workflow: string;
  error: Json;
  errors: Json;
  attempts: number;
  created_at: GeneratedTimestamp;
  replayed_at: Timestamp | null;
}

export interface StepLogTable {
  id: Generated<string>;
  run_id: string;
  step_key: string;
  attempt: number;
  stream: string;
  message: string;
  created_at: GeneratedTimestamp;
}

export interface Database {
  'openclaw.workflow': WorkflowTable;
  'openclaw.workflow_version': WorkflowVersionTable;
  'openclaw.run': RunTable;
  'openclaw.step': StepTable;
  'openclaw.run_event': RunEventTable;
  'openclaw.dead_letter': DeadLetterTable;
  'openclaw.step_log': StepLogTable;
}
