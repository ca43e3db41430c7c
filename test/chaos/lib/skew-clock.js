// Preloaded (`node --import`) into a chaos child whose wall clock is off: every Date (Date.now(),
// new Date() without arguments) is shifted by CHAOS_CLOCK_SKEW_MS milliseconds (negative: behind).
// Monotonic clocks (performance.now, process.hrtime, timers) are untouched, as on a machine whose
// NTP is wrong. The engine takes every lease, timer and retry time from the database clock, so
// nothing it decides may change. Plain JavaScript so that the built CLI runs without a loader.
const skew = Number(process.env.CHAOS_CLOCK_SKEW_MS ?? 0);
if (Number.isFinite(skew) && skew !== 0) {
  const RealDate = Date;
  class SkewedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + skew);
      else super(...args);
    }
    static now() {
      return RealDate.now() + skew;
    }
  }
  globalThis.Date = SkewedDate;
}
