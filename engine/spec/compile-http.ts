/**
 * The artifact options of an `http:` task (docs/tasks/http.md, "Artifacts"), checked against the
 * step's own `artifacts:`: `saveAs` names a declared output, `bodyFrom` a declared input and comes
 * with a method that sends a body. (The schema has checked their shape, and that `bodyFrom` and
 * `body`, `saveAs` and `maxResponseBytes` are not given together.)
 */
import type { CompileContext } from './compile-context.js';
import { joinPointer } from './pointer.js';
import type { ArtifactsDef, TaskDef } from './types.js';

/** Methods that carry no body: `bodyFrom` with one of them is a mistake (the default is GET). */
const BODYLESS = new Set(['GET', 'HEAD']);

const listed = (names: string[]): string => (names.length > 0 ? names.map((n) => `\`${n}\``).join(', ') : 'none');

export function checkHttpArtifacts(ctx: CompileContext, task: TaskDef, artifacts: ArtifactsDef | undefined, path: string): void {
  if (task.kind !== 'http' || typeof task.spec !== 'object' || task.spec === null || Array.isArray(task.spec)) return;
  const spec = task.spec as Record<string, unknown>;
  if (typeof spec.saveAs === 'string') {
    const outs = (artifacts?.out ?? []).map((o) => o.name);
    if (!outs.includes(spec.saveAs))
      ctx.problem(
        joinPointer(path, 'http', 'saveAs'),
        `\`saveAs: ${spec.saveAs}\` must name an output artifact of this step: declare it in \`artifacts.out\` (declared: ${listed(outs)})`,
      );
  }
  if (typeof spec.bodyFrom === 'string') {
    const ins = (artifacts?.in ?? []).map((i) => i.name);
    if (!ins.includes(spec.bodyFrom))
      ctx.problem(
        joinPointer(path, 'http', 'bodyFrom'),
        `\`bodyFrom: ${spec.bodyFrom}\` must name an input artifact of this step: declare it in \`artifacts.in\` as \`${spec.bodyFrom}: <step>.<artifact>\` (declared: ${listed(ins)})`,
      );
    const method = typeof spec.method === 'string' ? spec.method.toUpperCase() : 'GET';
    if (BODYLESS.has(method))
      ctx.problem(
        joinPointer(path, 'http', 'bodyFrom'),
        `\`bodyFrom\` sends a request body, which a ${method} request does not carry${spec.method === undefined ? ' (GET is the default method)' : ''}: set \`method\` to POST, PUT or PATCH`,
      );
  }
}
