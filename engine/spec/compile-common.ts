/**
 * The task fields shared by DAG steps and state-machine task states (compileTaskFields): the task
 * kind, `with`, retry, timeout, `forEach`, `artifacts` and `cache`. DAG- and state-machine-specific
 * rules live in compile-dag.ts and compile-sm.ts; the compiler's context in compile-context.ts.
 */
import { parseArtifacts } from './compile-artifacts.js';
import { parseCache } from './compile-cache.js';
import { isSingleExpression, type CompileContext, type FieldAnalysis, type Obj } from './compile-context.js';
import { checkHttpArtifacts } from './compile-http.js';
import { joinPointer } from './pointer.js';
import type { BuiltinName, TaskDef, TaskFields } from './types.js';

/** The task kind of a node (`run`, `wasm`, `container` or `http`); the schema guarantees exactly one. */
export function taskDef(node: Obj): TaskDef {
  if (node.run !== undefined) return { kind: 'builtin', run: node.run as BuiltinName };
  if (node.wasm !== undefined) return { kind: 'wasm', spec: node.wasm };
  if (node.container !== undefined) return { kind: 'container', spec: node.container };
  return { kind: 'http', spec: node.http };
}

/** `{[key]: value}`, or nothing when value is undefined: compiled graphs leave absent fields out. */
function optional<K extends string, V>(key: K, value: V | undefined): { [k in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [k in K]?: V };
}

/** Compiles the task fields shared by DAG steps and task states, and returns their expressions. */
export function compileTaskFields(ctx: CompileContext, node: Obj, path: string): { fields: TaskFields; analyses: FieldAnalysis[] } {
  const task = taskDef(node);
  const hasForEach = node.forEach !== undefined;
  const analyses: FieldAnalysis[] = [];
  if (task.kind !== 'builtin')
    analyses.push(...ctx.templates(task.spec, joinPointer(path, task.kind), { secrets: true, item: hasForEach }));
  analyses.push(...ctx.templates(node.with, joinPointer(path, 'with'), { secrets: false, item: hasForEach }));
  if (typeof node.forEach === 'string' && !isSingleExpression(node.forEach)) {
    ctx.problem(joinPointer(path, 'forEach'), '`forEach` must be a single `${{ ... }}` expression that yields an array, or an array');
  } else {
    analyses.push(...ctx.templates(node.forEach, joinPointer(path, 'forEach')));
  }
  if (node.concurrency !== undefined && !hasForEach)
    ctx.problem(joinPointer(path, 'concurrency'), '`concurrency` only applies to a step with `forEach`');
  const timeout = ctx.duration(node.timeout, joinPointer(path, 'timeout'));
  const artifacts = parseArtifacts(ctx, node.artifacts, path, task.kind === 'builtin');
  checkHttpArtifacts(ctx, task, artifacts, path);
  const cache = parseCache(ctx, node.cache, path, hasForEach);
  analyses.push(...cache.analyses);
  return {
    fields: {
      task,
      with: node.with,
      retry: ctx.retry(node.retry, joinPointer(path, 'retry')),
      timeoutMs: timeout ?? ctx.defaultTimeoutMs,
      forEach: hasForEach ? { items: node.forEach, concurrency: typeof node.concurrency === 'number' ? node.concurrency : null } : null,
      ...optional('artifacts', artifacts),
      ...optional('cache', cache.def),
    },
    analyses,
  };
}
