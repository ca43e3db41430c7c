/** Expression scopes for a node, and evaluating a node's templates in them. */
import { TaskError, type ErrorInfo } from '../errors.js';
import type { RunCtx, ScopeView } from '../core/transition-tx.js';
import { evaluateTemplate, type EvaluateOptions } from '../spec/expressions.js';
import type { NodeCommon, Refs, Template } from '../spec/types.js';
import { FAILURES } from '../vocabulary/failures.js';
import { SQL } from '../vocabulary/statuses.js';
import { readJson } from './json-columns.js';

/**
 * Loads the latest visit of the referenced steps (not forEach items). A finished visit wins over
 * an unfinished one, so a state re-entered in a loop reads its previous visit's output, not its
 * own pending row.
 */
async function loadSteps(rc: RunCtx, refs: Refs): Promise<ScopeView[]> {
  if (Array.isArray(refs.steps) && refs.steps.length === 0) return [];
  const all = refs.steps === '*';
  const { rows } = await rc.tx.client.query<ScopeView>(
    `SELECT DISTINCT ON (name) name, status, output, error FROM openclaw.step
      WHERE run_id = $1 AND kind <> 'item' ${all ? '' : 'AND name = ANY($2)'}
      ORDER BY name, (status IN (${SQL.terminalStep})) DESC, id DESC`,
    all ? [rc.run.id] : [rc.run.id, refs.steps],
  );
  // A large output is read from the artifact store here: expressions see values, never references.
  for (const row of rows) row.output = await readJson(rc, row.output);
  return rows;
}

/**
 * Builds the expression scope for a node: `inputs`, `steps` (DAG) or `states` (state machine)
 * keyed by the names the author wrote, `run`, `attempt`, plus `extra` (item, index, ...).
 * Only what the node's compiled `refs` mention is loaded.
 */
export async function buildScope(rc: RunCtx, node: NodeCommon, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const scope: Record<string, unknown> = {
    run: { id: rc.run.id, workflow: rc.run.workflow, version: rc.run.version },
    attempt: 1,
    ...extra,
  };
  if (node.refs.inputs) scope.inputs = await runInput(rc);
  const { field, byName } = rc.model.scopeField(rc.wf, node, await loadSteps(rc, node.refs));
  scope[field] = byName;
  return scope;
}

/** The run's input (read once per transaction). */
export async function runInput(rc: RunCtx): Promise<unknown> {
  if (rc.input !== undefined) return rc.input;
  const { rows } = await rc.tx.client.query<{ input: unknown }>('SELECT input FROM openclaw.run WHERE id = $1', [rc.run.id]);
  const input = await readJson(rc, rows[0]?.input ?? null);
  rc.input = input;
  return input;
}

/** Evaluates a template for `node` (expression errors name `<node path>/<field>`). */
export async function evalFor(
  rc: RunCtx,
  node: NodeCommon,
  template: Template,
  field: string,
  extra: Record<string, unknown> = {},
): Promise<unknown> {
  const scope = await buildScope(rc, node, extra);
  return await evaluateTemplate(template, scope, evalOptions(rc, `${node.path}/${field}`));
}

/**
 * The limits of an evaluation: its time box, and a result of at most twice the hard limit of a JSON
 * value (a guard against runaway memory, counted roughly; what is stored is then sized exactly
 * against OPENCLAW_MAX_JSON_BYTES, failing InputTooLarge or OutputTooLarge).
 */
export function evalOptions(rc: RunCtx, field: string): EvaluateOptions {
  const { expressionTimeoutMs, maxJsonBytes } = rc.tx.core.config;
  return { field, timeoutMs: expressionTimeoutMs, maxOutputBytes: 2 * maxJsonBytes, maxOutputSetting: 'OPENCLAW_MAX_JSON_BYTES' };
}

/** A thrown evaluation error as a step error (non-retryable: the same expression fails the same way). */
export function asErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof TaskError) return { name: err.name, message: err.message };
  if (err instanceof Error) return { name: FAILURES.ExpressionError, message: err.message };
  return { name: FAILURES.ExpressionError, message: String(err) };
}
