/**
 * The four skills of wasm-skills/ (the steps of a typical ETL pipeline), each through the wasm
 * executor: real components, real jco transpile, worker threads.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createWasmExecutor, type WasmExecutor } from '../../engine/executors/wasm/index.js';
import type { TaskInvocation } from '../../engine/executors/types.js';
import type { BuiltSkill } from '../../cli/runtime/skill-build.js';
import { BUILD_TIMEOUT_MS, builtSkills, testWasmCacheDir } from './built-skills.js';
import { resolved } from './components.js';
import { wasmInvocation } from './invocation.js';

let skills: Map<string, BuiltSkill>;
let exec: WasmExecutor;

beforeAll(async () => {
  skills = await builtSkills();
  exec = createWasmExecutor({
    cacheDir: testWasmCacheDir(),
    resolveSkill: (name) => {
      const b = skills.get(name);
      return Promise.resolve(b ? resolved(new Uint8Array(b.component), b.manifest) : null);
    },
  });
}, BUILD_TIMEOUT_MS);

function invocationFor(skill: string, input: unknown, log: string[] = []): TaskInvocation {
  return wasmInvocation({ skill }, input, { stepLog: { write: (line) => log.push(line) } });
}

async function run(skill: string, input: unknown): Promise<{ output: unknown; log: string[] }> {
  const log: string[] = [];
  return { output: await exec.execute(invocationFor(skill, input, log)), log };
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e as Error & { retryable: boolean },
  );

describe('csv-to-json', () => {
  it('parses RFC 4180 CSV: header, quotes, escaped quotes, newlines in fields, CRLF, BOM, types', async () => {
    const csv =
      '\ufeffid,name,score,active,zip\r\n1,"Lovelace, Ada",9.5,true,01234\r\n2,"Grace ""Amazing"" Hopper",,false,"99"\r\n3,"two\nlines",-7,,x\r\n';
    const { output, log } = await run('csv-to-json@1', { csv, types: true });
    expect(output).toEqual({
      columns: ['id', 'name', 'score', 'active', 'zip'],
      rows: [
        { id: 1, name: 'Lovelace, Ada', score: 9.5, active: true, zip: '01234' },
        { id: 2, name: 'Grace "Amazing" Hopper', score: null, active: false, zip: '99' },
        { id: 3, name: 'two\nlines', score: -7, active: null, zip: 'x' },
      ],
      count: 3,
    });
    expect(log).toEqual(['[info] 3 rows, 5 columns']);
  });

  it('other delimiters, no header (rows are arrays), given column names', async () => {
    expect((await run('csv-to-json@1', { csv: 'a;b\n1;2\n', delimiter: ';', header: false })).output).toEqual({
      columns: [],
      rows: [
        ['a', 'b'],
        ['1', '2'],
      ],
      count: 2,
    });
    expect((await run('csv-to-json@1', { csv: '1\t2\n', delimiter: '\t', header: false, columns: ['x', 'y'] })).output).toEqual({
      columns: ['x', 'y'],
      rows: [{ x: '1', y: '2' }],
      count: 1,
    });
  });

  it('malformed CSV fails with CsvError naming the line; strict: false pads short rows', async () => {
    expect(await failure(run('csv-to-json@1', { csv: 'a,b\n1,2\n3,4,5\n' }))).toMatchObject({
      name: 'CsvError',
      message: 'line 3: 3 fields, expected 2 (a, b)',
      retryable: false,
    });
    expect(await failure(run('csv-to-json@1', { csv: 'a,b\n1,"open\n' }))).toMatchObject({
      name: 'CsvError',
      message: expect.stringContaining('line 2'),
    });
    expect((await run('csv-to-json@1', { csv: 'a,b\n1\n', strict: false })).output).toMatchObject({ rows: [{ a: '1', b: null }] });
  });

  it('rejects input that does not match its schema before running', async () => {
    expect(await failure(run('csv-to-json@1', { text: 'a,b' }))).toMatchObject({ name: 'InvalidInput', retryable: false });
    expect(await failure(run('csv-to-json@1', { csv: 'a\n1\n', fromArtifact: 'x' }))).toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('not both') as unknown,
    });
  });

  it('splits records itself where it can and leaves the rest to csv-parse: both give the same rows', async () => {
    // Unquoted, quoted (with a delimiter, quotes, CRLF and LF inside), empty fields, a trailing
    // delimiter, CR-only and LF line ends, empty lines.
    const csv = 'a,b,c\r\n1,"x, ""y""\r\nz",\n\n2,,"q"\r3,"",last\n"4","five\nlines",\n';
    const rows = [
      { a: 1, b: 'x, "y"\r\nz', c: null },
      { a: 2, b: null, c: 'q' },
      { a: 3, b: '', c: 'last' },
      { a: '4', b: 'five\nlines', c: null },
    ];
    // trim: true sends every record to csv-parse; these fields have no spaces to trim.
    for (const trim of [false, true]) {
      expect((await run('csv-to-json@1', { csv, types: true, trim })).output).toEqual({ columns: ['a', 'b', 'c'], rows, count: 4 });
    }
    // An empty line kept is a record of one empty field.
    expect(await failure(run('csv-to-json@1', { csv: 'a,b\n1,2\n\n3,4\n', skipEmptyLines: false }))).toMatchObject({
      message: 'line 3: 1 fields, expected 2 (a, b)',
    });
  });
});

describe('json-transform', () => {
  const orders = {
    orders: [
      {
        id: 1,
        status: 'paid',
        lines: [
          { qty: 2, price: 5 },
          { qty: 1, price: 3 },
        ],
      },
      { id: 2, status: 'new', lines: [{ qty: 1, price: 100 }] },
      { id: 3, status: 'paid', lines: [{ qty: 4, price: 1 }] },
    ],
  };

  it('evaluates a JSONata expression over the data, with bindings', async () => {
    const { output } = await run('json-transform@1', {
      expression: 'orders[status = "paid"].{ "id": id, "total": $sum(lines.(qty * price)) * $rate }',
      data: orders,
      bindings: { rate: 2 },
    });
    expect(output).toEqual([
      { id: 1, total: 26 },
      { id: 3, total: 8 },
    ]);
    expect((await run('json-transform@1', { expression: '$count(orders)', data: orders })).output).toBe(3);
    expect((await run('json-transform@1', { expression: 'nothing.here', data: orders })).output).toBeNull();
  });

  it('a bad expression fails with ExpressionError naming the position', async () => {
    expect(await failure(run('json-transform@1', { expression: 'orders[', data: orders }))).toMatchObject({
      name: 'ExpressionError',
      message: expect.stringContaining('position') as unknown,
      retryable: false,
    });
  });
});

describe('json-schema-validate', () => {
  const schema = {
    type: 'object',
    required: ['id', 'email'],
    additionalProperties: false,
    properties: { id: { type: 'integer' }, email: { type: 'string', format: 'email' } },
  };

  it('splits records into valid and invalid, with each problem', async () => {
    const records = [
      { id: 1, email: 'ada@example.com' },
      { id: 'two', email: 'not-an-email' },
      { id: 3 },
      { id: 4, email: 'g@h.io', extra: 1 },
    ];
    const { output } = await run('json-schema-validate@1', { schema, records });
    expect(output).toEqual({
      valid: [{ id: 1, email: 'ada@example.com' }],
      invalid: [
        {
          index: 1,
          record: records[1],
          errors: [
            { path: '/id', message: 'must be integer' },
            { path: '/email', message: 'must match format "email"' },
          ],
        },
        { index: 2, record: records[2], errors: [{ path: '/', message: "must have required property 'email'" }] },
        { index: 3, record: records[3], errors: [{ path: '/', message: 'must not have property "extra"' }] },
      ],
      validCount: 1,
      invalidCount: 3,
    });
  });

  it('onInvalid: fail fails the step with ValidationError; a broken schema with InvalidSchema', async () => {
    expect(await failure(run('json-schema-validate@1', { schema, records: [{ id: 1 }], onInvalid: 'fail' }))).toMatchObject({
      name: 'ValidationError',
      message: "1 of 1 records are invalid: record 0: / must have required property 'email'",
      retryable: false,
    });
    expect(await failure(run('json-schema-validate@1', { schema: { type: 'no-such-type' }, records: [] }))).toMatchObject({
      name: 'InvalidSchema',
    });
  });
});

describe('pii-redact', () => {
  it('redacts emails, phone numbers and Luhn-valid card numbers in every string, and counts them', async () => {
    const data = {
      customer: { email: 'ada@example.com', phone: '+1 (555) 123-4567', id: 'C-1001' },
      notes: [
        'call 555-123-4567 or +44 20 7946 0958, mail grace.hopper@navy.mil',
        'card 4111 1111 1111 1111, not a card 4111-1111-1111-1112',
        'order ORD-2024-000123 on 2024-01-15 10:30 from 192.168.1.1 for 1,234.50',
        'Paris: +33 1 09 75 83 51',
      ],
      amount: 4111111111111111,
    };
    const { output, log } = await run('pii-redact@1', { data });
    expect(output).toEqual({
      data: {
        customer: { email: '[REDACTED:email]', phone: '[REDACTED:phone]', id: 'C-1001' },
        notes: [
          'call [REDACTED:phone] or [REDACTED:phone], mail [REDACTED:email]',
          'card [REDACTED:card], not a card 4111-1111-1111-1112',
          'order ORD-2024-000123 on 2024-01-15 10:30 from 192.168.1.1 for 1,234.50',
          'Paris: [REDACTED:phone]',
        ],
        amount: 4111111111111111,
      },
      redactions: { email: 2, phone: 4, card: 1 },
    });
    expect(log).toEqual(['[info] redacted 2 emails, 4 phone numbers, 1 card numbers']);
  });

  it('only the types asked for, a custom replacement, and keys to skip', async () => {
    const { output } = await run('pii-redact@1', {
      data: { card: '5500 0055 5555 5559', contact: 'ada@example.com', owner: 'ada@example.com' },
      types: ['card', 'email'],
      replacement: '<{type} ending {last4}>',
      skipKeys: ['owner'],
    });
    expect(output).toEqual({
      data: { card: '<card ending 5559>', contact: '<email ending >', owner: 'ada@example.com' },
      redactions: { email: 1, phone: 0, card: 1 },
    });
  });
});

describe('loading', () => {
  it("transpiling a new component happens off the event loop (the worker's heartbeats keep going)", async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const { monitorEventLoopDelay } = await import('node:perf_hooks');
    // Running from TypeScript sources, the worker entry is transpiled with `typescript` (loading it
    // stalls ~0.5 s; built code does not do this): load it before measuring.
    await import('typescript');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'oc-wasm-cold-'));
    try {
      const cold = createWasmExecutor({
        cacheDir: dir,
        resolveSkill: (name) => {
          const b = skills.get(name);
          return Promise.resolve(b ? resolved(new Uint8Array(b.component), b.manifest) : null);
        },
      });
      const h = monitorEventLoopDelay({ resolution: 10 });
      h.enable();
      const started = Date.now();
      const out = await cold.execute({ ...invocationFor('json-transform@1', { expression: '1 + 1' }) });
      h.disable();
      expect(out).toBe(2);
      const maxMs = h.max / 1e6;
      // jco's transpile alone takes 1-3 s of CPU: on the main thread it would stall that long.
      expect(maxMs, `cold start ${Date.now() - started} ms, longest event loop stall ${maxMs.toFixed(0)} ms`).toBeLessThan(1000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
