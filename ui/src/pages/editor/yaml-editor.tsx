/**
 * The spec editor: CodeMirror 6 with its YAML mode, completion from the workflow JSON Schema
 * (schema-completion.ts), and the server's problems as diagnostics at their line and column
 * (pushed in with `setDiagnostics`, shown underlined, in the gutter and in a panel). Tab is left
 * to the page's keyboard navigation (CodeMirror's default): Tab moves on, the editor indents with
 * its own keys (Ctrl-] and Ctrl-[).
 *
 * The editor lives in a shadow root: CodeMirror's styles then go into a constructed style sheet
 * (adoptedStyleSheets), which the UI's CSP (style-src 'self', no inline <style>) allows. Its theme
 * reads the page's colour variables, which inherit into the shadow root: light and dark follow.
 */
import { yaml, yamlLanguage } from '@codemirror/lang-yaml';
import { HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { lintGutter, setDiagnostics } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';
import { diagnosticsOf, type Problem } from './diagnostics';
import { schemaCompletion, type JsonSchema } from './schema-completion';

const theme = EditorView.theme({
  '&': { height: '65vh', backgroundColor: 'var(--bg-raised)', color: 'var(--fg)', fontSize: '14px' },
  '&.cm-focused': { outline: '3px solid var(--focus)', outlineOffset: '-3px' },
  '.cm-scroller': { fontFamily: "ui-monospace, 'SF Mono', Menlo, Consolas, monospace" },
  '.cm-gutters': { backgroundColor: 'var(--bg-soft)', color: 'var(--fg-muted)', borderRight: '1px solid var(--border)' },
  '.cm-activeLine, .cm-activeLineGutter': { backgroundColor: 'color-mix(in srgb, var(--accent) 8%, transparent)' },
  '.cm-cursor': { borderLeftColor: 'var(--fg)' },
  '.cm-selectionBackground, &.cm-focused .cm-selectionBackground': {
    backgroundColor: 'color-mix(in srgb, var(--accent) 30%, transparent)',
  },
  '.cm-tooltip': { backgroundColor: 'var(--bg-raised)', color: 'var(--fg)', border: '1px solid var(--border)' },
  '.cm-tooltip-autocomplete > ul > li[aria-selected]': { backgroundColor: 'var(--accent)', color: 'var(--accent-fg)' },
  '.cm-completionInfo': { maxWidth: '28rem' },
  '.cm-panels': { backgroundColor: 'var(--bg-soft)', color: 'var(--fg)' },
  '.cm-diagnostic-error': { borderLeftColor: 'var(--danger)' },
  '.cm-lintRange-error': { textDecoration: 'wavy underline var(--danger)', backgroundImage: 'none' },
  '.cm-foldPlaceholder': { backgroundColor: 'var(--bg-soft)', color: 'var(--fg)', border: '1px solid var(--border)' },
});

/** Token colours from the theme's variables (each readable on the editor's background, light or dark). */
const highlight = HighlightStyle.define([
  { tag: [tags.propertyName, tags.definition(tags.propertyName)], color: 'var(--run-fg)', fontWeight: '600' },
  { tag: [tags.string, tags.special(tags.string)], color: 'var(--ok-fg)' },
  { tag: [tags.number, tags.bool, tags.null, tags.atom, tags.keyword], color: 'var(--wait-fg)' },
  { tag: [tags.comment, tags.meta], color: 'var(--fg-muted)', fontStyle: 'italic' },
  { tag: [tags.punctuation, tags.separator, tags.bracket, tags.squareBracket, tags.brace], color: 'var(--fg)' },
  { tag: tags.invalid, color: 'var(--danger)' },
]);

export function YamlEditor(props: {
  initial: string;
  schema: JsonSchema | null;
  problems: Problem[] | null;
  /** The text the problems were found in: they are shown only while the document still is that text. */
  problemsFor: string | null;
  onChange(text: string): void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChange = useRef(props.onChange);
  useEffect(() => {
    onChange.current = props.onChange;
  });

  useEffect(() => {
    const el = host.current!;
    const shadow = el.shadowRoot ?? el.attachShadow({ mode: 'open' });
    const v = new EditorView({
      root: shadow,
      parent: shadow,
      state: EditorState.create({
        doc: props.initial,
        extensions: [
          basicSetup,
          theme,
          syntaxHighlighting(highlight),
          yaml(),
          lintGutter(),
          ...(props.schema ? [yamlLanguage.data.of({ autocomplete: schemaCompletion(props.schema) })] : []),
          EditorState.tabSize.of(2),
          // tabindex: contenteditable is focusable anyway; axe counts the scroller's content as focusable by it.
          EditorView.contentAttributes.of({ 'aria-label': 'Workflow spec (YAML)', tabindex: '0' }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) onChange.current(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
    // The editor is created once per page (a new initial text remounts it: see its key).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.schema]);

  useEffect(() => {
    const v = view.current;
    if (!v || props.problems === null || props.problemsFor !== v.state.doc.toString()) return;
    v.dispatch(setDiagnostics(v.state, diagnosticsOf(v.state, props.problems)));
  }, [props.problems, props.problemsFor]);

  return <div className="editor-host" ref={host} />;
}
