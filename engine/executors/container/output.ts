/**
 * What a container prints: each line of stdout and stderr goes to the step's log as it arrives
 * (the worker caps the log per attempt), and a bounded tail is kept in memory for the result —
 * the last non-empty stdout line when it is JSON, else `{exitCode, stdout}` — and for the
 * message of a failed attempt (the end of stderr).
 */
import { StringDecoder } from 'node:string_decoder';
import { Writable } from 'node:stream';
import { NonRetryableError } from '../../errors.js';
import type { StepLogSink } from '../types.js';

/** A line longer than this is written to the step log in pieces of this many characters. */
export const MAX_LOG_LINE_CHARS = 16 * 1024;
/** How much of the end of stderr a failed attempt's message quotes. */
export const STDERR_TAIL_CHARS = 1000;

export interface OutputLimits {
  /** `stdout` in `{exitCode, stdout}` keeps at most this many bytes (the end of the output). */
  maxStdoutBytes: number;
  /** A JSON last line longer than this cannot be a step output (maxJsonBytes, OPENCLAW_MAX_JSON_BYTES). */
  maxOutputBytes: number;
}

/** Decodes one stream as UTF-8 (characters split across chunks included) and splits it into lines. */
class LineStream {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(private readonly onLine: (line: string) => void) {}

  write(chunk: Buffer): string {
    const text = this.decoder.write(chunk);
    this.split(text);
    return text;
  }

  end(): string {
    const text = this.decoder.end();
    this.split(text);
    if (this.pending) this.onLine(this.pending);
    this.pending = '';
    return text;
  }

  private split(text: string): void {
    let start = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', start)) {
      const line = this.pending + text.slice(start, i);
      this.pending = '';
      this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
      start = i + 1;
    }
    this.pending += text.slice(start);
    while (this.pending.length >= MAX_LOG_LINE_CHARS) {
      this.onLine(this.pending.slice(0, MAX_LOG_LINE_CHARS));
      this.pending = this.pending.slice(MAX_LOG_LINE_CHARS);
    }
  }
}

/** The last non-empty line of a text stream, kept whole up to `maxChars` characters. */
class LastLine {
  private current = '';
  private currentChars = 0;
  private currentFirst = '';
  /** null text: the line was longer than maxChars. */
  last: { text: string | null; first: string; chars: number } | null = null;

  constructor(private readonly maxChars: number) {}

  push(text: string): void {
    let start = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', start)) {
      this.append(text.slice(start, i));
      this.close();
      start = i + 1;
    }
    this.append(text.slice(start));
  }

  end(): void {
    this.close();
  }

  private append(piece: string): void {
    if (!piece) return;
    if (!this.currentFirst) this.currentFirst = piece.trimStart().charAt(0);
    this.currentChars += piece.length;
    if (this.currentChars <= this.maxChars) this.current += piece;
    else this.current = '';
  }

  private close(): void {
    if (this.currentFirst) {
      this.last = { text: this.currentChars <= this.maxChars ? this.current : null, first: this.currentFirst, chars: this.currentChars };
    }
    this.current = '';
    this.currentChars = 0;
    this.currentFirst = '';
  }
}

/** The end of a text stream: at most about `maxChars` characters, and whether more came before. */
class Tail {
  private text = '';
  truncated = false;

  constructor(private readonly maxChars: number) {}

  push(s: string): void {
    this.text += s;
    if (this.text.length > 2 * this.maxChars) this.cut();
  }

  value(): string {
    this.cut();
    return this.text;
  }

  private cut(): void {
    if (this.text.length <= this.maxChars) return;
    this.text = this.text.slice(this.text.length - this.maxChars);
    this.truncated = true;
  }
}

/** The end of `text` that fits in `maxBytes` of UTF-8 (never splitting a character). */
export function utf8Tail(text: string, maxBytes: number): { text: string; cut: boolean } {
  if (Buffer.byteLength(text) <= maxBytes) return { text, cut: false };
  const buf = Buffer.from(text);
  let start = buf.length - maxBytes;
  while (start < buf.length && ((buf[start] ?? 0) & 0xc0) === 0x80) start++; // skip continuation bytes
  return { text: buf.subarray(start).toString('utf8'), cut: true };
}

export class OutputCollector {
  readonly stdout: Writable;
  readonly stderr: Writable;
  private readonly out: LineStream;
  private readonly err: LineStream;
  private readonly stdoutTail: Tail;
  private readonly stderrTail = new Tail(STDERR_TAIL_CHARS);
  private readonly lastLine: LastLine;
  private ended = false;

  constructor(
    stepLog: StepLogSink,
    private readonly limits: OutputLimits,
  ) {
    this.out = new LineStream((line) => stepLog.write(line, 'stdout'));
    this.err = new LineStream((line) => stepLog.write(line, 'stderr'));
    // Characters, an upper bound on bytes: cut to bytes when the result is built.
    this.stdoutTail = new Tail(limits.maxStdoutBytes);
    this.lastLine = new LastLine(limits.maxOutputBytes);
    this.stdout = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        const text = this.out.write(chunk);
        this.stdoutTail.push(text);
        this.lastLine.push(text);
        done();
      },
    });
    this.stderr = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        this.stderrTail.push(this.err.write(chunk));
        done();
      },
    });
  }

  /** Flushes partial lines and characters (call once, after the container's output has ended). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const text = this.out.end();
    this.stdoutTail.push(text);
    this.lastLine.push(text);
    this.lastLine.end();
    this.stderrTail.push(this.err.end());
  }

  /** The last characters of stderr (or of stdout when stderr is empty), for an error message. */
  failureTail(): string {
    const err = this.stderrTail.value().trim();
    if (err) return (this.stderrTail.truncated ? '…' : '') + err;
    const out = this.stdoutTail.value().trim();
    return out.length > STDERR_TAIL_CHARS ? '…' + out.slice(out.length - STDERR_TAIL_CHARS) : out;
  }

  /** A successful attempt's output: the last non-empty stdout line if it is JSON, else `{exitCode, stdout}`. */
  result(exitCode: number): unknown {
    this.end();
    const last = this.lastLine.last;
    if (last && last.text !== null) {
      try {
        return JSON.parse(last.text) as unknown;
      } catch {
        // not JSON: fall through
      }
    } else if (last && (last.first === '{' || last.first === '[')) {
      throw new NonRetryableError(
        'OutputTooLarge',
        `the last line of stdout looks like JSON but is ${last.chars} characters, over maxJsonBytes=${this.limits.maxOutputBytes} ` +
          `(OPENCLAW_MAX_JSON_BYTES; raise it to allow larger outputs, or write the data to an output artifact)`,
      );
    }
    const { text, cut } = utf8Tail(this.stdoutTail.value(), this.limits.maxStdoutBytes);
    return cut || this.stdoutTail.truncated ? { exitCode, stdout: text, stdoutTruncated: true } : { exitCode, stdout: text };
  }
}
