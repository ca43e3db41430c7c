/**
 * A run as its history tells it (pure functions, no React): each step's status after any event
 * (time travel), every attempt with its worker, times and outcome, backoff gaps and waits (the
 * Gantt and the step panel), the artifacts attached by then. The history is the one source for the
 * past; the live view uses the run's own step rows.
 */
import type { ErrorInfo, RunEvent } from '../../data/types.js';

/** The step status an event leaves behind; undefined: the event does not change it. */
function statusAfter(e: RunEvent): string | undefined {
  switch (e.type) {
    case 'step.pending':
      return 'pending';
    case 'step.ready':
    case 'step.released':
    case 'step.deferred':
      return 'ready';
    case 'step.started':
    case 'step.running':
      return 'running';
    case 'step.waiting':
    case 'step.child_started':
      return 'waiting';
    case 'step.succeeded':
      return 'succeeded';
    case 'step.failed':
      return 'failed';
    case 'step.retrying':
      return 'retrying';
    case 'step.lease_expired':
      return (e.data as { requeued?: boolean } | null)?.requeued === false ? 'dead' : 'ready';
    case 'step.dead':
    case 'step.continued':
      return 'dead';
    case 'step.skipped':
      return 'skipped';
    case 'step.cancelled':
      return 'cancelled';
    default:
      return undefined;
  }
}

function runStatusAfter(type: string): string | undefined {
  switch (type) {
    case 'run.created':
    case 'run.queued':
      return 'queued';
    case 'run.started':
    case 'run.running':
    case 'run.retried':
      return 'running';
    case 'run.waiting':
      return 'waiting';
    case 'run.succeeded':
      return 'succeeded';
    case 'run.failed':
      return 'failed';
    case 'run.cancelled':
    case 'run.skipped':
      return 'cancelled';
    default:
      return undefined;
  }
}

export interface ReplayedState {
  runStatus: string;
  /** Step key -> status, for the steps that existed then (in order of appearance). */
  steps: Map<string, string>;
  at: string;
}

/** The run as it was right after `events[index]`. */
export function stateAt(events: RunEvent[], index: number): ReplayedState {
  const steps = new Map<string, string>();
  let runStatus = 'queued';
  const last = Math.min(index, events.length - 1);
  for (let i = 0; i <= last; i++) {
    const e = events[i]!;
    if (e.stepKey) {
      const s = statusAfter(e);
      if (s) steps.set(e.stepKey, s);
      else if (!steps.has(e.stepKey)) steps.set(e.stepKey, 'pending');
    } else {
      runStatus = runStatusAfter(e.type) ?? runStatus;
    }
  }
  return { runStatus, steps, at: events[last]?.createdAt ?? '' };
}

/**
 * The artifacts attached by the moment right after `events[index]`. An artifact is attached by its
 * step's successful completion, in the transaction that writes that attempt's `step.succeeded`, so
 * it belongs to the past from that event on. (Not by `createdAt`: two completions' clocks may run in
 * another order than their events.)
 */
export function artifactsAt<A extends { stepKey: string | null; attempt: number | null }>(
  artifacts: A[],
  events: RunEvent[],
  index: number,
): A[] {
  const attached = new Set<string>();
  const anyAttempt = new Set<string>();
  for (let i = 0; i <= Math.min(index, events.length - 1); i++) {
    const e = events[i]!;
    if (e.type !== 'step.succeeded' || !e.stepKey) continue;
    const attempt = (e.data as { attempt?: unknown } | null)?.attempt;
    if (typeof attempt === 'number') attached.add(`${e.stepKey}#${attempt}`);
    else anyAttempt.add(e.stepKey);
  }
  return artifacts.filter(
    (a) => a.stepKey !== null && (anyAttempt.has(a.stepKey) || a.attempt === null || attached.has(`${a.stepKey}#${a.attempt}`)),
  );
}

export type SpanKind = 'attempt' | 'backoff' | 'wait' | 'queued' | 'group';

