/**
 * The web UI's editor and form logic (ui/src), without a browser: where the cursor is in a YAML spec
 * and what the workflow JSON Schema offers there; the server's problems placed at their line and
 * column; the start-a-run form's validator (cfworker, no eval) in react-jsonschema-form's terms.
 */
import { CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { EditorState } from '@codemirror/state';
import type { RJSFSchema } from '@rjsf/utils';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pathAt, schemaCompletion, type JsonSchema } from '../../ui/src/pages/editor/schema-completion.js';
import { diagnosticsOf } from '../../ui/src/pages/editor/diagnostics.js';
import { formValidator } from '../../ui/src/pages/workflow/form-validator.js';

const schema = JSON.parse(readFileSync(new URL('../../schema/workflow.json', import.meta.url), 'utf8')) as JsonSchema;

/** Completions at the `|` in `text`. */
function complete(text: string, explicit = true): string[] {
  const pos = text.indexOf('|');
  const state = EditorState.create({ doc: text.replace('|', '') });
  const res = schemaCompletion(schema)(new CompletionContext(state, pos, explicit)) as CompletionResult | null;
  return (res?.options ?? []).map((o) => o.label);
}

describe('the editor: where the cursor is', () => {
  it('follows block keys and sequence items by indentation', () => {
    const lines = ['name: x', 'triggers:', '  - cron: "0 3 * * *"', '    timezone: UTC', 'steps:', '  a:', '    retry:', '      delay: 1s'];
    expect(pathAt(lines, 8, 6, null)).toEqual(['steps', 'a', 'retry']);
    expect(pathAt(lines, 8, 4, null)).toEqual(['steps', 'a']);
    expect(pathAt(lines, 8, 0, null)).toEqual([]);
    expect(pathAt(lines, 4, 4, null)).toEqual(['triggers', '[]']);
    expect(pathAt(lines, 4, 4, 2)).toEqual(['triggers', '[]']); // a new `- ` item
  });

  it('offers the keys the schema allows there, and enum values', () => {
    expect(complete('|')).toEqual(expect.arrayContaining(['name', 'steps', 'states', 'triggers', 'inputs']));
    const stepKeys = complete('name: x\nsteps:\n  a:\n    run: echo\n    |');
    expect(stepKeys).toEqual(expect.arrayContaining(['needs', 'retry', 'timeout', 'forEach', 'with']));
    expect(complete('name: x\nsteps:\n  a:\n    retry:\n      |')).toEqual(expect.arrayContaining(['maxAttempts', 'backoff', 'delay']));
    expect(complete('name: x\nsteps:\n  a:\n    retry:\n      backoff: |')).toEqual(['exponential', 'fixed']);
    expect(complete('name: x\nconcurrency:\n  onOverlap: |')).toEqual(['queue', 'skip', 'cancel-running', 'allow']);
    expect(complete('name: x\ntriggers:\n  - |')).toEqual(expect.arrayContaining(['cron', 'webhook']));
    // Nothing unasked on an empty line.
    expect(complete('name: x\n|', false)).toEqual([]);
  });
});

describe('the editor: problems at their line and column', () => {
  it('underlines the word at the problem, or the line', () => {
    const state = EditorState.create({ doc: 'name: x\nsteps:\n  b:\n    needs: [frist]\n' });
    const [d] = diagnosticsOf(state, [{ path: '/steps/b/needs/0', message: 'unknown step', line: 4, column: 13 }]);
    expect(state.sliceDoc(d!.from, d!.to)).toBe('frist');
    expect(d!.message).toBe('/steps/b/needs/0: unknown step');
    const [whole] = diagnosticsOf(state, [{ path: '', message: 'bad', line: 99 }]);
    expect(whole!.from).toBe(state.doc.line(state.doc.lines).from); // clamped to the document
  });
});

describe('the start-a-run form validator', () => {
  const inputs: RJSFSchema = {
    type: 'object',
    properties: { amount: { type: 'number', minimum: 0 }, tags: { type: 'array', items: { type: 'string' } } },
    required: ['amount'],
  };
  it('reports errors at their field, a missing required property at that property', () => {
    const missing = formValidator.validateFormData({}, inputs);
    expect(missing.errors.map((e) => e.property)).toEqual(['.amount']);
    expect(missing.errorSchema).toEqual({ amount: { __errors: ['is required'] } });
    const bad = formValidator.validateFormData({ amount: -1, tags: ['a', 2] }, inputs);
    expect(bad.errors.map((e) => e.property).sort()).toEqual(['.amount', '.tags.1']);
    expect(formValidator.validateFormData({ amount: 3, tags: ['a'] }, inputs).errors).toEqual([]);
  });
  it('isValid, for matching oneOf branches', () => {
    expect(formValidator.isValid({ type: 'string' }, 'x', {})).toBe(true);
    expect(formValidator.isValid({ type: 'string' }, 1, {})).toBe(false);
  });
});
