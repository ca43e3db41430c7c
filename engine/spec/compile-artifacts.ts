/**
 * `artifacts:` of a task step (docs/artifacts.md): parsed by `parseArtifacts` with the step's other
 * task fields, then checked against the whole graph by `checkArtifactRefs` once every node is
 * compiled: an input names a task node of the same graph (a DAG step this one needs, directly or
 * through other needs; a state of the same scope) that declares that output and is not a `forEach`.
 */
import { joinPointer } from './pointer.js';
import type { ArtifactsDef, TaskFields } from './types.js';
import { isObj, type CompileContext } from './compile-context.js';

export const DEFAULT_ARTIFACT_MEDIA_TYPE = 'application/octet-stream';

/** The compiled `artifacts:` (the schema has checked its shape); undefined when there is none. */
export function parseArtifacts(ctx: CompileContext, value: unknown, path: string, builtin: boolean): ArtifactsDef | undefined {
  if (!isObj(value)) return undefined;
  const def: ArtifactsDef = { in: [], out: [] };
  for (const [name, ref] of Object.entries(isObj(value.in) ? value.in : {})) {
    const at = String(ref).indexOf('.');
    def.in.push({ name, step: String(ref).slice(0, at), artifact: String(ref).slice(at + 1) });
  }
  const out = value.out;
  if (Array.isArray(out)) {
    for (const name of out) def.out.push({ name: String(name), mediaType: DEFAULT_ARTIFACT_MEDIA_TYPE, optional: false });
  } else if (isObj(out)) {
    for (const [name, o] of Object.entries(out)) {
      const opts = isObj(o) ? o : {};
      def.out.push({
        name,
        mediaType: typeof opts.mediaType === 'string' ? opts.mediaType : DEFAULT_ARTIFACT_MEDIA_TYPE,
        optional: opts.optional === true,
      });
    }
  }
  if (builtin && (def.in.length > 0 || def.out.length > 0))
    ctx.problem(
      joinPointer(path, 'artifacts'),
      'built-in tasks (`run:`) neither read nor write artifacts; use a container, http or wasm task',
    );
  const names = new Set(def.in.map((i) => i.name));
  for (const o of def.out) {
    if (names.has(o.name))
      ctx.problem(joinPointer(path, 'artifacts', 'out', o.name), `\`${o.name}\` is both an input and an output artifact of this step`);
  }
  return def.in.length > 0 || def.out.length > 0 ? def : undefined;
}

/** What `checkArtifactRefs` needs to know of a graph. */
export interface ArtifactGraph {
  /** The task node an input of `consumer` names (null when there is none), and every name that could have been meant. */
  producer(consumer: string, local: string): { node: (TaskFields & { path: string }) | null; known: string[] };
  /** Whether `producer` always finishes before `consumer` starts (a DAG ancestor); null when the model cannot say (state machines). */
  precedes(producer: string, consumer: string): boolean | null;
  /** The qualified name of local `step` as seen from `consumer`. */
  qualify(consumer: string, local: string): string;
}

/** Checks every input artifact of `nodes` and rewrites its step to the producer's qualified name. */
export function checkArtifactRefs(ctx: CompileContext, nodes: Record<string, TaskFields & { path: string }>, graph: ArtifactGraph): void {
  for (const [name, node] of Object.entries(nodes)) {
    for (const input of node.artifacts?.in ?? []) {
      const path = joinPointer(node.path, 'artifacts', 'in', input.name);
      const { node: producer, known } = graph.producer(name, input.step);
      if (!producer) {
        ctx.unknownName(path, 'step', input.step, known);
        continue;
      }
      const ref = `${input.step}.${input.artifact}`;
      if (!producer.artifacts?.out.some((o) => o.name === input.artifact)) {
        ctx.problem(path, `\`${ref}\`: step \`${input.step}\` declares no output artifact \`${input.artifact}\` (artifacts.out)`);
      } else if (producer.forEach) {
        ctx.problem(path, `\`${ref}\`: the artifacts of a \`forEach\` step's items cannot be read by name`);
      } else if (graph.precedes(graph.qualify(name, input.step), name) === false) {
        ctx.problem(
          path,
          `\`${ref}\`: step \`${input.step}\` must be in this step's needs (directly or through other needs) to read its artifacts`,
        );
      }
      input.step = graph.qualify(name, input.step);
    }
  }
}
