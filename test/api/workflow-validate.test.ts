/** API: POST /v1/workflows/validate checks a spec like registering would, stores nothing, and is not audited. */
import { describe, expect, it } from 'vitest';
import { useApi, yamlHeaders } from '../helpers/api.js';
import { query } from '../helpers/engine.js';

const t = useApi('apivalidate');

const validate = (text: string, headers: Record<string, string> = yamlHeaders) =>
  t.call({ method: 'POST', url: '/v1/workflows/validate', headers, payload: text });

describe('POST /v1/workflows/validate', () => {
  it('a valid spec: its name, inputs, triggers and compiled graph; nothing is registered or audited', async () => {
    const spec = `name: checked
inputs:
  type: object
  properties: { n: { type: integer } }
triggers:
  - { cron: "0 3 * * *" }
steps:
  a: { run: echo, with: { n: 1 } }
  b: { needs: [a], run: noop }
`;
    const res = await validate(spec);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ valid: true, problems: [], name: 'checked', inputs: { type: 'object' } });
    expect(res.body.graph.model).toBe('dag');
    expect(Object.keys(res.body.graph.nodes)).toEqual(['a', 'b']);
    expect(res.body.triggers).toHaveLength(1);
    expect(await query(t.engine, `SELECT 1 FROM openclaw.workflow WHERE name = 'checked'`)).toHaveLength(0);
    expect(await query(t.engine, `SELECT 1 FROM openclaw.schedule WHERE workflow = 'checked'`)).toHaveLength(0);
    await t.engine.audit.flush();
    expect(await query(t.engine, `SELECT 1 FROM openclaw.audit_log WHERE route = '/v1/workflows/validate'`)).toHaveLength(0);
  });

  it('an invalid spec: 200 with the problems registering would answer, at their line and column', async () => {
    const bad = 'name: badcheck\nsteps:\n  a: { run: noop }\n  b: { needs: [a], rn: echo }\n';
    const res = await validate(bad);
    expect(res.status).toBe(200);
    expect(res.body.valid).toBe(false);
    expect(res.body.graph).toBeUndefined();
    const registered = await t.call({ method: 'POST', url: '/v1/workflows', headers: yamlHeaders, payload: bad });
    expect(registered.status).toBe(400);
    expect(res.body.problems).toEqual(registered.body.error.details);
    expect(res.body.problems[0]).toMatchObject({ line: 4 });

    const broken = await validate('name: [unclosed\nsteps: {}\n');
    expect(broken.body.valid).toBe(false);
    expect(broken.body.problems[0].line).toBeGreaterThanOrEqual(1);
    const empty = await validate('  \n');
    expect(empty.body).toEqual({ valid: false, problems: [{ path: '', message: 'empty spec' }] });
  });

  it('takes JSON too, with lines and columns', async () => {
    const json = JSON.stringify({ name: 'jsoncheck', steps: { a: { run: 'noop', needs: ['zz'] } } }, null, 2);
    const res = await validate(json, { 'content-type': 'application/json' });
    expect(res.body.valid).toBe(false);
    expect(res.body.problems[0]).toMatchObject({ path: '/steps/a/needs/0', line: 7 });
  });
});
