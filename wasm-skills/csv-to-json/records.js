// CSV records from text that arrives in chunks (an artifact read 1 MiB at a time, or the whole
// text at once), so memory holds one chunk and one record, not the file.
//
// The text is cut into records by the quotes' parity: a line break ends a record unless it is
// inside a quoted field. A well-formed record is split into fields right here, with the engine's
// native string functions (indexOf, split); anything else (a malformed record, an empty one that
// is kept, any record when `trim` is on) goes to csv-parse (https://csv.js.org/parse/), which
// applies its rules or names the error. Both give the same fields; the fast path matters because
// the JavaScript inside a component is interpreted: csv-parse reads ~170 KB/s there.
import { CsvError, parse } from 'csv-parse/browser/esm/sync';
import { SkillError } from '../lib/skill.js';

/** A record (with its line breaks) longer than this is refused: most likely a quote is not closed. */
const MAX_RECORD_CHARS = 16 * 1024 * 1024;
/** Quoted records are handed to csv-parse in batches of about this many characters. */
const BATCH_CHARS = 256 * 1024;

export class CsvRecords {
  /**
   * @param {object} options csv-parse options (delimiter, record_delimiter, trim, skip_empty_lines...)
   * @param {{ castField?: (value: string, quoted: boolean) => unknown, header: boolean,
   *   onRecord: (fields: unknown[], lineOf: () => number) => void }} handlers `castField` converts
   *   every field but the header's (the first record when `header`); `onRecord` gets every record,
   *   in order, with `lineOf()`, the line it starts on (computed only when asked: for errors)
   */
  constructor(options, { castField, header, onRecord }) {
    this.options = options;
    this.castField = castField;
    this.header = header;
    this.onRecord = onRecord;
    this.count = 0; // records passed on
    this.rest = ''; // the text of an incomplete record
    this.line = 1; // where the next record starts
    this.first = true;
    this.batch = [];
    this.batchChars = 0;
    this.batchLine = 1;
  }

  /** Adds text; every record it completes is passed on. `last`: no more text follows. */
  push(text, last = false) {
    let buf = this.rest + text;
    if (this.first && buf.length > 0) {
      this.first = false;
      if (buf.charCodeAt(0) === 0xfeff) buf = buf.slice(1);
    }
    const { delimiter, trim, skip_empty_lines: skipEmpty } = this.options;
    let pos = 0;
    // The next '\r' and '"' at or after pos (-1: none), found lazily: a file may have none.
    let cr = -2;
    let quote = -2;
    while (pos < buf.length) {
      const nl = buf.indexOf('\n', pos);
      if (cr !== -1 && cr < pos) cr = buf.indexOf('\r', pos);
      if (quote !== -1 && quote < pos) quote = buf.indexOf('"', pos);
      let end = nl === -1 ? cr : cr === -1 ? nl : Math.min(nl, cr);
      // A '\r' at the very end may be the first half of a CRLF: wait for the next chunk.
      if (end === buf.length - 1 && buf[end] === '\r' && !last) break;
      if (quote !== -1 && (end === -1 || quote < end)) {
        const next = recordEnd(buf, quote, last);
        if (next === -1) break;
        const raw = buf.slice(pos, next);
        const fields = trim ? null : splitQuoted(raw, delimiter);
        if (fields) this.fast(fields.values, fields.quoted, lineBreaks(raw));
        else this.toBatch(raw);
        pos = next;
        continue;
      }
      if (end === -1) {
        if (!last) break;
        end = buf.length;
      }
      const next = end + (buf[end] === '\r' && buf[end + 1] === '\n' ? 2 : end < buf.length ? 1 : 0);
      if (end === pos && skipEmpty) {
        this.flushBatch();
        this.line++;
      } else if (end === pos || trim) {
        // csv-parse's own rules for these (an empty record, trimmed fields).
        this.toBatch(buf.slice(pos, next));
      } else {
        this.fast(buf.slice(pos, end).split(delimiter), null, 1);
      }
      pos = next;
    }
    this.rest = buf.slice(pos);
    if (this.rest.length > MAX_RECORD_CHARS) {
      // Most likely a stray quote opened a field that never closes: csv-parse names it, if so.
      const { error } = withLines(this.rest.slice(0, 65_536), this.options, undefined, this.line);
      if (error && !error.message.endsWith('a quoted field is not closed')) throw error;
      throw new SkillError('CsvError', `line ${this.line}: a record is longer than 16 MiB (is a quote not closed?)`);
    }
    this.flushBatch();
  }

  /** No more text: the rest is the last record. */
  end() {
    this.push('', true);
  }

  /** Whether record `index` of what is being parsed (counted from the records passed on) is the header. */
  isHeader(index) {
    return this.header && this.count + index === 0;
  }

  /** A record split here: `quoted[i]` whether field i was quoted (null: none was); it spans `lines` lines. */
  fast(fields, quoted, lines) {
    this.flushBatch();
    const line = this.line;
    this.line += lines;
    if (this.castField && !this.isHeader(0)) {
      for (let i = 0; i < fields.length; i++) fields[i] = this.castField(fields[i], quoted !== null && quoted[i]);
    }
    this.pass(fields, () => line);
  }

  pass(fields, lineOf) {
    this.count++;
    this.onRecord(fields, lineOf);
  }

  toBatch(raw) {
    if (this.batch.length === 0) this.batchLine = this.line;
    this.batch.push(raw);
    this.batchChars += raw.length;
    this.line += lineBreaks(raw);
    if (this.batchChars >= BATCH_CHARS) this.flushBatch();
  }

