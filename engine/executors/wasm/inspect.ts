/**
 * What a component imports and exports, and whether OpenClaw runs it. A skill is a component of
 * the world `openclaw:skill/skill-world@1.0.0` (wasm-skills/wit/skill.wit): it exports
 * `openclaw:skill/skill@1.0.0` and may import `openclaw:skill/host@1.0.0` — nothing else. No
 * WASI interface is granted (no filesystem, sockets, HTTP, clocks, random, stdio or environment);
 * componentize-js skills are built with every WASI feature disabled.
 */

/** The only imports a skill may have. */
export const ALLOWED_IMPORTS: readonly string[] = ['openclaw:skill/host@1.0.0', 'openclaw:skill/artifacts@1.0.0'];
/** The export every skill must have (with its `run` function). */
export const SKILL_EXPORT = 'openclaw:skill/skill@1.0.0';

export interface ComponentShape {
  /** World-level imports, with versions (`openclaw:skill/host@1.0.0`, `wasi:filesystem/types@0.2.3`, `some-func`). */
  imports: string[];
  exports: string[];
}

const CORE_MODULE_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const COMPONENT_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

/** Why bytes are not a component, or null when they look like one. */
export function componentHeaderProblem(bytes: Uint8Array): string | null {
  const starts = (h: number[]) => bytes.length >= 8 && h.every((b, i) => bytes[i] === b);
  if (starts(COMPONENT_HEADER)) return null;
  if (starts(CORE_MODULE_HEADER)) {
    return 'this is a core WebAssembly module, not a component: build it with componentize-js (see wasm-skills/README.md) or wrap it with `jco new`';
  }
  if (bytes.length >= 4 && CORE_MODULE_HEADER.slice(0, 4).every((b, i) => bytes[i] === b)) {
    return 'this WebAssembly binary has an unsupported version/layer (expected a component, layer 1)';
  }
  return 'this is not a WebAssembly component (it does not start with the \\0asm header)';
}

/** Reads a component's world (imports and exports) from its embedded type information. */
export async function inspectComponent(bytes: Uint8Array): Promise<ComponentShape> {
  const { componentWit } = await import('@bytecodealliance/jco');
  const wit = await componentWit(bytes);
  return parseWorld(wit);
}

/**
 * The imports and exports of the root world in `componentWit` output: lines `import NAME;`,
 * `import NAME: func(...)` or `import NAME: interface {` at the world's top level.
 */
export function parseWorld(wit: string): ComponentShape {
  const start = wit.search(/^world\s+[^\s{]+\s*\{/m);
  if (start < 0) throw new Error('the component has no world');
  const imports: string[] = [];
  const exports: string[] = [];
  let depth = 0;
  for (const raw of wit.slice(start).split('\n')) {
    const line = raw.trim();
    if (depth === 1) {
      const m = /^(import|export)\s+([^;:\s{]+(?::[^;:\s{/]+\/[^;\s{]+)?)/.exec(line);
      if (m?.[1] && m[2]) (m[1] === 'import' ? imports : exports).push(m[2]);
    }
    for (const ch of line) {
      if (ch === '{') depth++;
      else if (ch === '}') depth--;
    }
    if (depth === 0 && line.includes('}')) break;
  }
  return { imports, exports };
}

/** The imports OpenClaw does not grant. */
export function forbiddenImports(shape: ComponentShape): string[] {
  return shape.imports.filter((i) => !ALLOWED_IMPORTS.includes(i));
}

/** A one-line explanation for a refused component. */
export function forbiddenImportMessage(forbidden: string[]): string {
  const names = forbidden.map((f) => JSON.stringify(f)).join(', ');
  return (
    `the component imports ${names}, which OpenClaw does not grant: a skill may import only ` +
    `${ALLOWED_IMPORTS.join(', ')} (no filesystem, network, clocks, random or stdio). ` +
    'componentize-js skills must be built with `--disable stdio random clocks http fetch-event` (openclaw skills build does this)'
  );
}

/**
 * Why `bytes` cannot be registered as a skill (not a component, or it imports what OpenClaw does
 * not grant), or null when it can. What `openclaw skills build` checks after building.
 */
export async function checkSkillComponent(bytes: Uint8Array): Promise<string | null> {
  const problem = componentHeaderProblem(bytes);
  if (problem) return problem;
  const forbidden = forbiddenImports(await inspectComponent(bytes));
  return forbidden.length > 0 ? forbiddenImportMessage(forbidden) : null;
}
