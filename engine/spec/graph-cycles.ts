/** Cycle detection for the compiler (DAG `needs`, state-machine choice loops). Iterative: specs may hold thousands of nodes. */

/**
 * Finds cycles in a directed graph, each once, as the list of nodes along the cycle with the
 * first node repeated at the end (`['a', 'b', 'a']`). Nodes are visited in the given order, so
 * the result is deterministic.
 */
export function findCycles(nodes: readonly string[], edges: (node: string) => readonly string[]): string[][] {
  const color = new Map<string, 1 | 2>(); // 1 = on the stack, 2 = done
  const cycles: string[][] = [];
  const seen = new Set<string>();
  for (const start of nodes) {
    if (color.has(start)) continue;
    const stack: Array<{ node: string; next: number }> = [{ node: start, next: 0 }];
    const onPath: string[] = [start];
    color.set(start, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const out = edges(top.node);
      if (top.next >= out.length) {
        color.set(top.node, 2);
        stack.pop();
        onPath.pop();
        continue;
      }
      const target = out[top.next++]!;
      const c = color.get(target);
      if (c === 1) {
        const cycle = [...onPath.slice(onPath.lastIndexOf(target)), target];
        const key = [...new Set(cycle)].sort().join('\u0000');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (c === undefined) {
        color.set(target, 1);
        stack.push({ node: target, next: 0 });
        onPath.push(target);
      }
    }
  }
  return cycles;
}

/** Nodes reachable from `starts` (including them) following `edges`. */
export function reachable(starts: readonly string[], edges: (node: string) => readonly string[]): Set<string> {
  const seen = new Set<string>(starts);
  const queue = [...starts];
  while (queue.length > 0) {
    const node = queue.pop()!;
    for (const next of edges(node)) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}
