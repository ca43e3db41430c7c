/**
 * Sizes in specs (`container.resources.memory`, `wasm.memory`): a number of bytes, or a string
 * such as `256Mi`, `1Gi`, `512M`. `Ki`, `Mi`, `Gi` are powers of 1024; `K`, `M`, `G` (or `k`, `m`,
 * `g`) are powers of 1000, as in Kubernetes (so `512M` is 512,000,000 bytes, not Docker's 512 MiB).
 */

const UNIT_BYTES: Record<string, number> = {
  '': 1,
  k: 1e3,
  m: 1e6,
  g: 1e9,
  ki: 1024,
  mi: 1024 ** 2,
  gi: 1024 ** 3,
};

/** The pattern the JSON Schema uses for size strings (`#/definitions/byteSize`; kept in sync with `parseByteSize`). */
export const BYTE_SIZE_PATTERN = '^[0-9]+(Ki|Mi|Gi|K|M|G|k|m|g)?$';

const SIZE = new RegExp(BYTE_SIZE_PATTERN);

/**
 * Parses a size into bytes.
 *
 * @param s A non-negative integer number of bytes, or a string matching {@link BYTE_SIZE_PATTERN}.
 * @throws RangeError on anything else (fractions, unknown units, negative numbers, sizes beyond 2^53).
 */
export function parseByteSize(s: string | number): number {
  if (typeof s === 'number') {
    if (!Number.isSafeInteger(s) || s < 0) throw new RangeError(`invalid size ${String(s)}: must be a non-negative whole number of bytes`);
    return s;
  }
  const text = s.trim();
  const m = SIZE.exec(text);
  const digits = m ? text.slice(0, text.length - (m[1]?.length ?? 0)) : '';
  const unit = UNIT_BYTES[(m?.[1] ?? '').toLowerCase()];
  const bytes = Number(digits) * (unit ?? NaN);
  if (!m || !Number.isSafeInteger(bytes)) {
    throw new RangeError(`invalid size ${JSON.stringify(s)}: use a number of bytes or a string like 256Mi, 1Gi or 512M`);
  }
  return bytes;
}

/** A byte count for messages: `268435456 bytes (256 MiB)`. */
export function describeBytes(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size) {
      const v = bytes / size;
      return `${bytes} bytes (${Number.isInteger(v) ? v : v.toFixed(1)} ${unit})`;
    }
  }
  return `${bytes} bytes`;
}
