/**
 * The tar streams of container artifacts (engine/executors/container/tar.ts), checked against GNU
 * tar: what packTar writes, tar reads (long names included); what tar writes in its ustar, PAX and
 * GNU formats, readTar reads; the byte budget; a source of the wrong length.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, describe, expect, it } from 'vitest';
import { packTar, readTar, type PackEntry, type ReadOptions } from '../../engine/executors/container/tar.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openclaw-tar-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
/** A Readable of `bytes` in chunks of `chunk` bytes. */
const chunked = (bytes: Buffer, chunk = 1000): Readable =>
  Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
    })(),
  );
const file = (p: string, bytes: Buffer, extra: Partial<PackEntry> = {}): PackEntry => ({
  path: p,
  type: 'file',
  mode: 0o444,
  uid: 0,
  gid: 0,
  size: bytes.length,
  open: () => Promise.resolve(chunked(bytes)),
  ...extra,
});
const noLimit: ReadOptions = { maxFileBytes: Number.MAX_SAFE_INTEGER, tooLarge: () => new Error('too large') };

async function entries(tarBytes: Buffer, options = noLimit, read = true) {
  const out: Array<{ path: string; type: string; size: number; sha?: string }> = [];
  for await (const e of readTar(chunked(tarBytes, 777), options)) {
    out.push({ path: e.path, type: e.type, size: e.size, ...(read ? { sha: sha(await buffer(e.body)) } : {}) });
  }
  return out;
}

describe('packTar', () => {
  it('writes directories and files that GNU tar lists and extracts byte for byte, long names through a PAX header', async () => {
    const data = Buffer.from(Array.from({ length: 70_001 }, (_, i) => i % 251));
    const long = `in/${'n'.repeat(128)}`;
    const tarBytes = await buffer(
      packTar([
        { path: 'in', type: 'dir', mode: 0o555, uid: 0, gid: 0 },
        file('in/data', data),
        file(long, Buffer.from('x')),
        file('in/empty', Buffer.alloc(0)),
        { path: 'out', type: 'dir', mode: 0o700, uid: 65534, gid: 65534 },
      ]),
    );
    expect(tarBytes.length % 512).toBe(0);
    const archive = path.join(dir, 'packed.tar');
    fs.writeFileSync(archive, tarBytes);
    const listing = execFileSync('tar', ['-tvf', archive, '--numeric-owner'], { encoding: 'utf8' }).trim().split('\n');
    expect(listing.map((l) => l.split(/\s+/).slice(0, 3).concat(l.split(/\s+/).slice(-1)))).toEqual([
      ['dr-xr-xr-x', '0/0', '0', 'in/'],
      ['-r--r--r--', '0/0', '70001', 'in/data'],
      ['-r--r--r--', '0/0', '1', long],
      ['-r--r--r--', '0/0', '0', 'in/empty'],
      ['drwx------', '65534/65534', '0', 'out/'],
    ]);
    const into = path.join(dir, 'extracted');
    fs.mkdirSync(into);
    execFileSync('tar', ['-xf', archive, '-C', into]);
    expect(sha(fs.readFileSync(path.join(into, 'in/data')))).toBe(sha(data));
    // And it reads back what it wrote.
    expect((await entries(tarBytes)).map((e) => [e.path, e.type, e.size])).toEqual([
      ['in', 'dir', 0],
      ['in/data', 'file', 70_001],
      [long, 'file', 1],
      ['in/empty', 'file', 0],
      ['out', 'dir', 0],
    ]);
  });

  it('fails when a source gives fewer or more bytes than its declared size', async () => {
    await expect(buffer(packTar([file('in/a', Buffer.from('abc'), { size: 4 })]))).rejects.toThrow(/size mismatch/i);
    await expect(buffer(packTar([file('in/a', Buffer.from('abcde'), { size: 4 })]))).rejects.toThrow(/size mismatch/i);
  });
});

describe('readTar', () => {
  const src = path.join(dir, 'src');
  fs.mkdirSync(path.join(src, 'out', 'sub'), { recursive: true });
  const big = Buffer.alloc(300_000, 7);
  fs.writeFileSync(path.join(src, 'out', 'data'), big);
  fs.writeFileSync(path.join(src, 'out', 'sub', 'x'), 'x');
  fs.writeFileSync(path.join(src, 'out', 'l'.repeat(150)), 'long');
  fs.symlinkSync('/etc/passwd', path.join(src, 'out', 'link'));

  for (const format of ['gnu', 'pax', 'ustar']) {
    it(`reads GNU tar's ${format} format: names, types, sizes and bytes`, async () => {
      const names = ['out', 'out/data', 'out/link', 'out/sub', 'out/sub/x', ...(format === 'ustar' ? [] : [`out/${'l'.repeat(150)}`])];
      const tarBytes = execFileSync('tar', ['-c', `--format=${format}`, '-C', src, '--no-recursion', ...names]);
      const got = await entries(tarBytes);
      expect(got.map((e) => [e.path, e.type, e.size])).toEqual([
        ['out', 'dir', 0],
        ['out/data', 'file', big.length],
        ['out/link', 'symlink', 0],
        ['out/sub', 'dir', 0],
        ['out/sub/x', 'file', 1],
        ...(format === 'ustar' ? [] : [[`out/${'l'.repeat(150)}`, 'file', 4]]),
      ]);
      expect(got[1]?.sha).toBe(sha(big));
      // Bodies left unread are skipped.
      expect((await entries(tarBytes, noLimit, false)).map((e) => e.path)).toEqual(got.map((e) => e.path));
    });
  }

  it('fails with the caller’s error once the files’ bytes pass the budget, read or skipped', async () => {
    const tarBytes = execFileSync('tar', ['-c', '-C', src, 'out/data', 'out/sub/x']);
    const limited = { maxFileBytes: 100_000, tooLarge: (n: number) => new Error(`over: ${n}`) };
    await expect(entries(tarBytes, limited)).rejects.toThrow(/^over: 1\d{5}$/);
    await expect(entries(tarBytes, limited, false)).rejects.toThrow(/^over: /);
    await expect(entries(tarBytes, { ...limited, maxFileBytes: big.length + 1 })).resolves.toHaveLength(2);
  });

  it('refuses what is not a tar archive, and an archive cut short', async () => {
    await expect(entries(Buffer.alloc(1024, 1))).rejects.toThrow(/invalid tar header/i);
    const tarBytes = execFileSync('tar', ['-c', '-C', src, 'out/data']);
    await expect(entries(tarBytes.subarray(0, 5000))).rejects.toThrow(/unexpected end of data/i);
  });
});
