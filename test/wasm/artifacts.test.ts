/**
 * Artifacts through the skill interface (`openclaw:skill/artifacts`, docs/artifacts.md "WASM
 * skills"), in real runs: real PostgreSQL, the directory store, the worker's wasm executor. A fake
 * `http` executor produces the input artifacts and reads the outputs back; between them a wasm step
 * reads in chunks and writes through the bridge.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Executor, TaskInvocation } from '../../engine/index.js';
import { query, SLOW_MACHINE_LEASES, useEngine, waitForRun } from '../helpers/engine.js';
import { BUILD_TIMEOUT_MS, builtSkills, testWasmCacheDir } from './built-skills.js';
import { buildFixture, copyComponent } from './components.js';

const MiB = 1024 * 1024;
const t = useEngine('wasm-artifacts', {
  config: { wasmCacheDir: testWasmCacheDir(), ...SLOW_MACHINE_LEASES, artifactMaxBytes: 24 * MiB, maxJsonBytes: 24 * MiB },
});

/** What the fake producer writes, by name. */
const payloads = new Map<string, Buffer>();

/**
 * `with: { write: {artifact: payload} }` writes payloads (in 64 KiB chunks); `with: { read: {...} }`
 * reads every input and returns its size, digest and, for JSON Lines, the number of lines and the
 * rows at the given indexes.
 */
const fake: Executor = {
  kinds: ['http'],
  async execute(inv: TaskInvocation) {
    const spec = (inv.input ?? {}) as { write?: Record<string, string>; pick?: number[] };
    for (const [name, payload] of Object.entries(spec.write ?? {})) {
      const bytes = payloads.get(payload) ?? Buffer.from(payload);
      await inv.artifacts.write(name, Readable.from(chunks(bytes, 64 * 1024)));
    }
    const seen: Record<string, unknown> = {};
    for (const input of inv.artifacts.inputs) {
      const bytes = await buffer(await inv.artifacts.open(input.name));
      const lines = bytes.toString('utf8').split('\n');
      seen[input.name] = {
        size: bytes.length,
        sha256: sha(bytes),
        ...(spec.pick ? { lines: lines.length - 1, rows: spec.pick.map((i) => JSON.parse(lines[i] ?? 'null') as unknown) } : {}),
      };
    }
    return seen;
  },
};

