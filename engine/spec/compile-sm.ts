/**
 * State-machine compilation (`start:` + `states:`). Every scope (the top level and each parallel
 * branch, recursively) is checked the same way: targets exist in the scope, non-terminal states
 * say exactly one of `next` / `end: true`, every state is reachable from `start`, every reachable
 * state can still reach an end, and no loop consists of choice states only (it would spin
 * without doing work). Branch states get qualified names `<parallel>.<branch>.<local>`.
 */
import { checkArtifactRefs } from './compile-artifacts.js';
import { compileTaskFields } from './compile-common.js';
import { collectRefs, isObj, type CompileContext, type FieldAnalysis, type Obj } from './compile-context.js';
import { findCycles, reachable } from './graph-cycles.js';
import { joinPointer } from './pointer.js';
import type { CatchRule, Refs, Scope, SmGraph, SmState, WaitDef } from './types.js';

interface ScopeInfo {
  prefix: string;
  scope: Scope;
  local: Set<string>;
}

/** Compiles `start` + `states` into an `SmGraph`, reporting problems into `ctx`. */
export function compileSm(ctx: CompileContext, spec: Obj): SmGraph {
  const states: Record<string, SmState> = {};
  const top = new Set(Object.keys(isObj(spec.states) ? spec.states : {}));

  /** `states.<name>`: a state of the same branch wins, else a top-level state. */
  const resolveRefs = (info: ScopeInfo, analyses: FieldAnalysis[]): Refs =>
    collectRefs(analyses, (path, name) => {
      if (info.scope !== null && info.local.has(name)) return info.prefix + name;
      if (top.has(name)) return name;
      ctx.unknownName(path, 'state', name, info.scope !== null ? [...info.local, ...top] : top);
      return null;
    });

  const compileScope = (statesSpec: Obj, startLocal: string, base: string, startPath: string, scope: Scope, prefix: string): string => {
    const local = Object.keys(statesSpec);
    const info: ScopeInfo = { prefix, scope, local: new Set(local) };
    const edges = new Map<string, string[]>();
    const terminal = new Set<string>();
    const choices = new Set<string>();
    let unknownTargets = false;
    const pathOf = (name: string): string => joinPointer(base, 'states', name);

    if (!info.local.has(startLocal)) {
      ctx.unknownName(startPath, 'start state', startLocal, local);
      unknownTargets = true;
    }

    for (const name of local) {
      const s = statesSpec[name] as Obj;
      const path = pathOf(name);
      const out: string[] = [];
      const link = (value: unknown, at: string): string => {
        const target = String(value);
        if (info.local.has(target)) out.push(target);
        else {
          ctx.unknownName(at, 'state', target, local);
          unknownTargets = true;
        }
        return prefix + target;
      };
      const flow = (): string | null => {
        const hasNext = s.next !== undefined;
        const isEnd = s.end === true;
        if (hasNext && isEnd) ctx.problem(path, 'has both `next` and `end: true`; keep one');
        else if (!hasNext && !isEnd) ctx.problem(path, 'needs `next: <state>` or `end: true`');
        if (isEnd || !hasNext) terminal.add(name);
        return hasNext ? link(s.next, joinPointer(path, 'next')) : null;
      };
      const catches = (): CatchRule[] =>
        (Array.isArray(s.catch) ? (s.catch as Obj[]) : []).map((c, i) => ({
          errors: Array.isArray(c.errors) ? c.errors.map(String) : null,
          next: link(c.next, joinPointer(path, 'catch', i, 'next')),
        }));
      const common = { name: prefix + name, localName: name, path, refs: { inputs: false, steps: [] } as Refs, scope };
      const analyses: FieldAnalysis[] = [];
      let state: SmState;

      if (s.choice !== undefined) {
        choices.add(name);
        const list = (s.choice as Obj[]).map((c, i) => {
          analyses.push(...ctx.condition(c.when, joinPointer(path, 'choice', i, 'when'), 'when'));
          return { when: c.when, next: link(c.next, joinPointer(path, 'choice', i, 'next')) };
        });
        const dflt = s.default !== undefined ? link(s.default, joinPointer(path, 'default')) : null;
        state = { ...common, type: 'choice', choices: list, default: dflt };
      } else if (s.wait !== undefined) {
        const w = s.wait as Obj;
        const wpath = joinPointer(path, 'wait');
        let wait: WaitDef;
        if (w.for !== undefined) wait = { kind: 'for', ms: ctx.duration(w.for, joinPointer(wpath, 'for')) ?? 0 };
        else if (w.until !== undefined) {
          if (typeof w.until === 'string' && !w.until.includes('${{') && Number.isNaN(Date.parse(w.until))) {
            ctx.problem(joinPointer(wpath, 'until'), '`until` must be an ISO-8601 timestamp or a `${{ ... }}` expression that yields one');
          }
          analyses.push(...ctx.templates(w.until, joinPointer(wpath, 'until')));
          wait = { kind: 'until', until: w.until };
        } else {
          wait = { kind: 'signal', signal: String(w.signal), timeoutMs: ctx.duration(w.timeout, joinPointer(wpath, 'timeout')) };
        }
        if (w.timeout !== undefined && w.signal === undefined)
          ctx.problem(joinPointer(wpath, 'timeout'), '`timeout` only applies to a signal wait');
        const next = flow();
        let onTimeout: string | null = null;
        if (s.onTimeout !== undefined) {
          if (w.signal === undefined || w.timeout === undefined)
            ctx.problem(joinPointer(path, 'onTimeout'), '`onTimeout` needs a signal wait with a `timeout`');
          onTimeout = link(s.onTimeout, joinPointer(path, 'onTimeout'));
        }
        state = { ...common, type: 'wait', wait, next, onTimeout };
      } else if (s.parallel !== undefined) {
        const qualified = prefix + name;
        const branches = (s.parallel as Obj[]).map((b, i) => {
          const bpath = joinPointer(path, 'parallel', i);
          return compileScope(
            b.states as Obj,
            String(b.start),
            bpath,
            joinPointer(bpath, 'start'),
            { parent: qualified, branch: i },
            `${qualified}.${i}.`,
          );
        });
        state = { ...common, type: 'parallel', branches, next: flow(), catch: catches() };
      } else if (s.workflow !== undefined) {
        const w = s.workflow as Obj;
        analyses.push(...ctx.templates(w.input, joinPointer(path, 'workflow', 'input')));
        state = {
          ...common,
          type: 'workflow',
          workflow: String(w.name),
          version: typeof w.version === 'number' ? w.version : null,
          input: w.input,
          next: flow(),
          catch: catches(),
        };
      } else if (s.succeed !== undefined) {
        terminal.add(name);
        state = { ...common, type: 'succeed' };
      } else if (s.fail !== undefined) {
        terminal.add(name);
        const f = s.fail as Obj;
        analyses.push(...ctx.templates(f.message, joinPointer(path, 'fail', 'message')));
        state = { ...common, type: 'fail', error: String(f.error), message: f.message ?? f.error };
      } else {
        const { fields, analyses: taskAnalyses } = compileTaskFields(ctx, s, path);
        analyses.push(...taskAnalyses);
        state = { ...common, type: 'task', ...fields, next: flow(), catch: catches() };
      }
      state.refs = resolveRefs(info, analyses);
      states[prefix + name] = state;
      edges.set(name, out);
    }

    // Graph checks are skipped when a target is unknown: those problems already explain the scope.
    if (!unknownTargets) {
      const out = (n: string): string[] => edges.get(n) ?? [];
      const fromStart = reachable([startLocal], out);
      for (const n of local) if (!fromStart.has(n)) ctx.problem(pathOf(n), `state \`${n}\` is unreachable from start \`${startLocal}\``);
      const incoming = new Map<string, string[]>();
      for (const [from, targets] of edges) {
        for (const t of targets) {
          const list = incoming.get(t);
          if (list) list.push(from);
          else incoming.set(t, [from]);
        }
      }
      const canEnd = reachable([...terminal], (n) => incoming.get(n) ?? []);
      for (const n of local) {
        if (fromStart.has(n) && !canEnd.has(n)) {
          ctx.problem(
            pathOf(n),
            `state \`${n}\` can never reach an end: every path from it loops forever (add a way out: a choice branch, \`end: true\`, succeed or fail)`,
          );
        }
      }
    }
    for (const cycle of findCycles([...choices], (n) => (edges.get(n) ?? []).filter((t) => choices.has(t)))) {
      ctx.problem(
        pathOf(cycle[0] ?? ''),
        `choice states loop without doing any work: ${cycle.join(' -> ')} (put a task or wait in the loop)`,
      );
    }
    return prefix + startLocal;
  };

  const start = compileScope(isObj(spec.states) ? spec.states : {}, String(spec.start), '', '/start', null, '');
  // An input artifact names a state of the consumer's own scope (its latest visit).
  const scopePrefix = (consumer: string): string => consumer.slice(0, consumer.length - states[consumer]!.localName.length);
  const tasks = Object.fromEntries(
    Object.entries(states).filter((e): e is [string, Extract<SmState, { type: 'task' }>] => e[1].type === 'task'),
  );
  checkArtifactRefs(ctx, tasks, {
    producer: (consumer, local) => {
      const prefix = scopePrefix(consumer);
      const known = Object.keys(states).filter((n) => n.startsWith(prefix) && !n.slice(prefix.length).includes('.'));
      return { node: tasks[prefix + local] ?? null, known: known.map((n) => n.slice(prefix.length)) };
    },
    precedes: () => null,
    qualify: (consumer, local) => scopePrefix(consumer) + local,
  });
  return { model: 'sm', start, states };
}