export interface Span {
  key: string;
  kind: SpanKind;
  start: number;
  /** null: still open at the end of the replayed history. */
  end: number | null;
  attempt?: number;
  worker?: string;
  outcome?: string;
  error?: ErrorInfo | null;
  delayMs?: number;
}

const CLOSES_ATTEMPT: Record<string, string> = {
  'step.succeeded': 'succeeded',
  'step.retrying': 'failed',
  'step.dead': 'dead',
  'step.lease_expired': 'worker lost',
  'step.released': 'released',
  'step.deferred': 'waited for the cache',
  'step.cancelled': 'cancelled',
};
const CLOSES_WAIT = new Set(['step.succeeded', 'step.failed', 'step.timed_out', 'step.cancelled', 'step.dead']);

/** Every span of every step in `events` (up to `index`, default all), in order of start. */
export function spansOf(events: RunEvent[], index = events.length - 1): Span[] {
  const spans: Span[] = [];
  const open = new Map<string, Map<SpanKind, Span>>();
  const openOf = (key: string): Map<SpanKind, Span> => {
    let m = open.get(key);
    if (!m) open.set(key, (m = new Map()));
    return m;
  };
  const begin = (s: Span): void => {
    spans.push(s);
    openOf(s.key).set(s.kind, s);
  };
  const close = (key: string, kind: SpanKind, t: number, patch: Partial<Span> = {}): void => {
    const s = open.get(key)?.get(kind);
    if (!s) return;
    s.end = t;
    Object.assign(s, patch);
    open.get(key)!.delete(kind);
  };
  for (let i = 0; i <= Math.min(index, events.length - 1); i++) {
    const e = events[i]!;
    const key = e.stepKey;
    if (!key) continue;
    const t = Date.parse(e.createdAt);
    const data = (e.data ?? {}) as { attempt?: number; worker?: string; error?: ErrorInfo; delayMs?: number };
    switch (e.type) {
      case 'step.ready':
        close(key, 'backoff', t);
        begin({ key, kind: 'queued', start: t, end: null });
        break;
      case 'step.started':
        close(key, 'queued', t);
        close(key, 'backoff', t);
        begin({
          key,
          kind: 'attempt',
          start: t,
          end: null,
          ...(data.attempt ? { attempt: data.attempt } : {}),
          ...(data.worker ? { worker: data.worker } : {}),
        });
        break;
      case 'step.running':
        if (!openOf(key).has('group')) begin({ key, kind: 'group', start: t, end: null });
        break;
      case 'step.waiting':
      case 'step.child_started':
        if (!openOf(key).has('wait')) begin({ key, kind: 'wait', start: t, end: null });
        break;
      default:
        break;
    }
    const outcome = CLOSES_ATTEMPT[e.type];
    if (outcome) {
      close(key, 'attempt', t, { outcome, ...(data.error ? { error: data.error } : {}) });
      if (e.type === 'step.retrying')
        begin({ key, kind: 'backoff', start: t, end: null, ...(data.delayMs !== undefined ? { delayMs: data.delayMs } : {}) });
    }
    // A success served from the step cache: its attempt executed nothing.
    if (e.type === 'step.cached') {
      const last = spans.findLast((s) => s.key === key && s.kind === 'attempt');
      if (last) last.outcome = 'cached';
    }
    if (CLOSES_WAIT.has(e.type)) close(key, 'wait', t, { outcome: e.type.slice(5) });
    if (['step.succeeded', 'step.failed', 'step.dead', 'step.cancelled', 'step.skipped'].includes(e.type)) {
      close(key, 'group', t, { outcome: e.type.slice(5) });
      close(key, 'queued', t);
      close(key, 'backoff', t);
    }
  }
  return spans;
}

/** Each step's attempts (worker, times, outcome, error), from the history. */
export function attemptsOf(events: RunEvent[], stepKey: string): Span[] {
  return spansOf(events.filter((e) => e.stepKey === stepKey)).filter((s) => s.kind === 'attempt');
}
