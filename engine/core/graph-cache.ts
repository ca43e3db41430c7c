import type { Queryable } from '../db/pool.js';
import type { CompiledWorkflow } from '../spec/types.js';

/**
 * Compiled workflows by `workflow_version.id`. Versions are immutable, so entries never go stale;
 * the cache is bounded (oldest evicted first).
 */
export class GraphCache {
  private readonly entries = new Map<string, CompiledWorkflow>();
  constructor(private readonly max = 500) {}

  async get(db: Queryable, versionId: string): Promise<CompiledWorkflow> {
    const hit = this.entries.get(versionId);
    if (hit) return hit;
    const { rows } = await db.query<{ graph: CompiledWorkflow }>('SELECT graph FROM openclaw.workflow_version WHERE id = $1', [versionId]);
    const graph = rows[0]?.graph;
    if (!graph) throw new Error(`workflow version ${versionId} not found`);
    this.put(versionId, graph);
    return graph;
  }

  put(versionId: string, graph: CompiledWorkflow): void {
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(versionId, graph);
  }
}
