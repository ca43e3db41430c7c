/**
 * A skill's manifest (`skill.json` next to its source in wasm-skills/<name>/): who it is and the
 * JSON Schemas of its input and output. Stored with the component in the registry; the executor
 * validates every input against `inputSchema` before running and every output against
 * `outputSchema` after.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { EngineError } from '../errors.js';
import { parseVersion, SKILL_NAME_PATTERN } from './semver.js';

// ajv-formats is CommonJS; its default export is the plugin function.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export interface SkillManifest {
  /** `^[a-z][a-z0-9-]{0,62}$`. */
  name: string;
  /** `MAJOR.MINOR.PATCH`. */
  version: string;
  description?: string;
  /** JSON Schema of the step's `with:` (absent: anything). */
  inputSchema?: Record<string, unknown> | boolean;
  /** JSON Schema of the output (absent: any JSON). */
  outputSchema?: Record<string, unknown> | boolean;
  /** Build-time only: the JS entry file, relative to the skill's folder (default index.js). */
  entry?: string;
  /** Anything else the manifest holds is kept as is. */
  [key: string]: unknown;
}

/** Largest manifest (as JSON) the registry accepts. */
export const MAX_MANIFEST_BYTES = 256 * 1024;

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: false });
addFormats(ajv);

const NAME = new RegExp(SKILL_NAME_PATTERN);

/** Compiles a skill's schema (null when it has none); throws ajv's error for an invalid schema. */
export function compileSkillSchema(schema: unknown): ValidateFunction | null {
  if (schema === undefined || schema === null || schema === true) return null;
  return ajv.compile(schema as Record<string, unknown> | boolean);
}

/**
 * Checks a manifest; returns it (typed) or throws `invalid_request` listing every problem as
 * `{path, message}` (paths start at `/manifest`).
 */
export function validateManifest(value: unknown): SkillManifest {
  const problems: Array<{ path: string; message: string }> = [];
  const add = (path: string, message: string) => problems.push({ path: `/manifest${path}`, message });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    add('', 'must be an object with name, version, and optionally description, inputSchema and outputSchema');
  } else {
    const m = value as Record<string, unknown>;
    if (typeof m.name !== 'string' || !NAME.test(m.name)) add('/name', `must be a name matching ${SKILL_NAME_PATTERN}`);
    if (typeof m.version !== 'string' || !parseVersion(m.version)) add('/version', 'must be a version MAJOR.MINOR.PATCH, e.g. 1.0.0');
    if (m.description !== undefined && typeof m.description !== 'string') add('/description', 'must be a string');
    if (m.entry !== undefined && typeof m.entry !== 'string') add('/entry', 'must be a string');
    for (const key of ['inputSchema', 'outputSchema'] as const) {
      const s = m[key];
      if (s === undefined) continue;
      if (typeof s !== 'boolean' && (s === null || typeof s !== 'object' || Array.isArray(s))) {
        add(`/${key}`, 'must be a JSON Schema (an object or a boolean)');
        continue;
      }
      try {
        compileSkillSchema(s);
      } catch (err) {
        add(`/${key}`, `is not a valid JSON Schema: ${(err as Error).message}`);
      }
    }
    const size = Buffer.byteLength(JSON.stringify(m));
    if (size > MAX_MANIFEST_BYTES) add('', `is ${size} bytes as JSON, over the limit of ${MAX_MANIFEST_BYTES}`);
  }
  if (problems.length > 0) {
    const first = problems[0];
    throw new EngineError('invalid_request', `invalid skill manifest: ${first?.path}: ${first?.message}`, {
      details: problems,
    });
  }
  return value as SkillManifest;
}
