/**
 * The spans one transition transaction produces, emitted only once it committed (like TxMetrics):
 * a run's start span, and the wait and timer spans that end in it. A transaction that rolls back
 * (or is retried whole: each attempt has its own) emits nothing, so no span describes a run or a
 * resumption that never happened; its open spans are simply never ended (never exported). A
 * transition transaction has one only while tracing is on (`tx.spans`, null otherwise).
 */
import type { OpenSpan, SpanAttributes, SpanError, TraceContext, Tracing } from './trace-context.js';

export class TxSpans {
  private readonly ops: Array<() => void> = [];

  constructor(readonly tracing: Tracing) {}

  /** Ends `span` when the transaction commits. */
  endOnCommit(span: OpenSpan, attributes?: SpanAttributes): void {
    this.ops.push(() => span.end(attributes));
  }

  /** Records a finished span (explicit start; it ends at the commit) when the transaction commits. */
  recordOnCommit(name: string, parent: TraceContext, attributes: SpanAttributes, startTime: Date, error?: SpanError | null): void {
    this.ops.push(() => this.tracing.recordSpan(name, parent, attributes, startTime, new Date(), error));
  }

  /** Called by the driver after COMMIT. */
  commit(): void {
    for (const op of this.ops.splice(0)) op();
  }
}
