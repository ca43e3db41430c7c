/**
 * Core WebAssembly binary surgery: caps every memory a module defines at a maximum number of
 * pages, before the module is compiled. Node's worker `resourceLimits` bound the JS heap but not
 * WebAssembly linear memory; a memory with a maximum makes `memory.grow` past it fail (-1) inside
 * the guest, and V8 never reserves more. Only the memory section (id 5) is rewritten; every other
 * byte is copied as is.
 */

export const WASM_PAGE_BYTES = 65_536;

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
const SECTION_MEMORY = 5;
const FLAG_HAS_MAX = 0x01;
const FLAG_SHARED = 0x02;
const FLAG_MEMORY64 = 0x04;
const FLAG_PAGE_SIZE = 0x08;

export class WasmBinaryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WasmBinaryError';
  }
}

/** A memory's initial size is already over the cap: the module cannot even be instantiated. */
export class MemoryMinimumTooLarge extends Error {
  readonly minBytes: number;
  constructor(minBytes: number, limitBytes: number) {
    super(`the module needs ${minBytes} bytes of memory at start, over the limit of ${limitBytes} bytes`);
    this.name = 'MemoryMinimumTooLarge';
    this.minBytes = minBytes;
  }
}

class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }
  byte(): number {
    if (this.pos >= this.end) throw new WasmBinaryError('unexpected end of a section');
    return this.bytes[this.pos++] as number;
  }
  /** Unsigned LEB128, exact up to 2^53 (memory64 limits beyond that are refused). */
  uleb(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(result)) throw new WasmBinaryError('an integer in the module is too large');
        return result;
      }
      scale *= 128;
    }
    throw new WasmBinaryError('malformed LEB128 integer');
  }
}

function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n;
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) b |= 0x80;
    out.push(b);
  } while (v > 0);
  return out;
}

export interface MemoryPatchResult {
  bytes: Uint8Array;
  /** How many memories the module defines (imported memories are capped by their definer). */
  memories: number;
}

/**
 * Returns a copy of the core module with every defined memory's maximum set to at most
 * `maxPages` (added when absent, lowered when larger). Throws `MemoryMinimumTooLarge` when a
 * memory starts bigger than the cap, and `WasmBinaryError` for a malformed module, a shared
 * memory or a custom page size (refused rather than guessed).
 */
export function capMemories(module: Uint8Array, maxPages: number): MemoryPatchResult {
  if (module.length < 8 || MAGIC.some((b, i) => module[i] !== b)) throw new WasmBinaryError('not a WebAssembly module');
  if (module[4] !== 0x01 || module[5] !== 0x00 || module[6] !== 0x00 || module[7] !== 0x00) {
    throw new WasmBinaryError('not a core WebAssembly module (version 1)');
  }
  const parts: Uint8Array[] = [module.subarray(0, 8)];
  let memories = 0;
  let pos = 8;
  while (pos < module.length) {
    const header = new Reader(module, pos, module.length);
    const id = header.byte();
    const size = header.uleb();
    const bodyStart = header.pos;
    const bodyEnd = bodyStart + size;
    if (bodyEnd > module.length) throw new WasmBinaryError('a section runs past the end of the module');
    if (id !== SECTION_MEMORY) {
      parts.push(module.subarray(pos, bodyEnd));
      pos = bodyEnd;
      continue;
    }
    const r = new Reader(module, bodyStart, bodyEnd);
    const count = r.uleb();
    const body: number[] = [...uleb(count)];
    for (let i = 0; i < count; i++) {
      const flags = r.byte();
      if (flags & FLAG_SHARED) throw new WasmBinaryError('shared memories are not supported');
      if (flags & FLAG_PAGE_SIZE || flags > 0x07) throw new WasmBinaryError('custom memory page sizes are not supported');
      const min = r.uleb();
      const max = flags & FLAG_HAS_MAX ? r.uleb() : Infinity;
      if (min > maxPages) throw new MemoryMinimumTooLarge(min * WASM_PAGE_BYTES, maxPages * WASM_PAGE_BYTES);
      body.push((flags & FLAG_MEMORY64) | FLAG_HAS_MAX, ...uleb(min), ...uleb(Math.min(max, maxPages)));
      memories++;
    }
    if (r.pos !== bodyEnd) throw new WasmBinaryError('the memory section has trailing bytes');
    parts.push(Uint8Array.of(SECTION_MEMORY, ...uleb(body.length), ...body));
    pos = bodyEnd;
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return { bytes: out, memories };
}
