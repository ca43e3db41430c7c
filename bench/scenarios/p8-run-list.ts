/**
 * P8 run list: every filter the web UI's runs list offers, at 1,000,000 runs (BENCH_P8_RUNS), in
 * server time. The runs are bulk-loaded with SQL into one namespace: 10 workflows, created over 30
 * days; 100 failed, about 100 cancelled, none queued, running or waiting, the rest succeeded;
 * triggers 90 % api, 5 % cron, 5 % webhook; an idempotency key on 1 run in 100. Then VACUUM
 * ANALYZE, and each filter's first page (50 runs, as the UI asks) is read with the engine's own
 * query (`queries.listRuns`, what `GET /v1/runs` runs) BENCH_P8_REPEAT times after 3 warm-ups: the
 * median, p90 and max in ms (the engine's call: the statement and its round trip on this host), the
 * page size it returned, and the next page's time. The target (issue 12): every filter under 20 ms.
 */
import type pg from 'pg';
import type { Engine } from '../../engine/index.js';
import type { BenchContext, Figures, Scenario } from '../lib/harness.js';
import { round, summarize } from '../lib/stats.js';

const RUNS = Number(process.env.BENCH_P8_RUNS ?? 1_000_000);
const REPEAT = Number(process.env.BENCH_P8_REPEAT ?? 20);
const CHUNK = 100_000;
const WORKFLOWS = 10;
const TARGET_MS = 20;
const log = (m: string): void => void process.stderr.write(`[bench] P8 ${m}\n`);

const LOAD = `
INSERT INTO openclaw.run (id, namespace, workflow, version, version_id, status, input, output, error, input_hash,
                          trigger, idempotency_key, created_at, started_at, finished_at, updated_at)
SELECT gen_random_uuid(), 'default', 'list-' || (i % ${WORKFLOWS}), 1, ($5::bigint[])[(i % ${WORKFLOWS}) + 1],
       CASE WHEN i % 10000 = 0 THEN 'failed' WHEN i % 10000 = 5000 THEN 'cancelled' ELSE 'succeeded' END,
       '{}'::jsonb, '{"ok":true}'::jsonb,
       CASE WHEN i % 10000 = 0 THEN '{"name":"Boom","message":"boom","attempt":1}'::jsonb END,
       md5(i::text),
       CASE WHEN i % 20 = 0 THEN '{"type":"cron"}' WHEN i % 20 = 1 THEN '{"type":"webhook"}' ELSE '{"type":"api"}' END::jsonb,
       CASE WHEN i % 100 = 7 THEN 'key-' || i END,
       t, t, t + interval '80 ms', t + interval '80 ms'
  FROM (SELECT i, now() - (($4::int - i) * ($3::float8 * interval '1 ms')) AS t
          FROM generate_series($1::int, $2::int) AS i) g`;

interface Filter {
  name: string;
  opts: Record<string, string>;
}

function filters(now: number, sampleKey: string): Filter[] {
  const iso = (msAgo: number): string => new Date(now - msAgo).toISOString();
  const H = 3_600_000;
  return [
    { name: 'none (first page)', opts: {} },
    { name: 'status=failed (1 run in 10,000)', opts: { status: 'failed' } },
    { name: 'status=cancelled', opts: { status: 'cancelled' } },
    { name: 'status=succeeded', opts: { status: 'succeeded' } },
    { name: 'status=running (none)', opts: { status: 'running' } },
    { name: 'status=queued (none)', opts: { status: 'queued' } },
    { name: 'status=waiting (none)', opts: { status: 'waiting' } },
    { name: 'workflow', opts: { workflow: 'list-3' } },
    { name: 'workflow + status=failed', opts: { workflow: 'list-0', status: 'failed' } },
    { name: 'workflow + status=running (none)', opts: { workflow: 'list-3', status: 'running' } },
    { name: 'trigger=cron', opts: { trigger: 'cron' } },
    { name: 'trigger=webhook', opts: { trigger: 'webhook' } },
    { name: 'trigger=retry (none)', opts: { trigger: 'retry' } },
    { name: 'status=failed + trigger=api', opts: { status: 'failed', trigger: 'api' } },
    { name: 'workflow + trigger=cron', opts: { workflow: 'list-0', trigger: 'cron' } },
    { name: 'last hour', opts: { since: iso(H) } },
    { name: 'last 7 days', opts: { since: iso(7 * 24 * H) } },
    { name: 'a day 20 days ago (since + until)', opts: { since: iso(21 * 24 * H), until: iso(20 * 24 * H) } },
    { name: 'status=failed + last 7 days', opts: { status: 'failed', since: iso(7 * 24 * H) } },
    { name: 'idempotency key', opts: { idempotencyKey: sampleKey } },
  ];
}

