import { describe, expect, it } from 'vitest';
import { capMemories, MemoryMinimumTooLarge, WasmBinaryError } from '../../engine/executors/wasm/binary.js';

// (module (memory (export "m") 2)) and (module (memory (export "m") 1 100)) by hand.
const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const exportMem = [0x07, 0x05, 0x01, 0x01, 0x6d, 0x02, 0x00];
const moduleWith = (limits: number[]) => Uint8Array.from([...header, 0x05, limits.length + 1, 0x01, ...limits, ...exportMem]);

const maxOf = async (bytes: Uint8Array): Promise<number | undefined> => {
  const WA = (
    globalThis as unknown as {
      WebAssembly: {
        instantiate(b: Uint8Array): Promise<{ instance: { exports: Record<string, { grow(n: number): number; buffer: ArrayBuffer }> } }>;
      };
    }
  ).WebAssembly;
  const { instance } = await WA.instantiate(bytes);
  const mem = instance.exports.m;
  if (!mem) throw new Error('no memory');
  // Grow one page at a time until it fails: the page count then is the maximum.
  for (let i = 0; i < 1000; i++) {
    try {
      mem.grow(1);
    } catch {
      return mem.buffer.byteLength / 65_536;
    }
  }
  return undefined;
};

describe('capMemories', () => {
  it('adds a maximum to a memory that has none', async () => {
    const m = moduleWith([0x00, 0x02]);
    expect(await maxOf(m)).toBeUndefined();
    const { bytes, memories } = capMemories(m, 10);
    expect(memories).toBe(1);
    expect(await maxOf(bytes)).toBe(10);
  });

  it('lowers a larger maximum and keeps a smaller one', async () => {
    expect(await maxOf(capMemories(moduleWith([0x01, 0x01, 0x64]), 10).bytes)).toBe(10);
    expect(await maxOf(capMemories(moduleWith([0x01, 0x01, 0x05]), 10).bytes)).toBe(5);
  });

  it('refuses a memory that starts above the cap, and what is not a core module', () => {
    expect(() => capMemories(moduleWith([0x00, 0x20]), 16)).toThrow(MemoryMinimumTooLarge);
    expect(() => capMemories(Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]), 16)).toThrow(WasmBinaryError);
    expect(() => capMemories(Uint8Array.from([1, 2, 3]), 16)).toThrow(WasmBinaryError);
    // shared memory (flags 0x03) is refused rather than guessed
    expect(() => capMemories(moduleWith([0x03, 0x01, 0x02]), 16)).toThrow(/shared/);
  });

  it('copies every other section unchanged', () => {
    const m = moduleWith([0x00, 0x02]);
    const out = capMemories(m, 10).bytes;
    expect([...out.slice(-exportMem.length)]).toEqual(exportMem);
  });
});
