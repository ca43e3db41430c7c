/** The server's spec problems (POST /v1/workflows/validate) as CodeMirror diagnostics at their line and column. */
import type { Diagnostic } from '@codemirror/lint';
import type { EditorState } from '@codemirror/state';

export interface Problem {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

/** Where a problem is in the document: from its line and column to the end of the word there (or of the line). */
export function diagnosticsOf(state: EditorState, problems: Problem[]): Diagnostic[] {
  const doc = state.doc;
  return problems.map((p) => {
    const lineNo = Math.min(Math.max(p.line ?? 1, 1), doc.lines);
    const line = doc.line(lineNo);
    const from = Math.min(line.from + Math.max((p.column ?? 1) - 1, 0), line.to);
    const word = /^[^\s:,{}[\]]+/.exec(line.text.slice(from - line.from));
    const to = word ? from + word[0].length : line.to;
    return {
      from,
      to: Math.max(to, from),
      severity: 'error',
      message: p.path ? `${p.path}: ${p.message}` : p.message,
      source: 'OpenClaw',
    };
  });
}
