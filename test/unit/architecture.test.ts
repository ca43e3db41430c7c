/**
 * House rules that the code's shape must keep (engine/README.md): no import cycles in engine/,
 * arrows pointing one way (engine never imports api/ or cli/), and only the model modules (and the
 * spec compiler) know which model a graph is.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

const compilerOptions = ts.parseJsonConfigFileContent(
  ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile).config,
  ts.sys,
  root,
).options;

/** Every file of `dir` with the project files it imports (type-only imports included), resolved by TypeScript itself. */
function importGraph(dir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(dir)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const deps: string[] = [];
    for (const imp of importedFiles) {
      const resolved = ts.resolveModuleName(imp.fileName, file, compilerOptions, ts.sys).resolvedModule;
      if (resolved && !resolved.isExternalLibraryImport && resolved.resolvedFileName.startsWith(root)) deps.push(resolved.resolvedFileName);
    }
    graph.set(file, deps);
  }
  return graph;
}

/** The strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(path.relative(root, w));
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('engine/ architecture', () => {
  const graph = importGraph(path.join(root, 'engine'));

  it('has no import cycle (type-only imports included)', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(cycles(graph)).toEqual([]);
  });

  it('the cycle check finds a cycle when there is one', () => {
    const a = path.join(root, 'a.ts');
    const b = path.join(root, 'b.ts');
    expect(
      cycles(
        new Map([
          [a, [b]],
          [b, [a]],
        ]),
      ),
    ).toEqual([['a.ts', 'b.ts']]);
  });

  it('never imports api/ or cli/', () => {
    const outward = [...graph].flatMap(([file, deps]) =>
      deps
        .filter((d) => /^(api|cli)\//.test(path.relative(root, d)))
        .map((d) => `${path.relative(root, file)} -> ${path.relative(root, d)}`),
    );
    expect(outward).toEqual([]);
  });

  it('only the model modules and the spec compiler ask which model a graph is', () => {
    const asks = /\.model\s*[!=]==|model\s*===\s*'(dag|sm)'|\bgraph\.model\b/;
    const offenders = [...tsFiles(path.join(root, 'engine')), ...tsFiles(path.join(root, 'api')), ...tsFiles(path.join(root, 'cli'))]
      .map((f) => path.relative(root, f))
      .filter((f) => !f.startsWith('engine/runs/models/') && !f.startsWith('engine/spec/'))
      .filter((f) => asks.test(readFileSync(path.join(root, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
