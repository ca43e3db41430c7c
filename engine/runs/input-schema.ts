import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { EngineError } from '../errors.js';

// ajv-formats is CommonJS; its default export is the plugin function.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: false });
addFormats(ajv);
const cache = new Map<string, ValidateFunction>();

/** Validates a run input against the workflow's `inputs` JSON Schema (compiled once per version). */
export function validateRunInput(versionId: string, schema: Record<string, unknown> | null, input: unknown): void {
  if (!schema) return;
  let validate = cache.get(versionId);
  if (!validate) {
    validate = ajv.compile(schema);
    if (cache.size > 500) cache.clear();
    cache.set(versionId, validate);
  }
  if (validate(input)) return;
  const errors = (validate.errors ?? []).map((e) => ({ path: `/input${e.instancePath}`, message: e.message ?? 'invalid' }));
  const first = errors[0];
  throw new EngineError('invalid_input', first ? `${first.path}: ${first.message}` : 'input does not match the workflow inputs schema', {
    details: errors,
  });
}
