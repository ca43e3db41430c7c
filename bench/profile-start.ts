// Profiling aid (not part of `npm run bench`): where does Node CPU go in startRun()?
//   BENCH_DATABASE_URL=... node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile-start.ts
import { createEngine } from '../engine/index.js';
import { createLogger } from '../engine/telemetry/logger.js';

const engine = await createEngine({
  databaseUrl: process.env.BENCH_DATABASE_URL ?? '',
  migrate: true,
  logger: createLogger({ level: 'silent' }),
});
await engine.registerWorkflow('name: p\nsteps:\n  a: { run: noop }\n  b: { needs: [a], run: noop }\n  c: { needs: [b], run: noop }\n');
const n = Number(process.env.N ?? 2000);
const t = performance.now();
for (let i = 0; i < n; i++) await engine.startRun({ workflow: 'p' });
console.log(`${n} starts in ${(performance.now() - t).toFixed(0)} ms`);
await engine.close();
