/**
 * DAG compilation (`steps:`): needs (names or `{step, ifSkipped}`), dependents, roots, sinks,
 * cycle detection with the cycle named, and expression references: `steps.<name>` must name a
 * step this one needs, directly or indirectly, or its output would not exist yet.
 */
import { compileTaskFields } from './compile-common.js';
import { collectRefs, isObj, type CompileContext, type FieldAnalysis, type Obj } from './compile-context.js';
import { checkArtifactRefs } from './compile-artifacts.js';
import { findCycles, reachable } from './graph-cycles.js';
import { joinPointer } from './pointer.js';
import type { DagFailureMode, DagGraph, DagNeed, DagNode, Refs } from './types.js';

/** True when `target` is reachable from `from` through `needs` (early exit; most refs are direct needs). */
function isAncestor(nodes: Record<string, DagNode>, from: string, target: string): boolean {
  const seen = new Set<string>([from]);
  const stack = [from];
  while (stack.length > 0) {
    const node = nodes[stack.pop()!];
    for (const need of node?.needs ?? []) {
      if (need.step === target) return true;
      if (!seen.has(need.step)) {
        seen.add(need.step);
        stack.push(need.step);
      }
    }
  }
  return false;
}

/** Resolves `steps.<name>` references of a DAG node (or of the run output when `node` is null). */
export function resolveDagRefs(ctx: CompileContext, nodes: Record<string, DagNode>, node: string | null, analyses: FieldAnalysis[]): Refs {
  return collectRefs(analyses, (path, name) => {
    if (!(name in nodes)) {
      ctx.unknownName(path, 'step', name, Object.keys(nodes));
      return null;
    }
    if (node !== null && !isAncestor(nodes, node, name)) {
      ctx.problem(
        path,
        `reads steps.${name} but \`${name}\` is not among the steps \`${node}\` needs (directly or indirectly); add it to \`needs\``,
      );
      return null;
    }
    return name;
  });
}

/** Compiles `steps:` into a `DagGraph`, reporting problems into `ctx`. */
export function compileDag(ctx: CompileContext, steps: Obj, onFailure: DagFailureMode = 'fail-fast'): DagGraph {
  const names = Object.keys(steps);
  const nameSet = new Set(names);
  const nodes: Record<string, DagNode> = {};
  const analysesOf = new Map<string, FieldAnalysis[]>();

  for (const name of names) {
    const spec = steps[name] as Obj;
    const path = joinPointer('/steps', name);
    const { fields, analyses } = compileTaskFields(ctx, spec, path);
    analyses.push(...ctx.condition(spec.if, joinPointer(path, 'if'), 'if'));
    analysesOf.set(name, analyses);
    const stepDefault = spec.ifSkipped === 'run' ? 'run' : 'skip';
    const needs: DagNeed[] = [];
    const seen = new Set<string>();
    (Array.isArray(spec.needs) ? (spec.needs as unknown[]) : []).forEach((need, i) => {
      const needPath = joinPointer(path, 'needs', i);
      const step = typeof need === 'string' ? need : String((need as Obj).step);
      const own = isObj(need) ? need.ifSkipped : undefined;
      if (step === name) ctx.problem(needPath, `a step cannot need itself`);
      else if (!nameSet.has(step)) ctx.unknownName(needPath, 'step', step, names);
      else if (seen.has(step)) ctx.problem(needPath, `\`${step}\` is listed twice in needs`);
      else {
        seen.add(step);
        needs.push({ step, ifSkipped: own === 'run' || own === 'skip' ? own : stepDefault });
      }
    });
    nodes[name] = {
      name,
      localName: name,
      path,
      refs: { inputs: false, steps: [] },
      type: 'task',
      ...fields,
      needs,
      dependents: [],
      if: spec.if,
      ...(spec.continueOnError === true ? { continueOnError: true } : {}),
    };
  }

  for (const name of names) {
    for (const need of nodes[name]!.needs) nodes[need.step]!.dependents.push(name);
  }
  for (const cycle of findCycles(names, (n) => nodes[n]?.needs.map((x) => x.step) ?? [])) {
    ctx.problem(joinPointer('/steps', cycle[0] ?? '', 'needs'), `cycle: ${cycle.join(' -> ')} (each step needs the next)`);
  }
  for (const name of names) nodes[name]!.refs = resolveDagRefs(ctx, nodes, name, analysesOf.get(name) ?? []);
  checkArtifactRefs(ctx, nodes, {
    producer: (_consumer, local) => ({ node: nodes[local] ?? null, known: names }),
    precedes: (producer, consumer) => reachable([consumer], (n) => nodes[n]?.needs.map((x) => x.step) ?? []).has(producer),
    qualify: (_consumer, local) => local,
  });

  return {
    model: 'dag',
    nodes,
    roots: names.filter((n) => nodes[n]!.needs.length === 0),
    sinks: names.filter((n) => nodes[n]!.dependents.length === 0),
    // Only written when not the default, so graphs compiled before it existed read the same.
    ...(onFailure === 'fail-fast' ? {} : { onFailure }),
  };
}
