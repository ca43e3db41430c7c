/**
 * An `http` executor for artifact tests (no network): it writes and reads artifacts as its step's
 * `with:` says. `write: {name: text}` writes each (text repeated `repeat` times, default once);
 * `holdMs` then waits that long (the SIGSTOP tests freeze a worker there); `read: true` returns each
 * input's text, size and digest. `onWritten` is told once everything is written (a child worker
 * prints a line); `byWorker` starts each artifact with `<worker id>:` (to tell attempts' bytes
 * apart). Used in-process and by test/helpers/artifact-worker.ts. No vitest imports here.
 */
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import type { Executor, TaskInvocation } from '../../engine/index.js';

export interface ArtifactStepSpec {
  write?: Record<string, string>;
  repeat?: number;
  holdMs?: number;
  read?: boolean;
  /** Returned as the output (to tell attempts apart). */
  tag?: string;
}

function* repeated(s: string, n: number): Generator<Buffer> {
  const chunk = Buffer.from(s);
  for (let i = 0; i < n; i++) yield chunk;
}

export function artifactExecutor(options: { onWritten?: (inv: TaskInvocation) => void; byWorker?: boolean } = {}): Executor {
  return {
    kinds: ['http'],
    async execute(inv: TaskInvocation) {
      const spec = (inv.input ?? {}) as ArtifactStepSpec;
      const written: Record<string, { size: number; sha256: string }> = {};
      for (const [name, body] of Object.entries(spec.write ?? {})) {
        const chunks = repeated(body, spec.repeat ?? 1);
        written[name] = await inv.artifacts.write(
          name,
          Readable.from(options.byWorker ? [Buffer.from(`${inv.workerId}:`), ...chunks] : chunks),
        );
      }
      if (spec.write) options.onWritten?.(inv);
      if (spec.holdMs) await new Promise((r) => setTimeout(r, spec.holdMs));
      const seen: Record<string, unknown> = {};
      if (spec.read) {
        for (const input of inv.artifacts.inputs)
          seen[input.name] = { text: await text(await inv.artifacts.open(input.name)), size: input.size, sha256: input.sha256 };
      }
      return { tag: spec.tag ?? null, written, read: seen };
    },
  };
}
