/**
 * The data boundary around JSONata evaluation. Expressions only ever see JSON data copied into
 * null-prototype objects (no host objects, no prototypes to reach or pollute), and only JSON
 * data comes back out, within a size budget. Regular expressions run on a linear-time engine:
 * see ./regex.ts.
 */

/** Copies JSON-compatible data into null-prototype objects; drops functions, symbols and undefined (as JSON does). */
export function toSandbox(value: unknown, maxDepth = 1000, depth = 0): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return value.toString();
    case 'object': {
      if (depth >= maxDepth) throw new Error(`expression scope is nested deeper than ${maxDepth} levels`);
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return toSandbox(toJSON.call(value), maxDepth, depth + 1);
      if (Array.isArray(value)) return value.map((v) => toSandbox(v, maxDepth, depth + 1) ?? null);
      const out = Object.create(null) as Record<string, unknown>;
      for (const key of Object.keys(value)) {
        const v = toSandbox((value as Record<string, unknown>)[key], maxDepth, depth + 1);
        if (v !== undefined) Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    case 'function':
    case 'symbol':
    case 'undefined':
      return undefined;
  }
  return undefined;
}

/** The message of a result over its size limit, naming the setting that raises it when there is one. */
export function resultTooLarge(maxBytes: number, limitName?: string): string {
  return `result is larger than ${maxBytes} bytes${limitName ? ` (${limitName}; raise it to allow larger values)` : ''}`;
}

/** Thrown by `fromSandbox` when a result is not JSON data or is too large. */
export class SandboxResultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxResultError';
  }
}

function isFunctionValue(v: unknown): boolean {
  if (typeof v === 'function') return true;
  if (v === null || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return o._jsonata_function === true || o._jsonata_lambda === true;
}

/**
 * Copies an evaluation result out as plain JSON data (arrays and plain objects; `__proto__` keys
 * stay ordinary data properties). Throws `SandboxResultError` for functions, non-finite numbers,
 * results nested deeper than `maxDepth` or bigger than about `maxBytes` of JSON.
 */
export function fromSandbox(value: unknown, limits: { maxBytes: number; maxDepth: number; limitName?: string }): unknown {
  let bytes = 0;
  const add = (n: number): void => {
    bytes += n;
    if (bytes > limits.maxBytes) throw new SandboxResultError(resultTooLarge(limits.maxBytes, limits.limitName));
  };
  const convert = (v: unknown, depth: number): unknown => {
    if (v === undefined) return undefined;
    if (v === null) {
      add(4);
      return null;
    }
    if (typeof v === 'string') {
      add(v.length + 2);
      return v;
    }
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new SandboxResultError('result is not a finite number');
      add(8);
      return v;
    }
    if (typeof v === 'boolean') {
      add(5);
      return v;
    }
    if (isFunctionValue(v)) throw new SandboxResultError('result is a function, not JSON data');
    if (typeof v !== 'object') throw new SandboxResultError(`result of type ${typeof v} is not JSON data`);
    if (depth >= limits.maxDepth) throw new SandboxResultError(`result is nested deeper than ${limits.maxDepth} levels`);
    add(2);
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      for (const item of v) {
        const c = convert(item, depth + 1);
        out.push(c === undefined ? null : c);
        add(1);
      }
      return out;
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v)) {
      const c = convert((v as Record<string, unknown>)[key], depth + 1);
      if (c === undefined) continue;
      add(key.length + 4);
      Object.defineProperty(out, key, { value: c, enumerable: true, writable: true, configurable: true });
    }
    return out;
  };
  return convert(value, 0);
}
