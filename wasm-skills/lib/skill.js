// The small runtime every skill in this folder shares (bundled into each component by
// `openclaw skills build`). It turns a plain JavaScript function into the `skill` interface of
// wit/skill.wit: JSON text in, JSON text or a typed error out, and a log.
//
//   import { defineSkill, SkillError } from '../lib/skill.js';
//   export const skill = defineSkill((input, { log }) => {
//     if (!Array.isArray(input.rows)) throw new SkillError('InvalidInput', 'rows must be an array');
//     log.info(`${input.rows.length} rows`);
//     return { count: input.rows.length };
//   });
//
// The handler may be async (return a promise): the component runs its event loop until the
// promise settles. It has no clock (Date.now() is fixed at build time), no randomness source
// (Math.random() is deterministic), no files and no network — only `log`, and the step's
// artifacts (readArtifactChunks, artifactWriter and the others below).
import { log as hostLog } from 'openclaw:skill/host@1.0.0';
import { read as hostRead, size as hostSize, write as hostWrite } from 'openclaw:skill/artifacts@1.0.0';

/** A typed failure: `name` is what a spec's `catch` and `retry.nonRetryable` match on. */
export class SkillError extends Error {
  /**
   * @param {string} name
   * @param {string} message
   * @param {{ retryable?: boolean }} [options] retryable defaults to false: a skill is a pure
   *   function of its input, so trying again rarely helps.
   */
  constructor(name, message, options = {}) {
    super(message);
    this.name = name;
    this.retryable = options.retryable === true;
  }
}

function text(args) {
  return args.map((a) => (typeof a === 'string' ? a : safeJson(a))).join(' ');
}

function safeJson(v) {
  try {
    return v instanceof Error ? `${v.name}: ${v.message}` : (JSON.stringify(v) ?? String(v));
  } catch {
    return String(v);
  }
}

/** Writes lines to the step's log. */
export const log = {
  debug: (...args) => hostLog('debug', text(args)),
  info: (...args) => hostLog('info', text(args)),
  warn: (...args) => hostLog('warn', text(args)),
  error: (...args) => hostLog('error', text(args)),
};

// console.* go to the step's log too (stdio is not granted to skills).
globalThis.console = { ...globalThis.console, log: log.info, info: log.info, debug: log.debug, warn: log.warn, error: log.error };

function toSkillError(err) {
  if (err instanceof SkillError) return { name: err.name, message: err.message, retryable: err.retryable };
  if (err instanceof Error) return { name: err.name || 'Error', message: err.message, retryable: false };
  return { name: 'Error', message: safeJson(err), retryable: false };
}

function toJson(output) {
  const json = JSON.stringify(output === undefined ? null : output);
  if (json === undefined) throw new SkillError('InvalidOutput', 'the skill returned a value that is not JSON');
  return json;
}

/**
 * Wraps `handler(input, { log })` as the component's `skill` export.
 * @param {(input: any, context: { log: typeof log }) => unknown} handler
 */
export function defineSkill(handler) {
  return {
    async run(inputJson) {
      let input;
      try {
        input = JSON.parse(inputJson);
      } catch (err) {
        throw toSkillError(new SkillError('InvalidInput', `the input is not JSON: ${err.message}`));
      }
      try {
        return toJson(await handler(input, { log }));
      } catch (err) {
        throw toSkillError(err);
      }
    },
  };
}

// ---- Artifacts (wit/skill.wit, interface `artifacts`; docs/artifacts.md, "WASM skills") ----
//
//   // step: artifacts: { in: { orders: extract.orders }, out: [report] }
//   let lines = 0;
//   for (const text of readArtifactTextChunks('orders')) lines += text.split('\n').length - 1;
//   const out = artifactWriter('report');
//   out.write(`${lines} lines\n`);
//   out.close();
//
// Everything goes by chunks (at most 1 MiB a call), so memory does not grow with what is read.
// A failed call throws a SkillError named `ArtifactError` (and fails the step with the host's own
// error even if caught).
//
// Memory, measured with componentize-js 0.23: reading any size in 256 KiB chunks levels off at
// ~65 MiB of linear memory (~125 MiB in 1 MiB chunks: its garbage collector runs by thresholds,
// not when memory runs short). But every byte *written* stays in linear memory until the step
// ends: the bindings componentize-js generates never free an import's arguments. So a JavaScript
// skill can write about its memory cap (`wasm.memory`, 256 MiB by default) minus what it uses
// otherwise (~100 MiB) in one step (docs/artifacts.md, "WASM skills").

