// csv-to-json: CSV in, rows out. The CSV is the text `csv`, or the input artifact `fromArtifact`
// (read 1 MiB at a time); the rows are the output's `rows`, or, with `toArtifact`, an output
// artifact of JSON Lines (one row a line), so a file of any size goes through in bounded memory.
//
//   parse:
//     wasm: { skill: csv-to-json@1 }
//     with: { csv: "${{ steps.download.output.body }}", types: true }
//
//   clean:
//     wasm: { skill: csv-to-json@1 }
//     with: { fromArtifact: orders, toArtifact: rows, types: true }
//     artifacts: { in: { orders: extract.orders }, out: { rows: { mediaType: application/x-ndjson } } }
//
// Output: { columns: ["id", "name"], rows: [{ "id": 1, "name": "Ada" }, ...], count: 1 }, without
// `rows` but with `artifact: { name, format: "jsonl", bytes }` when they went to an artifact.
// Without a header and without `columns`, rows are arrays of fields. A malformed file fails the
// step with `CsvError` naming the line (not retried).
//
// The parsing is csv-parse's (https://csv.js.org/parse/), bundled into the component (its browser
// build, which brings the `Buffer` that skills do not have), with a fast path for records without
// quotes (records.js).
import { artifactWriter, defineSkill, readArtifactTextChunks, SkillError } from '../lib/skill.js';
import { CsvRecords } from './records.js';

export const skill = defineSkill((input, { log }) => {
  const delimiter = input.delimiter ?? ',';
  if (delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new SkillError('InvalidInput', `delimiter cannot be ${JSON.stringify(delimiter)}`);
  }
  if ((input.csv === undefined) === (input.fromArtifact === undefined)) {
    throw new SkillError('InvalidInput', 'give the CSV as `csv` (its text) or as `fromArtifact` (the name of an input artifact), not both');
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
  let columns = input.columns;
  if (columns) checkColumns(columns);
  const strict = input.strict !== false;
  const rows = input.toArtifact === undefined ? [] : null;
  const out = rows ? null : artifactWriter(input.toArtifact);
  let count = 0;
  let headerSeen = !header;

  const onRecord = (fields, lineOf) => {
    if (!headerSeen) {
      headerSeen = true;
      if (!columns) checkColumns((columns = fields));
      return;
    }
    let row = fields;
    if (columns) {
      if (strict && fields.length !== columns.length) {
        throw new SkillError('CsvError', `line ${lineOf()}: ${fields.length} fields, expected ${columns.length} (${columns.join(', ')})`);
      }
      row = {};
      for (let j = 0; j < columns.length; j++) row[columns[j]] = fields[j] ?? null;
    }
    count++;
    if (rows) rows.push(row);
    else out.write(`${JSON.stringify(row)}\n`);
  };
  const records = new CsvRecords(options, { castField: input.types === true ? typed : undefined, header, onRecord });
  if (input.csv !== undefined) records.push(input.csv);
  else for (const text of readArtifactTextChunks(input.fromArtifact)) records.push(text);
  records.end();

  log.info(`${count} rows, ${columns ? columns.length : 'no named'} columns`);
  if (rows) return { columns: columns ?? [], rows, count };
  const { bytes } = out.close();
  return { columns: columns ?? [], count, artifact: { name: input.toArtifact, format: 'jsonl', bytes } };
});

function checkColumns(columns) {
  const seen = new Set();
  for (const c of columns) {
    if (seen.has(c)) throw new SkillError('CsvError', `duplicate column name ${JSON.stringify(c)}`);
    seen.add(c);
  }
}

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