async function time(api: Engine, opts: Record<string, string>): Promise<{ ms: number[]; items: number; cursor: string | null }> {
  let items = 0;
  let cursor: string | null = null;
  for (let i = 0; i < 3; i++) await api.queries.listRuns({ ...opts, limit: 50 });
  const ms: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const t = performance.now();
    const page = await api.queries.listRuns({ ...opts, limit: 50 });
    ms.push(performance.now() - t);
    items = page.items.length;
    cursor = page.nextCursor;
  }
  return { ms, items, cursor };
}

async function load(pool: pg.Pool, versionIds: string[]): Promise<number> {
  const spacingMs = (30 * 24 * 3_600_000) / RUNS;
  const t = performance.now();
  for (let from = 1; from <= RUNS; from += CHUNK) {
    const to = Math.min(RUNS, from + CHUNK - 1);
    await pool.query(LOAD, [from, to, spacingMs, RUNS, versionIds]);
    log(`loaded ${to.toLocaleString('en')} runs`);
  }
  await pool.query('VACUUM ANALYZE openclaw.run');
  return round((performance.now() - t) / 1000, 1);
}

export const p8RunList: Scenario = {
  id: 'P8',
  title: `runs list: every filter of the UI at ${RUNS.toLocaleString('en')} runs`,
  async run(ctx: BenchContext): Promise<Figures> {
    const db = await ctx.database('p8');
    const api = await ctx.engine(db.url, { migrate: true });
    const pool = ctx.pool(db.url, 2);
    const versionIds: string[] = [];
    for (let w = 0; w < WORKFLOWS; w++) {
      const r = await api.registerWorkflow(`name: list-${w}\nsteps:\n  a: { run: noop }\n`);
      versionIds.push(r.versionId);
    }
    const loadSeconds = await load(pool, versionIds);
    const { rows: sizes } = await pool.query<{ mb: number }>(`SELECT round(pg_total_relation_size('openclaw.run') / 1048576.0) AS mb`);
    const { rows: keyRow } = await pool.query<{ k: string }>(
      `SELECT idempotency_key AS k FROM openclaw.run WHERE idempotency_key IS NOT NULL LIMIT 1`,
    );
    const results: Record<string, unknown> = {};
    let worst = 0;
    for (const f of filters(Date.now(), keyRow[0]!.k)) {
      const first = await time(api, f.opts);
      const s = summarize(first.ms);
      worst = Math.max(worst, s.p50);
      const row: Record<string, unknown> = { p50_ms: s.p50, p90_ms: s.p90, max_ms: s.max, page: first.items };
      if (first.cursor) {
        // The next page too (the cursor's keyset condition).
        const t = performance.now();
        await api.queries.listRuns({ ...f.opts, limit: 50, cursor: first.cursor });
        row.next_page_ms = round(performance.now() - t, 2);
      }
      results[f.name] = row;
      log(`${f.name}: p50 ${s.p50} ms, p90 ${s.p90} ms, ${first.items} runs`);
    }
    return {
      scenario: 'P8',
      conditions: ctx.conditions(0, 0, {
        runs: RUNS,
        workflows: WORKFLOWS,
        run_table_mb: Number(sizes[0]!.mb),
        load_s: loadSeconds,
        repeat: REPEAT,
      }),
      target_ms: TARGET_MS,
      worst_p50_ms: round(worst, 2),
      met: worst < TARGET_MS,
      filters: results,
    };
  },
};
