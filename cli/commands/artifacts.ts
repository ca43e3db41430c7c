/**
 * `openclaw artifacts <run-id>`: the files a run's steps wrote; `openclaw artifact get <id>`: one
 * of them, streamed to a file (-o) or to stdout, its SHA-256 checked against the server's on the way.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Command } from 'commander';
import type { Artifact } from '../../client/index.js';
import { clientOf, contextOf, withUrl } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { formatTime, table } from '../output.js';

/** `532 B`, `1.5 KiB`, `12.0 MiB`, `2.25 GiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[i]}`;
}

export function artifactsTable(items: Artifact[]): string {
  return table(
    ['ID', 'STEP', 'NAME', 'SIZE', 'MEDIA TYPE', 'SHA256', 'CREATED'],
    items.map((a) => [
      a.id,
      a.stepKey ?? '-',
      a.name,
      formatBytes(a.size),
      a.mediaType,
      a.sha256.slice(0, 12),
      formatTime(a.createdAt) + (a.cachedFrom ? ' (cached)' : ''),
    ]),
  );
}

function registerList(program: Command): void {
  withUrl(
    program
      .command('artifacts')
      .description("list the files a run's steps wrote (its artifacts)")
      .argument('<run-id>', 'run id')
      .addHelpText('after', '\nExamples:\n  openclaw artifacts 3f2c...\n  openclaw artifact get <artifact-id> -o model.bin'),
  ).action(async (runId: string, _opts: unknown, cmd: Command) => {
    const { json, print } = contextOf(cmd);
    const { body } = await clientOf(cmd).GET('/v1/runs/{id}/artifacts', { params: { path: { id: runId } } });
    if (json) return print.json(body);
    if (body.items.length === 0) return print.out('no artifacts in this run');
    print.out(artifactsTable(body.items));
  });
}

/** A pass-through that hashes what flows through it. */
function hasher(): Transform & { digest(): string; bytes: number } {
  const hash = createHash('sha256');
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      out.bytes += chunk.length;
      done(null, chunk);
    },
  });
  const out = Object.assign(t, { bytes: 0, digest: () => hash.digest('hex') });
  return out;
}

function registerGet(program: Command): void {
  const artifact = program.command('artifact').description('one artifact: `openclaw artifact get <id>`');
  withUrl(
    artifact
      .command('get')
      .description('download an artifact (streamed) to a file, or to stdout')
      .argument('<artifact-id>', 'artifact id, as `openclaw artifacts <run-id>` lists it')
      .option('-o, --output <file>', 'write to this file (default: stdout; `-` is stdout too)')
      .addHelpText('after', '\nExamples:\n  openclaw artifact get <id> -o data.csv\n  openclaw artifact get <id> | head'),
  ).action(async (id: string, opts: { output?: string }, cmd: Command) => {
    const { json, print } = contextOf(cmd);
    const toFile = opts.output !== undefined && opts.output !== '-';
    if (!toFile && json) throw new UsageError('--json needs -o <file>: the bytes go to stdout otherwise');
    const res = await clientOf(cmd).openStream('/v1/artifacts/{id}', { params: { path: { id } } }, undefined, '*/*');
    const etag = (res.headers.get('etag') ?? '').replace(/"/g, '');
    const mediaType = res.headers.get('content-type') ?? '';
    if (!toFile && process.stdout.isTTY && !/^text\/|json|yaml|xml|csv/.test(mediaType)) {
      await res.body?.cancel();
      throw new UsageError(`artifact ${id} is ${mediaType || 'binary'}: write it to a file with -o <file>, or redirect stdout`);
    }
    const body = res.body ? Readable.fromWeb(res.body as WebReadableStream<Uint8Array>) : Readable.from([]);
    const hash = hasher();
    // A file is written beside its name and renamed once complete and checked: never half a file under the name.
    const part = toFile ? `${opts.output}.part` : null;
    const sink: Writable = part ? createWriteStream(part) : process.stdout;
    try {
      await pipeline(body, hash, sink, { end: part !== null });
      const sha256 = hash.digest();
      if (etag && sha256 !== etag) throw new CliError(`artifact ${id}: the bytes received have SHA-256 ${sha256}, the server said ${etag}`);
      if (part) await rename(part, opts.output!);
    } catch (err) {
      if (part) await rm(part, { force: true });
      throw err;
    }
    if (!toFile) return;
    if (json) return print.json({ id, file: opts.output, size: hash.bytes, sha256: etag || null, mediaType });
    print.err(`wrote ${formatBytes(hash.bytes)} (${hash.bytes} bytes) to ${opts.output}`);
  });
}

export function registerArtifacts(program: Command): void {
  registerList(program);
  registerGet(program);
}
