/** The `wasm` task kind: skills (WebAssembly components) from the registry, run sandboxed. */
export { createWasmExecutor, DEFAULT_WASM_LIMITS, type WasmExecutor, type WasmExecutorOptions, type WasmLimits } from './executor.js';
export type { ResolveSkill, ResolvedSkill } from './types.js';
export {
  ALLOWED_IMPORTS,
  SKILL_EXPORT,
  checkSkillComponent,
  componentHeaderProblem,
  forbiddenImports,
  forbiddenImportMessage,
  inspectComponent,
  type ComponentShape,
} from './inspect.js';
