/**
 * A validator for react-jsonschema-form built on @cfworker/json-schema. rjsf's own (ajv) compiles
 * schemas to code with `new Function`, which the UI's CSP (script-src 'self', no 'unsafe-eval')
 * forbids; cfworker's interprets the schema instead. The server checks the input again when the run
 * starts (the workflow's `inputs`, with ajv), so this only has to be right for the common cases.
 */
import { Validator, type OutputUnit, type Schema } from '@cfworker/json-schema';
import {
  createErrorHandler,
  toErrorSchema,
  unwrapErrorHandler,
  validationDataMerge,
  type CustomValidator,
  type ErrorSchema,
  type ErrorTransformer,
  type RJSFSchema,
  type RJSFValidationError,
  type UiSchema,
  type ValidationData,
  type ValidatorType,
} from '@rjsf/utils';

/** Keywords whose errors only say that something inside failed; the inner error says what. */
const WRAPPERS = new Set(['properties', 'items', 'additionalItems', 'allOf', '$ref', 'dependencies', 'prefixItems', 'contains']);

const cache = new WeakMap<object, Validator>();

function validatorFor(schema: RJSFSchema, root?: RJSFSchema): Validator {
  const hit = cache.get(schema);
  if (hit) return hit;
  const v = new Validator(schema as Schema, '7', false);
  if (root && root !== schema && Object.keys(root).length > 0) {
    try {
      v.addSchema(root as Schema);
    } catch {
      // a root it cannot take: the schema's own $refs still resolve
    }
  }
  cache.set(schema, v);
  return v;
}

/** `#/a/0/b` -> `.a.0.b`; a missing required property is reported at that property. */
function toRjsfError(u: OutputUnit): RJSFValidationError {
  let pointer = u.instanceLocation.replace(/^#/, '');
  let message = u.error;
  if (u.keyword === 'required') {
    const m = /required property "([^"]+)"/.exec(u.error);
    if (m) {
      pointer = `${pointer}/${m[1]}`;
      message = 'is required';
    }
  }
  const property = pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => `.${s}`)
    .join('');
  return {
    name: u.keyword,
    property,
    message,
    stack: `${property ? `${property.slice(1)} ` : ''}${message}`.trim(),
    schemaPath: u.keywordLocation,
  };
}

function errorsOf(schema: RJSFSchema, data: unknown, root?: RJSFSchema): { errors: RJSFValidationError[]; failure?: Error } {
  try {
    const res = validatorFor(schema, root).validate(data);
    if (res.valid) return { errors: [] };
    const errors = res.errors.filter((e) => !WRAPPERS.has(e.keyword)).map(toRjsfError);
    return { errors: errors.length > 0 ? errors : res.errors.slice(0, 1).map(toRjsfError) };
  } catch (err) {
    return { errors: [], failure: err instanceof Error ? err : new Error(String(err)) };
  }
}

export const formValidator: ValidatorType = {
  validateFormData(
    formData: unknown,
    schema: RJSFSchema,
    customValidate?: CustomValidator,
    transformErrors?: ErrorTransformer,
    uiSchema?: UiSchema,
  ): ValidationData<unknown> {
    const { errors: raw, failure } = errorsOf(schema, formData);
    let errors = failure ? [...raw, { stack: `the inputs schema could not be used: ${failure.message}` } as RJSFValidationError] : raw;
    if (transformErrors) errors = transformErrors(errors, uiSchema);
    const errorSchema = toErrorSchema(errors) as ErrorSchema<unknown>;
    if (!customValidate) return { errors, errorSchema };
    const handler = customValidate(formData, createErrorHandler(formData), uiSchema, errorSchema);
    return validationDataMerge({ errors, errorSchema }, unwrapErrorHandler(handler));
  },
  isValid(schema: RJSFSchema, formData: unknown, rootSchema: RJSFSchema): boolean {
    const { errors, failure } = errorsOf(schema, formData, rootSchema);
    return !failure && errors.length === 0;
  },
  rawValidation<Result = unknown>(schema: RJSFSchema, formData?: unknown): { errors?: Result[]; validationError?: Error } {
    const { errors, failure } = errorsOf(schema, formData);
    return { errors: errors as Result[], ...(failure ? { validationError: failure } : {}) };
  },
};
