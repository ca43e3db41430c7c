// The graphile-worker side of bench P6, run as its own OS process with plain `node` (like the
// built `openclaw` CLI, no TypeScript loader): a runner with `concurrency` slots and one task,
// `p6_chain`, that adds the next job of its chain until the chain has `length` jobs.
//
// Environment: DATABASE_URL (schema already migrated), P6_CONCURRENCY (8), P6_CHAIN_LENGTH (3).
// IPC with the bench: it sends {type:'ready'} once running; on {type:'expect', jobs} it resets its
// counter, answers {type:'expecting'} and later sends {type:'ran', jobs} when that many jobs have
// run (job:success fires just BEFORE the job's completion is written: the bench then waits for the
// jobs table to be empty); on {type:'stop'} or SIGTERM it stops the runner and exits 0.
import process from 'node:process';
import { Logger, run } from 'graphile-worker';

const connectionString = process.env.DATABASE_URL;
const concurrency = Number(process.env.P6_CONCURRENCY ?? 8);
const length = Number(process.env.P6_CHAIN_LENGTH ?? 3);
if (!connectionString || !process.send) {
  process.stderr.write('graphile-chain-process: needs DATABASE_URL and an IPC channel (started by bench P6)\n');
  process.exit(2);
}

const silent = new Logger(() => () => {});
let target = Infinity;
let ran = 0;

const runner = await run({
  connectionString,
  concurrency,
  noHandleSignals: true,
  logger: silent,
  taskList: {
    // Each job adds the next one of its chain (its own statement on the runner's pool), then returns.
    p6_chain: async (payload, helpers) => {
      const n = Number(payload?.n ?? 1);
      if (n < length) await helpers.addJob('p6_chain', { n: n + 1 });
    },
  },
});

runner.events.on('job:success', () => {
  ran++;
  if (ran === target) process.send({ type: 'ran', jobs: ran });
});
runner.events.on('job:error', ({ error }) => process.send({ type: 'error', message: String(error) }));

let stopping = null;
const stop = () => {
  stopping ??= runner.stop().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`graphile-chain-process: stop failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
process.on('message', (msg) => {
  if (msg?.type === 'expect') {
    ran = 0;
    target = Number(msg.jobs);
    process.send({ type: 'expecting' });
  } else if (msg?.type === 'stop') stop();
});
process.send({ type: 'ready' });
