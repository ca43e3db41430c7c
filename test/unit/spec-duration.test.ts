import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../engine/spec/duration.js';

describe('parseDuration', () => {
  it('parses every unit', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1d')).toBe(86_400_000);
  });

  it('accepts numbers as milliseconds, compounds and fractions', () => {
    expect(parseDuration(250)).toBe(250);
    expect(parseDuration(0)).toBe(0);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5s')).toBe(1_500);
    expect(parseDuration(' 10s ')).toBe(10_000);
  });

  it('throws on garbage', () => {
    for (const bad of ['', 'abc', '10', '10 s', '5x', '-1s', 's', '1m2', '1e3ms']) {
      expect(() => parseDuration(bad), bad).toThrow(/invalid duration/);
    }
    expect(() => parseDuration(-1)).toThrow(RangeError);
    expect(() => parseDuration(Number.NaN)).toThrow(RangeError);
    expect(() => parseDuration(Infinity)).toThrow(RangeError);
  });
});
