/** Parsing of flag values: integers, ports, and JSON given inline, as `@file`, or as `@-` (stdin). */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { UsageError } from './errors.js';

/** commander argParser: an integer >= min (and <= max). */
export function intArg(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\s*-?\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER ? `expected an integer >= ${min}` : `expected an integer from ${min} to ${max}`,
      );
    }
    return n;
  };
}

export const portArg = intArg(0, 65535);

/**
 * `--input '{"a":1}'`, `--input @input.json`, `--input @-` (stdin). Throws a UsageError naming the
 * flag when the text is not JSON or the file cannot be read.
 */
export function readJsonArg(value: string, flag: string, readStdin: () => string = () => readFileSync(0, 'utf8')): unknown {
  let text = value;
  let source = flag;
  if (value.startsWith('@')) {
    const file = value.slice(1);
    source = `${flag} ${value}`;
    try {
      text = file === '-' ? readStdin() : readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`${source}: cannot read ${file === '-' ? 'stdin' : file}: ${(err as Error).message}`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError(`${source}: not valid JSON (${(err as Error).message})`);
  }
}
