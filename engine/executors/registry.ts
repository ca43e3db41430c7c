import { NonRetryableError } from '../errors.js';
import type { TaskDef } from '../spec/types.js';
import { builtinExecutor } from './builtin/index.js';
import type { Executor } from './types.js';

/** Maps task kinds to executors. Built-ins are always present; others (wasm, container, http) plug in. */
export class ExecutorRegistry {
  private readonly byKind = new Map<TaskDef['kind'], Executor>();

  constructor(executors: Executor[] = []) {
    for (const e of [builtinExecutor, ...executors]) for (const k of e.kinds) this.byKind.set(k, e);
  }

  /** Each configured executor once. */
  get executors(): Executor[] {
    return [...new Set(this.byKind.values())];
  }

  get(kind: TaskDef['kind']): Executor {
    const e = this.byKind.get(kind);
    if (!e) throw new NonRetryableError('UnsupportedTask', `no executor for ${kind} tasks is configured on this worker`);
    return e;
  }
}
