/**
 * Artifacts as HTTP bodies (docs/tasks/http.md, "Artifacts"): `bodyFrom` sends an input artifact as
 * the request body, `saveAs` stores the response body as an output artifact instead of parsing it.
 * Both stream: the bytes go between the socket and the artifact store with backpressure, never
 * whole in memory, so the size is bounded by OPENCLAW_ARTIFACT_MAX_BYTES (checked by the store as
 * bytes arrive), not by OPENCLAW_HTTP_MAX_RESPONSE_BYTES.
 */
import { PassThrough, type Readable } from 'node:stream';
import { NonRetryableError, TaskError } from '../../errors.js';
import { FAILURES } from '../../vocabulary/failures.js';
import type { ArtifactRef, TaskArtifacts } from '../types.js';

/** The media type an output gets when its declaration names none (compile-artifacts.ts's default). */
const DEFAULT_MEDIA_TYPE = 'application/octet-stream';

/** What a `saveAs` step returns in place of `body`. */
export interface SavedBody {
  name: string;
  size: number;
  sha256: string;
  mediaType: string;
}

/** The input artifact `bodyFrom` names (the compiler checked it is declared in `artifacts.in`). */
export function bodyInput(artifacts: TaskArtifacts, name: string): ArtifactRef {
  const ref = artifacts.inputs.find((i) => i.name === name);
  if (!ref)
    throw new NonRetryableError('InvalidTask', `http.bodyFrom: this step has no input artifact ${JSON.stringify(name)} (artifacts.in)`);
  return ref;
}

/** A response Content-Type usable as a media type (type/subtype, parameters kept), else undefined. */
function usableContentType(value: string | undefined): string | undefined {
  const v = value?.trim();
  if (!v || v.length > 255 || /[^ -~]/.test(v)) return undefined; // printable ASCII only
  return /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(\s*;.*)?$/.test(v) ? v : undefined;
}

/**
 * The media type recorded for a saved body: a `mediaType` the step declares for the output wins
 * (the author knows what the bytes are, servers often say application/octet-stream); otherwise the
 * response's Content-Type; otherwise application/octet-stream.
 */
function savedMediaType(artifacts: TaskArtifacts, name: string, contentType: string | undefined): string {
  const declared = artifacts.outputs.find((o) => o.name === name)?.mediaType;
  if (declared !== undefined && declared !== DEFAULT_MEDIA_TYPE) return declared;
  return usableContentType(contentType) ?? DEFAULT_MEDIA_TYPE;
}

/**
 * Streams a response body into output artifact `name`. A failure of the response itself (the
 * connection reset, `signal` aborted: the step's timeout, a cancel, a lost lease) is handed to `sourceFailed`, which turns it into
 * the task's NetworkError / TimeoutError; a failure on the store side (ArtifactTooLarge,
 * ArtifactStoreError) is thrown as it is. The body is read through a pass-through so the two can be
 * told apart: when the store fails, the response is destroyed without an error.
 */
export async function saveBody(
  artifacts: TaskArtifacts,
  name: string,
  body: Readable,
  contentType: string | undefined,
  signal: AbortSignal,
  sourceFailed: (err: unknown) => Error,
): Promise<SavedBody> {
  const mediaType = savedMediaType(artifacts, name, contentType);
  const pass = new PassThrough();
  let sourceError: unknown;
  body.on('error', (err) => {
    sourceError ??= err;
    pass.destroy(err);
  });
  // The store starts reading `pass` only after the upload's row is written: an error before then
  // would have no listener. It is reported through `sourceError` (and the failed write) instead.
  pass.on('error', () => undefined);
  body.pipe(pass);
  try {
    const stored = await artifacts.write(name, pass, { mediaType });
    return { name, ...stored, mediaType };
  } catch (err) {
    if (sourceError !== undefined || signal.aborted) throw sourceFailed(sourceError ?? err);
    if (err instanceof TaskError) throw err;
    throw new TaskError(FAILURES.ArtifactStoreError, `http.saveAs: could not store the response body as ${name}: ${String(err)}`, {
      retryable: true,
      cause: err,
    });
  } finally {
    body.unpipe(pass);
    body.destroy();
  }
}

/** The first `max` bytes of a body as text (the rest is discarded), for an error message. */
export async function readStart(body: Readable, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= max) break;
    }
  } catch {
    // The start of an error body is only for the message: a body that fails to arrive says nothing.
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}