function* chunks(bytes: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** Deterministic bytes that do not repeat with any short period. */
function noise(size: number): Buffer {
  const out = Buffer.alloc(size);
  let x = 0x2545f491;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

async function runSpec(spec: string) {
  const r = await t.engine.registerWorkflow(spec);
  const { runId } = await t.engine.startRun({ workflow: r.name });
  return await waitForRun(t.engine, runId, 180_000);
}

beforeAll(async () => {
  await t.engine.registerSkill({ manifest: { name: 'copy', version: '1.0.0' }, component: await copyComponent({ chunk: 4 * MiB }) });
  await t.engine.registerSkill({ manifest: { name: 'copy-thrice', version: '1.0.0' }, component: await copyComponent({ repeat: 3 }) });
  await t.engine.registerSkill({ manifest: { name: 'copy-source', version: '1.0.0' }, component: await copyComponent({ from: 'source' }) });
  const worker = t.engine.createWorker({ slots: 2, executors: [fake] });
  await worker.start();
});

describe('artifacts through the skill interface', () => {
  it('a wasm step reads a 6 MiB artifact in 1 MiB chunks within a 2 MiB memory cap and writes an output a later step reads', async () => {
    payloads.set('noise', noise(6 * MiB + 123));
    const run = await runSpec(`
name: wasm-copy
steps:
  produce:
    http: { url: "x" }
    with: { write: { data: noise } }
    artifacts: { out: [data] }
  copy:
    needs: [produce]
    wasm: { skill: copy@1, memory: 2Mi }
    artifacts: { in: { in: produce.data }, out: { out: { mediaType: application/octet-stream } } }
    timeout: 60s
  check:
    needs: [copy]
    http: { url: "x" }
    artifacts: { in: { copied: copy.out } }
`);
    expect(run.steps.filter((s) => s.error).map((s) => [s.key, s.error])).toEqual([]);
    expect(run.status).toBe('succeeded');
    const noiseBytes = payloads.get('noise') as Buffer;
    // 7 reads (the skill asked for 4 MiB each: the host gives at most 1 MiB), and `size` saw the whole artifact.
    expect(run.steps.find((s) => s.key === 'copy')?.output).toEqual([7, noiseBytes.length]);
    expect(run.steps.find((s) => s.key === 'check')?.output).toEqual({ copied: { size: noiseBytes.length, sha256: sha(noiseBytes) } });
    const rows = await query<{ step_key: string; name: string; size: string; sha256: string }>(
      t.engine,
      `SELECT step_key, name, size, sha256 FROM openclaw.artifact WHERE run_id = $1 ORDER BY step_key`,
      [run.id],
    );
    expect(rows).toEqual([
      { step_key: 'copy', name: 'out', size: String(noiseBytes.length), sha256: sha(noiseBytes) },
      { step_key: 'produce', name: 'data', size: String(noiseBytes.length), sha256: sha(noiseBytes) },
    ]);
  });

  it('writing past OPENCLAW_ARTIFACT_MAX_BYTES fails the step with ArtifactTooLarge and attaches nothing', async () => {
    payloads.set('nine', noise(9 * MiB));
    const run = await runSpec(`
name: wasm-too-large
steps:
  produce: { http: { url: "x" }, with: { write: { data: nine } }, artifacts: { out: [data] } }
  copy:
    needs: [produce]
    wasm: { skill: copy-thrice@1 }
    artifacts: { in: { in: produce.data }, out: [out] }
    retry: { maxAttempts: 3, delay: 10ms }
`);
    expect(run.status).toBe('failed');
    const copy = run.steps.find((s) => s.key === 'copy');
    expect(copy).toMatchObject({ status: 'dead', attempt: 1, error: { name: 'ArtifactTooLarge' } });
    expect(JSON.stringify(copy?.error)).toContain('OPENCLAW_ARTIFACT_MAX_BYTES');
    expect(await query(t.engine, `SELECT name FROM openclaw.artifact WHERE run_id = $1 AND step_key = 'copy'`, [run.id])).toEqual([]);
  });

  it('a skill asking for an artifact its step does not declare fails with InvalidTask naming what the step has', async () => {
    const stepError = async (name: string, skill: string, artifacts: string) => {
      const run = await runSpec(`
name: ${name}
steps:
  produce: { http: { url: "x" }, with: { write: { data: hello } }, artifacts: { out: [data] } }
  copy: { needs: [produce], wasm: { skill: ${skill} }, artifacts: ${artifacts}, retry: { maxAttempts: 2, delay: 10ms } }
`);
      expect(run.status).toBe('failed');
      return run.steps.find((s) => s.key === 'copy');
    };
    expect(await stepError('wasm-undeclared-in', 'copy@1', '{ in: { source: produce.data }, out: [out] }')).toMatchObject({
      attempt: 1,
      error: {
        name: 'InvalidTask',
        message: expect.stringContaining('read input artifact "in", which this step does not have (its inputs: source)') as unknown,
      },
    });
    expect(await stepError('wasm-undeclared-out', 'copy-source@1', '{ in: { source: produce.data }, out: [result] }')).toMatchObject({
      attempt: 1,
      error: {
        name: 'InvalidTask',
        message: expect.stringContaining('wrote output artifact "out", which this step does not declare (its outputs: result)') as unknown,
      },
    });
  });

  it('a component may import the artifacts interface; one importing anything else is still refused', async () => {
    const copy = await copyComponent();
    await expect(t.engine.registerSkill({ manifest: { name: 'copy-again', version: '1.0.0' }, component: copy })).resolves.toMatchObject({
      created: true,
    });
    await expect(
      t.engine.registerSkill({ manifest: { name: 'evil', version: '1.0.0' }, component: await buildFixture('forbiddenImport') }),
    ).rejects.toMatchObject({ details: { forbiddenImports: ['evil:net/socket@0.1.0'] } });
  });
});

/**
 * `rows` CSV rows, with the cases that must survive the boundaries of 256 KiB reads placed on
 * them (by padding a row's note): a CRLF split between two reads, a quoted field with a line
 * break split between two reads, a 3-byte UTF-8 character split between two reads.
 */
function ordersCsv(rows: number): { csv: Buffer; expected: (i: number) => Record<string, unknown> } {
  const K = 256 * 1024;
  const parts: string[] = ['id,customer,amount,status,note\r\n'];
  let length = Buffer.byteLength(parts[0] ?? '');
  const notes = new Map<number, string>();
  const line = (i: number, note: string) =>
    `${i},customer-${i % 97},${((i * 7.31) % 1000).toFixed(2)},${i % 3 ? 'paid' : 'new'},${note}\r\n`;
  /** Where the note of row i starts, from the start of the row. */
  const noteAt = (i: number) => line(i, '').indexOf('\r');
  for (let i = 0; i < rows; i++) {
    let text = line(i, i % 10 === 0 ? `"plain, quoted ${i}"` : `note ${i}`);
    if (i === 3000) {
      // Its CR is the last byte of the first read, its LF the first of the second.
      const note = 'x'.repeat(K - 1 - length - noteAt(i));
      notes.set(i, note);
      text = line(i, note);
    } else if (i === 6000) {
      // The CRLF inside the quoted note is split between the second and third reads.
      const pad = 'z'.repeat(2 * K - 1 - length - noteAt(i) - '"with ""quotes"" and'.length);
      notes.set(i, `${pad}with "quotes" and\r\na line break`);
      text = line(i, `"${pad}with ""quotes"" and\r\na line break"`);
    } else if (i === 9000) {
      // The euro sign's three bytes are split between the third and fourth reads.
      const note = `${'y'.repeat(3 * K - 1 - length - noteAt(i))}€uro`;
      notes.set(i, note);
      text = line(i, note);
    }
    parts.push(text);
    length += Buffer.byteLength(text);
  }
  const expected = (i: number) => ({
    id: i,
    customer: `customer-${i % 97}`,
    amount: Number(((i * 7.31) % 1000).toFixed(2)),
    status: i % 3 ? 'paid' : 'new',
    note: notes.get(i) ?? (i % 10 === 0 ? `plain, quoted ${i}` : `note ${i}`),
  });
  const csv = Buffer.from(parts.join(''));
  // The cases are where they should be.
  if (csv[K - 1] !== 0x0d || csv[K] !== 0x0a || csv[2 * K - 1] !== 0x0d || csv[3 * K - 1] !== 0xe2) throw new Error('misplaced');
  return { csv, expected };
}

describe('csv-to-json with artifacts', () => {
  it(
    'reads a 100,000-row CSV artifact in chunks and writes its rows as JSON Lines, within 128 MiB of memory',
    async () => {
      const b = (await builtSkills()).get('csv-to-json');
      if (!b) throw new Error('csv-to-json was not built');
      await t.engine.registerSkill({ manifest: b.manifest, component: b.component });
      const { csv, expected } = ordersCsv(100_000);
      payloads.set('orders', csv);
      const pick = [0, 2999, 3000, 3001, 5999, 6000, 6001, 8999, 9000, 9001, 99_999];
      const run = await runSpec(`
name: wasm-csv-artifacts
steps:
  extract:
    http: { url: "x" }
    with: { write: { orders: orders } }
    artifacts: { out: { orders: { mediaType: text/csv } } }
  clean:
    needs: [extract]
    wasm: { skill: csv-to-json@1, memory: 128Mi }
    with: { fromArtifact: orders, toArtifact: rows, types: true }
    artifacts: { in: { orders: extract.orders }, out: { rows: { mediaType: application/x-ndjson } } }
    timeout: 150s
  load:
    needs: [clean]
    http: { url: "x" }
    with: { pick: [${pick.join(', ')}] }
    artifacts: { in: { rows: clean.rows } }
`);
      expect(run.steps.filter((s) => s.error).map((s) => [s.key, s.error])).toEqual([]);
      expect(csv.length).toBeGreaterThan(4 * MiB);
      const clean = run.steps.find((s) => s.key === 'clean')?.output as { count: number; columns: string[]; artifact: { bytes: number } };
      expect(clean).toMatchObject({
        columns: ['id', 'customer', 'amount', 'status', 'note'],
        count: 100_000,
        artifact: { name: 'rows', format: 'jsonl' },
      });
      const load = (run.steps.find((s) => s.key === 'load')?.output as { rows: { size: number; lines: number; rows: unknown[] } }).rows;
      expect(load).toMatchObject({ size: clean.artifact.bytes, lines: 100_000 });
      expect(load.rows).toEqual(pick.map(expected));
      const logs = await t.engine.queries.getStepLogs(run.id, 'clean', {});
      expect(logs.items.map((l) => l.message)).toEqual(['[info] 100000 rows, 5 columns']);
    },
    BUILD_TIMEOUT_MS,
  );

  it('names the line of a malformed record far into the artifact (lines counted across chunks)', async () => {
    const { csv } = ordersCsv(12_000);
    payloads.set('broken', Buffer.concat([csv, Buffer.from('12000,customer-x,1.00,paid\r\n')]));
    const run = await runSpec(`
name: wasm-csv-broken
steps:
  extract: { http: { url: "x" }, with: { write: { orders: broken } }, artifacts: { out: [orders] } }
  clean:
    needs: [extract]
    wasm: { skill: csv-to-json@1 }
    with: { fromArtifact: orders, toArtifact: rows }
    artifacts: { in: { orders: extract.orders }, out: [rows] }
    timeout: 60s
`);
    // Header + 12,000 rows, one of which spans two lines: the bad record is on line 12,003.
    expect(run.steps.find((s) => s.key === 'clean')?.error).toMatchObject({
      name: 'CsvError',
      message: 'line 12003: 4 fields, expected 5 (id, customer, amount, status, note)',
    });
  });
});
