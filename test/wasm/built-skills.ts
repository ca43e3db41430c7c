/**
 * The skills of wasm-skills/, built once per test run: `npm test` builds them in `pretest`
 * (`npm run build:skills`, cached by source hash), so this only reads dist/; running a test file
 * directly builds what is missing or stale (~10-20 s per skill, under a lock shared by files).
 */
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSkills, type BuiltSkill } from '../../cli/runtime/skill-build.js';

export const SKILLS_DIR = fileURLToPath(new URL('../../wasm-skills/', import.meta.url));

/** Transpiled components shared by the test files of this user (keyed by digest, so never stale). */
export function testWasmCacheDir(): string {
  const dir = path.join(os.tmpdir(), `openclaw-wasm-test-${process.getuid?.() ?? 'user'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

let built: Promise<Map<string, BuiltSkill>> | undefined;

export function builtSkills(): Promise<Map<string, BuiltSkill>> {
  built ??= buildSkills(SKILLS_DIR).then((list) => new Map(list.map((b) => [b.manifest.name, b])));
  return built;
}

/** Generous: a cold build of all four takes ~40 s alone, longer while other test files run. */
export const BUILD_TIMEOUT_MS = 600_000;
