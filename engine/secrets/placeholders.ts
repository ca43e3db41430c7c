/**
 * How `${{ secrets.NAME }}` travels: when a step becomes ready its task block is evaluated with
 * `secrets.NAME` bound to a placeholder (never the value), and that is what the database stores.
 * The worker swaps placeholders for values just before the executor runs, then masks the values
 * in everything that comes back. A secret can therefore be placed in a string (`"Bearer
 * ${{ secrets.TOKEN }}"`) but not transformed by an expression (`$uppercase(secrets.TOKEN)`
 * would change the placeholder, not the value).
 */
import { isTemplate } from '../spec/template.js';

const MARK = '\u001b';
// eslint-disable-next-line no-control-regex -- the ESC marks are the point: no spec text contains them
const PLACEHOLDER = /\u001bopenclaw-secret:([A-Za-z_][A-Za-z0-9_]{0,127})\u001b/g;
const REFERENCE = /secrets\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)/g;

export const secretPlaceholder = (name: string): string => `${MARK}openclaw-secret:${name}${MARK}`;

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) strings(v, out);
  return out;
}

/** `{NAME: placeholder}` for every `secrets.NAME` the template's expressions mention. */
export function secretScope(template: unknown): Record<string, string> {
  const scope: Record<string, string> = {};
  for (const s of strings(template)) for (const m of s.matchAll(REFERENCE)) scope[m[1]!] = secretPlaceholder(m[1]!);
  return scope;
}

/** Names of the placeholders in an evaluated block. */
export function placeholderNames(value: unknown): string[] {
  const names = new Set<string>();
  for (const s of strings(value)) for (const m of s.matchAll(PLACEHOLDER)) names.add(m[1]!);
  return [...names];
}

/** A copy of `value` with every placeholder replaced by its secret's value. */
export function substitutePlaceholders(value: unknown, values: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') return value.includes(MARK) ? value.replace(PLACEHOLDER, (_, n: string) => values.get(n) ?? '') : value;
  if (Array.isArray(value)) return value.map((v) => substitutePlaceholders(v, values));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitutePlaceholders(v, values)]));
  }
  return value;
}

const dynamic = new WeakMap<object, boolean>();

/** True when a task block has expressions (it must be evaluated when the step becomes ready). */
export function taskHasTemplates(task: { kind: string; spec?: unknown }): boolean {
  if (task.kind === 'builtin') return false;
  let d = dynamic.get(task);
  if (d === undefined) {
    d = isTemplate(task.spec);
    dynamic.set(task, d);
  }
  return d;
}
