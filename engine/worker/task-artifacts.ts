/**
 * The artifact I/O of one attempt (`TaskInvocation.artifacts`): its input artifacts, resolved
 * before the task starts (a missing one fails the attempt: ArtifactMissing), and the outputs it
 * writes, uploaded under the attempt's step and lease token. `produced()` lists them for the
 * outcome; the fenced completion attaches them (runs/complete.ts).
 */
import type { Readable } from 'node:stream';
import { NonRetryableError } from '../errors.js';
import type { EngineCore } from '../core/engine-core.js';
import type { ProducedArtifact } from '../artifacts/service.js';
import type { ArtifactRef, ArtifactSlot, TaskArtifacts } from '../executors/types.js';
import type { ArtifactsDef } from '../spec/types.js';
import { FAILURES } from '../vocabulary/failures.js';
import type { ClaimedStep } from './claim.js';

type ResolvedInput = ArtifactRef & { key: string };

/** The artifacts of a step that declares none. */
export const NO_ARTIFACTS: TaskArtifacts = {
  inputs: [],
  outputs: [],
  open: (name) => Promise.reject(new NonRetryableError('InvalidTask', `this step has no input artifact ${JSON.stringify(name)}`)),
  write: (name) => Promise.reject(new NonRetryableError('InvalidTask', `this step declares no output artifact ${JSON.stringify(name)}`)),
};

export class AttemptArtifacts implements TaskArtifacts {
  readonly outputs: ReadonlyArray<ArtifactSlot>;
  private resolved: ResolvedInput[] = [];
  private readonly written = new Map<string, ProducedArtifact>();
  private readonly pending = new Set<string>();

  private constructor(
    private readonly core: EngineCore,
    private readonly step: ClaimedStep,
    private readonly def: ArtifactsDef,
    private readonly signal: AbortSignal,
  ) {
    this.outputs = def.out;
  }

  /** The attempt's artifacts, inputs resolved (ArtifactMissing when one does not exist). */
  static async open(
    core: EngineCore,
    step: ClaimedStep,
    def: ArtifactsDef | undefined,
    signal: AbortSignal,
  ): Promise<TaskArtifacts & { produced(): ProducedArtifact[] }> {
    if (!def) return { ...NO_ARTIFACTS, produced: () => [] };
    const io = new AttemptArtifacts(core, step, def, signal);
    await io.resolve();
    return io;
  }

  get inputs(): ReadonlyArray<ArtifactRef> {
    return this.resolved.map(({ key: _key, ...ref }) => ref);
  }

  private async resolve(): Promise<void> {
    if (this.def.in.length === 0) return;
    // The latest succeeded visit of each producer (a DAG step has one; a state may have several).
    const { rows } = await this.core.pool.query<{
      step: string;
      artifact: string;
      id: string;
      key: string;
      size: string;
      sha256: string;
      media_type: string;
    }>(
      `SELECT DISTINCT ON (s.name, a.name) s.name AS step, a.name AS artifact, a.id, a.object_key AS key, a.size, a.sha256, a.media_type
         FROM openclaw.step s JOIN openclaw.artifact a ON a.step_id = s.id AND a.kind = 'file'
        WHERE s.run_id = $1 AND s.status = 'succeeded'
          AND (s.name, a.name) IN (SELECT * FROM unnest($2::text[], $3::text[]))
        ORDER BY s.name, a.name, s.visit DESC, s.id DESC`,
      [this.step.run_id, this.def.in.map((i) => i.step), this.def.in.map((i) => i.artifact)],
    );
    this.resolved = this.def.in.map((input) => {
      const row = rows.find((r) => r.step === input.step && r.artifact === input.artifact);
      if (!row) {
        throw new NonRetryableError(
          FAILURES.ArtifactMissing,
          `input artifact ${input.name} (${input.step}.${input.artifact}) does not exist: step ${input.step} did not succeed or did not write it`,
        );
      }
      return { id: row.id, name: input.name, key: row.key, size: Number(row.size), sha256: row.sha256, mediaType: row.media_type };
    });
  }

  async open(name: string): Promise<Readable> {
    const input = this.resolved.find((i) => i.name === name);
    if (!input) throw new NonRetryableError('InvalidTask', `this step has no input artifact ${JSON.stringify(name)}`);
    return this.core.artifacts.open(input.key, this.signal);
  }

  async write(name: string, body: Readable, options: { mediaType?: string } = {}): Promise<{ size: number; sha256: string }> {
    const slot = this.outputs.find((o) => o.name === name);
    if (!slot) throw new NonRetryableError('InvalidTask', `output artifact ${JSON.stringify(name)} is not declared in artifacts.out`);
    if (this.written.has(name) || this.pending.has(name))
      throw new NonRetryableError('InvalidTask', `output artifact ${JSON.stringify(name)} was written twice`);
    this.pending.add(name);
    try {
      const mediaType = options.mediaType ?? slot.mediaType;
      const obj = await this.core.artifacts.upload(
        { namespace: this.step.namespace, runId: this.step.run_id, stepId: this.step.id, leaseToken: this.step.lease_token },
        body,
        { mediaType, what: `artifact ${name} of step ${this.step.key}`, signal: this.signal },
      );
      this.written.set(name, { ...obj, name, kind: 'file' });
      return { size: obj.size, sha256: obj.sha256 };
    } finally {
      this.pending.delete(name);
    }
  }

  /** The outputs written, for the outcome. Throws ArtifactNotProduced when a required one is missing. */
  produced(): ProducedArtifact[] {
    const missing = this.outputs.filter((o) => !o.optional && !this.written.has(o.name)).map((o) => o.name);
    if (missing.length > 0) {
      throw new NonRetryableError(
        FAILURES.ArtifactNotProduced,
        `step ${this.step.key} finished without writing its output artifact${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (declare it \`optional: true\` if it may be absent)`,
      );
    }
    return [...this.written.values()];
  }
}
