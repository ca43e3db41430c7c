/** The API's response shapes the CLI reads (see /work/shared/design/api.md, "Shapes"). Fields may be absent on older servers. */

export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}

export interface StepBody {
  key: string;
  name?: string;
  status: string;
  attempt?: number;
  output?: unknown;
  error?: unknown;
  startedAt?: string | null;
  finishedAt?: string | null;
}

export interface RunBody {
  id: string;
  workflow: string;
  version: number;
  status: string;
  input?: unknown;
  output?: unknown;
  error?: unknown;
  trigger?: unknown;
  createdAt?: string;
  startedAt?: string | null;
  finishedAt?: string | null;
  steps?: StepBody[];
}

export interface WorkflowBody {
  name: string;
  version?: number;
  latestVersion?: number;
  description?: string | null;
  createdAt?: string;
  updatedAt?: string;
  archived?: boolean;
  archivedAt?: string | null;
}

export interface DeadLetterBody {
  id: string;
  runId?: string;
  stepKey?: string;
  workflow?: string;
  error?: unknown;
  attempts?: number;
  createdAt?: string;
}

export interface LogLine {
  attempt?: number;
  stream?: string;
  message: string;
  createdAt?: string;
}