/** The most bytes one read returns or one write takes. */
export const ARTIFACT_CHUNK_BYTES = 1024 * 1024;
/** What the helpers below read, and buffer before writing, at a time. */
const DEFAULT_CHUNK_BYTES = 256 * 1024;

function artifactCall(call) {
  try {
    return call();
  } catch (err) {
    // The host's err(message) arrives as an error whose payload is the message.
    throw new SkillError('ArtifactError', typeof err?.payload === 'string' ? err.payload : String(err?.message ?? err));
  }
}

/** The size in bytes of input artifact `name`, or null when the step has no such input. */
export function artifactSize(name) {
  const size = hostSize(name);
  return size === undefined || size === null ? null : Number(size);
}

/** Up to `length` bytes (at most 1 MiB) of input artifact `name` from byte `offset`; empty at the end. */
export function readArtifact(name, offset, length = ARTIFACT_CHUNK_BYTES) {
  return artifactCall(() => hostRead(name, BigInt(offset), Math.min(length, ARTIFACT_CHUNK_BYTES)));
}

/** The bytes of input artifact `name`, chunk by chunk (Uint8Array, at most `chunkBytes` each, 1 MiB at most). */
export function* readArtifactChunks(name, { chunkBytes = DEFAULT_CHUNK_BYTES } = {}) {
  let offset = 0;
  for (;;) {
    const chunk = readArtifact(name, offset, chunkBytes);
    if (chunk.length === 0) return;
    offset += chunk.length;
    yield chunk;
  }
}

/** The text (UTF-8) of input artifact `name`, chunk by chunk; a character is never split between chunks. */
export function* readArtifactTextChunks(name, options) {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const chunk of readArtifactChunks(name, options)) {
    const text = decoder.decode(chunk, { stream: true });
    if (text) yield text;
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}

/** The whole text of input artifact `name` (for small ones: it is all in memory at once). */
export function readArtifactText(name) {
  let text = '';
  for (const chunk of readArtifactTextChunks(name)) text += chunk;
  return text;
}

const encoder = new TextEncoder();

/** Appends `data` (a string, written as UTF-8, or bytes) to output artifact `name`, 1 MiB at a time. */
export function writeArtifact(name, data) {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data;
  if (bytes.length === 0) artifactCall(() => hostWrite(name, bytes));
  for (let at = 0; at < bytes.length; at += ARTIFACT_CHUNK_BYTES) {
    const chunk = bytes.subarray(at, at + ARTIFACT_CHUNK_BYTES);
    artifactCall(() => hostWrite(name, chunk));
  }
}

/**
 * A buffered writer for output artifact `name`: `write(text or bytes)` collects small pieces (a line
 * per record, say) and sends them about `bufferBytes` at a time (each call to the host is a round
 * trip); `close()` sends the rest and creates the artifact even when nothing was written.
 */
export function artifactWriter(name, { bufferBytes = DEFAULT_CHUNK_BYTES } = {}) {
  let parts = [];
  let buffered = 0;
  let written = false;
  let bytes = 0;
  const flush = () => {
    if (parts.length === 0) return;
    const data = parts.length === 1 && typeof parts[0] !== 'string' ? parts[0] : join(parts);
    parts = [];
    buffered = 0;
    writeArtifact(name, data);
    bytes += data.length;
    written = true;
  };
  return {
    write(data) {
      parts.push(data);
      buffered += data.length; // UTF-16 units for text: close enough to bytes for buffering
      if (buffered >= bufferBytes) flush();
    },
    close() {
      flush();
      if (!written) writeArtifact(name, new Uint8Array(0));
      written = true;
      return { bytes };
    },
  };
}

/** One UTF-8 byte array from strings and byte arrays. */
function join(parts) {
  if (parts.every((p) => typeof p === 'string')) return encoder.encode(parts.join(''));
  const chunks = parts.map((p) => (typeof p === 'string' ? encoder.encode(p) : p));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
