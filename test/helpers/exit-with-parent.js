// Preloaded (`node --import`) into the CLI processes the e2e tests start: when the test process
// dies without stopping them (a crashed or killed vitest), the child is re-parented; it then stops
// itself with SIGINT, the same graceful stop as Ctrl-C (for `dev`: its embedded PostgreSQL too).
// Plain JavaScript so that the built CLI runs without a TypeScript loader.
const parent = process.ppid;
const timer = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(timer);
  process.kill(process.pid, 'SIGINT');
}, 500);
timer.unref();
