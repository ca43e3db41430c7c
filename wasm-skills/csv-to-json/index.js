// csv-to-json: CSV text in, rows out.
//
//   parse:
//     wasm: { skill: csv-to-json@1 }
//     with: { csv: "${{ steps.download.output.body }}", types: true }
//
// Output: { columns: ["id", "name"], rows: [{ "id": 1, "name": "Ada" }, ...], count: 1 }.
// Without a header and without `columns`, rows are arrays of fields. A malformed file fails the
// step with `CsvError` naming the line (not retried).
//
// The parsing is csv-parse's (https://csv.js.org/parse/), bundled into the component: its browser
// build, which brings the `Buffer` that skills do not have.
import { CsvError, parse } from 'csv-parse/browser/esm/sync';
import { defineSkill, SkillError } from '../lib/skill.js';

export const skill = defineSkill((input, { log }) => {
  const delimiter = input.delimiter ?? ',';
  if (delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new SkillError('InvalidInput', `delimiter cannot be ${JSON.stringify(delimiter)}`);
  }
  const header = input.header !== false;
  // csv-parse's options (https://csv.js.org/parse/options/): RFC 4180, any line ends (mixed too).
  const options = {
    delimiter,
    record_delimiter: ['\r\n', '\n', '\r'],
    bom: true,
    trim: input.trim === true,
    skip_empty_lines: input.skipEmptyLines !== false,
    // The number of fields is checked below, against the columns.
    relax_column_count: true,
  };
  // `types`: every field but the header's (the first record) is converted.
  const cast =
    input.types === true ? (value, { quoting, records }) => (header && records === 0 ? value : typed(value, quoting)) : undefined;
  let records;
  try {
    records = parse(input.csv, { ...options, cast });
  } catch (err) {
    if (err instanceof CsvError) throw withLines(input.csv, options).error ?? err;
    throw err;
  }
  let columns = input.columns;
  let body = records;
  if (header) {
    const first = records[0];
    body = records.slice(1);
    if (!columns && first) columns = first;
  }
  if (columns) {
    const seen = new Set();
    for (const c of columns) {
      if (seen.has(c)) throw new SkillError('CsvError', `duplicate column name ${JSON.stringify(c)}`);
      seen.add(c);
    }
  }
  const strict = input.strict !== false;
  const rows = body.map((fields, i) => {
    if (!columns) return fields;
    if (strict && fields.length !== columns.length) {
      const index = header ? i + 1 : i;
      const line = withLines(input.csv, options, index + 1).starts[index];
      throw new SkillError('CsvError', `line ${line}: ${fields.length} fields, expected ${columns.length} (${columns.join(', ')})`);
    }
    const row = {};
    columns.forEach((c, j) => {
      row[c] = fields[j] ?? null;
    });
    return row;
  });
  log.info(`${rows.length} rows, ${columns ? columns.length : 'no named'} columns`);
  return { columns: columns ?? [], rows, count: rows.length };
});

/** Numbers, booleans and null (empty unquoted fields); quoted fields always stay text. */
function typed(v, quoted) {
  if (quoted) return v;
  if (v === '') return null;
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(v)) {
    const n = Number(v);
    if (Number.isFinite(n) && (Number.isSafeInteger(n) || !/^-?\d+$/.test(v))) return n;
  }
  return v;
}

/**
 * Line numbers, for error messages only: parses `text` again (up to `to` records), counting the
 * lines of each record's text, `raw` (csv-parse's own count takes a CRLF inside a quoted field for
 * two lines). Returns `starts`, the line where each record starts, and the parse `error`, if any,
 * as a `CsvError` naming its line.
 */
function withLines(text, options, to) {
  const starts = [];
  let line = 1; // where the next record's text starts
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