  flushBatch() {
    if (this.batch.length === 0) return;
    const text = this.batch.join('');
    const first = this.batchLine;
    this.batch = [];
    this.batchChars = 0;
    const { castField } = this;
    const cast = castField && ((value, { quoting, records }) => (this.isHeader(records) ? value : castField(value, quoting)));
    let records;
    try {
      records = parse(text, { ...this.options, cast });
    } catch (err) {
      if (err instanceof CsvError) throw withLines(text, this.options, undefined, first).error ?? err;
      throw err;
    }
    let starts;
    records.forEach((fields, i) => {
      this.pass(fields, () => (starts ??= withLines(text, this.options, records.length, first).starts)[i]);
    });
  }
}

/**
 * Where a record with a quote at `quote` (before its first line break) ends: after the first line
 * break outside quotes. -1 when the text ends first and more may follow.
 */
function recordEnd(buf, quote, last) {
  let at = quote + 1;
  for (;;) {
    // Inside a quoted field: its closing quote (a doubled quote closes and reopens it).
    const close = buf.indexOf('"', at);
    if (close === -1) return last ? buf.length : -1;
    at = close + 1;
    // Outside: the next line break or the next opening quote, whichever is first.
    const open = buf.indexOf('"', at);
    const nl = buf.indexOf('\n', at);
    const cr = buf.indexOf('\r', at);
    const brk = nl === -1 ? cr : cr === -1 ? nl : Math.min(nl, cr);
    if (open !== -1 && (brk === -1 || open < brk)) {
      at = open + 1;
      continue;
    }
    if (brk === -1) return last ? buf.length : -1;
    if (buf[brk] === '\r') {
      if (brk === buf.length - 1 && !last) return -1;
      return brk + (buf[brk + 1] === '\n' ? 2 : 1);
    }
    return brk + 1;
  }
}

/**
 * The fields of a well-formed record `raw` (with or without its line break), or null when it is
 * not (a quote inside an unquoted field, text after a closing quote, a field not closed): csv-parse
 * then applies its rules to it, or names the error.
 */
function splitQuoted(raw, delimiter) {
  let end = raw.length;
  if (raw[end - 1] === '\n') end--;
  if (raw[end - 1] === '\r') end--;
  const values = [];
  const quoted = [];
  let pos = 0;
  for (;;) {
    if (raw[pos] === '"') {
      let value = '';
      let at = pos + 1;
      for (;;) {
        const q = raw.indexOf('"', at);
        if (q === -1 || q >= end) return null;
        if (raw[q + 1] === '"' && q + 1 < end) {
          value += raw.slice(at, q + 1);
          at = q + 2;
          continue;
        }
        value += raw.slice(at, q);
        pos = q + 1;
        break;
      }
      values.push(value);
      quoted.push(true);
      if (pos === end) return { values, quoted };
      if (raw[pos] !== delimiter) return null;
      pos++;
    } else {
      const d = raw.indexOf(delimiter, pos);
      const stop = d === -1 || d > end ? end : d;
      const value = raw.slice(pos, stop);
      if (value.includes('"')) return null;
      values.push(value);
      quoted.push(false);
      if (stop === end) return { values, quoted };
      pos = stop + 1;
    }
  }
}

/**
 * Line numbers, for error messages only: parses `text` again (up to `to` records), counting the
 * lines of each record's text, `raw` (csv-parse's own count takes a CRLF inside a quoted field for
 * two lines). Returns `starts`, the line where each record starts, and the parse `error`, if any,
 * as a `CsvError` naming its line. `firstLine`: the line `text` starts on.
 */
export function withLines(text, options, to, firstLine = 1) {
  const starts = [];
  let line = firstLine; // where the next record's text starts
  let emptyLines = 0;
  // The line where `raw` ends; it starts with the `skipped` empty lines before its record.
  const endOf = (raw, skipped) => line + skipped + lineBreaks(withoutLines(raw, skipped));
  try {
    parse(text, {
      ...options,
      to,
      raw: true,
      on_record: ({ raw }, info) => {
        const skipped = info.empty_lines - emptyLines;
        starts.push(line + skipped);
        line = endOf(raw, skipped);
        emptyLines = info.empty_lines;
        return null; // the records themselves are not needed
      },
    });
    return { starts };
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    // `err.raw`: the failing record's text, up to where parsing stopped.
    const skipped = err.empty_lines - emptyLines;
    let what;
    let at = err.raw;
    switch (err.code) {
      case 'CSV_QUOTE_NOT_CLOSED': {
        // The field runs to the end of the text, every quote in it doubled: its opening quote
        // starts the last run of an odd number of quotes. That is the line to name.
        let open = 0;
        for (const m of err.raw.matchAll(/"+/g)) if (m[0].length % 2 === 1) open = m.index;
        at = err.raw.slice(0, open);
        what = 'a quoted field is not closed';
        break;
      }
      case 'INVALID_OPENING_QUOTE':
      case 'CSV_INVALID_CLOSING_QUOTE':
      case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
        // `quoting`: the field so far was quoted (a quote after its closing quote, with `trim`).
        what =
          err.code === 'INVALID_OPENING_QUOTE' && !err.quoting
            ? 'a quote inside an unquoted field'
            : `unexpected text after the closing quote of field ${err.column + 1}`;
        what += ' (quote the whole field and double its quotes)';
        break;
      default:
        what = err.message;
    }
    return { starts, error: new SkillError('CsvError', `line ${endOf(at, skipped)}: ${what}`) };
  }
}

/** `raw` without its first `n` lines. (In `raw`, a CRLF that ends a record or an empty line is only its CR.) */
function withoutLines(raw, n) {
  const lineEnd = /[\r\n]/g;
  for (let i = 0; i < n; i++) lineEnd.exec(raw);
  return raw.slice(lineEnd.lastIndex);
}

function lineBreaks(s) {
  return s.match(/\r\n|\n|\r/g)?.length ?? 0;
}
