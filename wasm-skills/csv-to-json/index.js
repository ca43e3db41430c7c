// csv-to-json: CSV text in, rows out.
//
//   parse:
//     wasm: { skill: csv-to-json@1 }
//     with: { csv: "${{ steps.download.output.body }}", types: true }
//
// Output: { columns: ["id", "name"], rows: [{ "id": 1, "name": "Ada" }, ...], count: 1 }.
// Without a header and without `columns`, rows are arrays of fields. A malformed file fails the
// step with `CsvError` naming the line (not retried).
import { defineSkill, SkillError } from '../lib/skill.js';

export const skill = defineSkill((input, { log }) => {
  const delimiter = input.delimiter ?? ',';
  if (delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new SkillError('InvalidInput', `delimiter cannot be ${JSON.stringify(delimiter)}`);
  }
  const records = parse(input.csv, delimiter, input.trim === true, input.skipEmptyLines !== false);
  let columns = input.columns;
  let body = records;
  if (input.header !== false) {
    const first = records[0];
    body = records.slice(1);
    if (!columns && first) columns = first.fields.map((f) => f.value);
  }
  if (columns) {
    const seen = new Set();
    for (const c of columns) {
      if (seen.has(c)) throw new SkillError('CsvError', `duplicate column name ${JSON.stringify(c)}`);
      seen.add(c);
    }
  }
  const strict = input.strict !== false;
  const convert = input.types === true ? typed : (f) => f.value;
  const rows = body.map((rec) => {
    if (!columns) return rec.fields.map(convert);
    if (strict && rec.fields.length !== columns.length) {
      throw new SkillError('CsvError', `line ${rec.line}: ${rec.fields.length} fields, expected ${columns.length} (${columns.join(', ')})`);
    }
    const row = {};
    columns.forEach((c, i) => {
      const f = rec.fields[i];
      row[c] = f === undefined ? null : convert(f);
    });
    return row;
  });
  log.info(`${rows.length} rows, ${columns ? columns.length : 'no named'} columns`);
  return { columns: columns ?? [], rows, count: rows.length };
});

/** Numbers, booleans and null (empty unquoted fields); quoted fields always stay text. */
function typed(field) {
  if (field.quoted) return field.value;
  const v = field.value;
  if (v === '') return null;
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(v)) {
    const n = Number(v);
    if (Number.isFinite(n) && (Number.isSafeInteger(n) || !/^-?\d+$/.test(v))) return n;
  }
  return v;
}

/** RFC 4180 records: [{ line, fields: [{ value, quoted }] }]. Accepts LF, CRLF and CR line ends and a BOM. */
function parse(text, delimiter, trim, skipEmpty) {
  const records = [];
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const isBlank = (ch) => ch === ' ' || ch === '\t';
  while (i < n) {
    const startLine = line;
    const fields = [];
    for (;;) {
      let j = i;
      if (trim) while (j < n && isBlank(text[j]) && text[j] !== delimiter) j++;
      if (text[j] === '"') {
        const fieldLine = line;
        let value = '';
        i = j + 1;
        for (;;) {
          if (i >= n) throw new SkillError('CsvError', `line ${fieldLine}: a quoted field is not closed`);
          const ch = text[i];
          if (ch === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (ch === '\n' || (ch === '\r' && text[i + 1] !== '\n')) line++;
          value += ch;
          i++;
        }
        if (trim) while (i < n && isBlank(text[i]) && text[i] !== delimiter) i++;
        if (i < n && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') {
          throw new SkillError('CsvError', `line ${line}: unexpected ${JSON.stringify(text[i])} after a closing quote`);
        }
        fields.push({ value, quoted: true });
      } else {
        const start = i;
        while (i < n && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') {
          if (text[i] === '"') {
            throw new SkillError(
              'CsvError',
              `line ${line}: a quote inside an unquoted field (quote the whole field and double its quotes)`,
            );
          }
          i++;
        }
        const value = text.slice(start, i);
        fields.push({ value: trim ? value.trim() : value, quoted: false });
      }
      if (i < n && text[i] === delimiter) {
        i++;
        continue;
      }
      break;
    }
    // at a line end or the end of the text
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    line++;
    const empty = fields.length === 1 && fields[0].value === '' && !fields[0].quoted;
    if (!(empty && skipEmpty)) records.push({ line: startLine, fields });
  }
  return records;
}
