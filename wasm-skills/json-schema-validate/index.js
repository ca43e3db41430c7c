// json-schema-validate: checks records against a JSON Schema (draft-07, ajv with formats such as
// email, date, date-time, uri, uuid) and splits them.
//
//   check:
//     wasm: { skill: json-schema-validate@1 }
//     with:
//       schema: { type: object, required: [id, email], properties: { id: { type: integer }, email: { type: string, format: email } } }
//       records: "${{ steps.parse.output.rows }}"
//
// Output: { valid: [...], invalid: [{ index, record, errors: [{ path, message }] }], validCount, invalidCount }.
// With `onInvalid: fail` any invalid record fails the step with `ValidationError` (not retried),
// naming the first problems. A schema ajv cannot compile fails with `InvalidSchema`.
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { defineSkill, SkillError } from '../lib/skill.js';

export const skill = defineSkill((input, { log }) => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  let validate;
  try {
    validate = ajv.compile(input.schema);
  } catch (err) {
    throw new SkillError('InvalidSchema', `the schema does not compile: ${err.message}`);
  }
  const maxErrors = input.maxErrors ?? 10;
  const valid = [];
  const invalid = [];
  input.records.forEach((record, index) => {
    if (validate(record)) {
      valid.push(record);
      return;
    }
    const errors = (validate.errors ?? []).slice(0, maxErrors).map((e) => ({ path: e.instancePath || '/', message: describe(e) }));
    invalid.push({ index, record, errors });
  });
  log.info(`${valid.length} valid, ${invalid.length} invalid of ${input.records.length} records`);
  if (invalid.length > 0 && input.onInvalid === 'fail') {
    const first = invalid
      .slice(0, 3)
      .map((r) => `record ${r.index}: ${r.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`)
      .join(' | ');
    throw new SkillError('ValidationError', `${invalid.length} of ${input.records.length} records are invalid: ${first}`);
  }
  return { valid, invalid, validCount: valid.length, invalidCount: invalid.length };
});

function describe(e) {
  if (e.keyword === 'additionalProperties') return `must not have property ${JSON.stringify(e.params.additionalProperty)}`;
  if (e.keyword === 'enum') return `must be one of ${JSON.stringify(e.params.allowedValues)}`;
  return e.message ?? e.keyword;
}
