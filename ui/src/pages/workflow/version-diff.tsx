/**
 * The versions of a workflow and a line diff between two of them (jsdiff's `diffLines` over the
 * specs as registered): removed lines, added lines, and unchanged stretches folded to a few lines
 * of context around each change.
 */
import { diffLines } from 'diff';
import { useState } from 'react';
import { ErrorState, Loading } from '../../components/states';
import { useAsync } from '../../components/use-async';
import type { Workflow } from '../../data/client-types';
import { get } from '../../data/http';

const CONTEXT = 3;

interface Row {
  kind: 'same' | 'add' | 'del' | 'fold';
  oldNo?: number;
  newNo?: number;
  text: string;
}

export function diffRows(before: string, after: string): Row[] {
  const rows: Row[] = [];
  let o = 1;
  let n = 1;
  for (const part of diffLines(before, after)) {
    const lines = part.value.replace(/\n$/, '').split('\n');
    for (const text of lines) {
      if (part.added) rows.push({ kind: 'add', newNo: n++, text });
      else if (part.removed) rows.push({ kind: 'del', oldNo: o++, text });
      else rows.push({ kind: 'same', oldNo: o++, newNo: n++, text });
    }
  }
  // Fold unchanged lines further than CONTEXT from a change.
  const near = rows.map(() => false);
  rows.forEach((r, i) => {
    if (r.kind === 'same') return;
    for (let j = Math.max(0, i - CONTEXT); j <= Math.min(rows.length - 1, i + CONTEXT); j++) near[j] = true;
  });
  const out: Row[] = [];
  for (let i = 0; i < rows.length; i++) {
    if (near[i] || rows[i]!.kind !== 'same') {
      out.push(rows[i]!);
      continue;
    }
    let j = i;
    while (j < rows.length && !near[j] && rows[j]!.kind === 'same') j++;
    out.push({ kind: 'fold', text: `${j - i} unchanged line${j - i === 1 ? '' : 's'}` });
    i = j - 1;
  }
  return out;
}

const specText = (w: Workflow): string => w.specText ?? JSON.stringify(w.spec, null, 2);

export function VersionDiff({ name, latest }: { name: string; latest: number }) {
  const versions = Array.from({ length: latest }, (_, i) => latest - i);
  const [from, setFrom] = useState(Math.max(1, latest - 1));
  const [to, setTo] = useState(latest);
  const pair = useAsync(
    (signal) =>
      Promise.all([from, to].map((v) => get<Workflow>(`/v1/workflows/${encodeURIComponent(name)}/versions/${v}`, undefined, signal))),
    [name, from, to],
  );
  const pick = (label: string, value: number, set: (v: number) => void) => (
    <label>
      {label}{' '}
      <select value={value} onChange={(e) => set(Number(e.target.value))}>
        {versions.map((v) => (
          <option key={v} value={v}>
            v{v}
          </option>
        ))}
      </select>
    </label>
  );
  const rows = pair.data ? diffRows(specText(pair.data[0]!), specText(pair.data[1]!)) : [];
  const changes = rows.filter((r) => r.kind === 'add' || r.kind === 'del').length;

  return (
    <div className="version-diff">
      <div className="filters" role="group" aria-label="Versions to compare">
        {pick('Compare', from, setFrom)}
        {pick('with', to, setTo)}
      </div>
      {pair.error !== null && pair.data === undefined ? (
        <ErrorState error={pair.error} retry={pair.reload} />
      ) : pair.data === undefined ? (
        <Loading what="Loading the two versions" />
      ) : from === to || changes === 0 ? (
        <p className="state empty">
          v{from} and v{to} are the same spec{from === to ? '' : ' (formatting aside)'}.
        </p>
      ) : (
        <>
          <p className="muted small-text" role="status">
            {rows.filter((r) => r.kind === 'del').length} lines removed, {rows.filter((r) => r.kind === 'add').length} added (v{from} → v
            {to}; registered {pair.data[0]!.createdAt.slice(0, 10)} and {pair.data[1]!.createdAt.slice(0, 10)}).
          </p>
          <table className="diff">
            <caption className="visually-hidden">
              Changes from version {from} to version {to}
            </caption>
            <thead>
              <tr>
                <th scope="col">v{from}</th>
                <th scope="col">v{to}</th>
                <th scope="col">
                  <span className="visually-hidden">change</span>
                </th>
                <th scope="col">Line</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={i} className={`diff-${r.kind}`}>
                  <td className="diff-no">{r.oldNo ?? ''}</td>
                  <td className="diff-no">{r.newNo ?? ''}</td>
                  <td className="diff-sign">
                    {r.kind === 'add' ? (
                      <>
                        <span aria-hidden="true">+</span>
                        <span className="visually-hidden">added</span>
                      </>
                    ) : r.kind === 'del' ? (
                      <>
                        <span aria-hidden="true">−</span>
                        <span className="visually-hidden">removed</span>
                      </>
                    ) : null}
                  </td>
                  <td className="diff-text mono">{r.text}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
