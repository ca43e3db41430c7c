import type { NodeCommon, Refs, Scope, SmState } from '../spec/types.js';
import type { RunCtx } from './types.js';

interface StepView {
  name: string;
  status: string;
  output: unknown;
  error: unknown;
}

/**
 * Loads the latest visit of the referenced steps (not forEach items). A finished visit wins over
 * an unfinished one, so a state re-entered in a loop reads its previous visit's output, not its
 * own pending row.
 */
async function loadSteps(rc: RunCtx, refs: Refs): Promise<StepView[]> {
  if (Array.isArray(refs.steps) && refs.steps.length === 0) return [];
  const all = refs.steps === '*';
  const { rows } = await rc.tx.client.query<StepView>(
    `SELECT DISTINCT ON (name) name, status, output, error FROM openclaw.step
      WHERE run_id = $1 AND kind <> 'item' ${all ? '' : 'AND name = ANY($2)'}
      ORDER BY name, (status IN ('succeeded', 'skipped', 'failed', 'dead', 'cancelled')) DESC, id DESC`,
    all ? [rc.run.id] : [rc.run.id, refs.steps],
  );
  return rows;
}

function sameScope(a: Scope, b: Scope): boolean {
  if (a === null || b === null) return a === b;
  return a.parent === b.parent && a.branch === b.branch;
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
  const views = await loadSteps(rc, node.refs);
  const byName: Record<string, unknown> = {};
  const graph = rc.wf.graph;
  const nodeScope: Scope = graph.model === 'sm' ? ((graph.states[node.name] as SmState | undefined)?.scope ?? null) : null;
  for (const v of views) {
    let key = v.name;
    if (graph.model === 'sm') {
      const st = graph.states[v.name];
      if (st && st.scope !== null && sameScope(st.scope, nodeScope)) key = st.localName;
    }
    byName[key] = { output: v.output ?? null, status: v.status, error: v.error ?? null };
  }
  scope[graph.model === 'dag' ? 'steps' : 'states'] = byName;
  return scope;
}

/** The run's input (read once per transaction). */
export async function runInput(rc: RunCtx): Promise<unknown> {
  if (rc.input !== undefined) return rc.input;
  const { rows } = await rc.tx.client.query<{ input: unknown }>('SELECT input FROM openclaw.run WHERE id = $1', [rc.run.id]);
  const input = rows[0]?.input ?? null;
  rc.input = input;
  return input;
}
