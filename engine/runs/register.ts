import { withTx } from '../db/tx.js';
import { NotFoundError } from '../errors.js';
import { compileSpec, specContentHash, type CompileOptions } from '../spec/compile.js';
import { STOP_SCHEDULES_SQL, syncSchedules, versionTriggers } from '../triggers/schedules.js';
import type { EngineCore } from '../core/engine-core.js';

export interface RegisterResult {
  name: string;
  version: number;
  /** false when the same content was already registered (that version is returned). */
  created: boolean;
  versionId: string;
  createdAt: Date;
}

/**
 * Registers a spec (YAML or JSON text) in namespace `ns`: the same content registers once (by content hash of the
 * parsed spec, so formatting does not matter); changed content becomes version N+1. Registering
 * an archived workflow brings it back. Concurrent registrations serialise on the workflow row.
 * A new version also brings the workflow's cron schedules in line with its triggers (see
 * triggers/schedules.ts); bringing an archived workflow back resumes them from now.
 */
export async function registerWorkflow(core: EngineCore, ns: string, text: string, options: CompileOptions = {}): Promise<RegisterResult> {
  const { compiled, spec } = compileSpec(text, options);
  const hash = specContentHash(spec);
  return await withTx(core.pool, async (db) => {
    await db.query(
      `INSERT INTO openclaw.workflow (namespace, name, latest_version) VALUES ($1, $2, 0) ON CONFLICT (namespace, name) DO NOTHING`,
      [ns, compiled.name],
    );
    const { rows: wf } = await db.query<{ latest_version: number; archived_at: Date | null }>(
      'SELECT latest_version, archived_at FROM openclaw.workflow WHERE namespace = $1 AND name = $2 FOR NO KEY UPDATE',
      [ns, compiled.name],
    );
    const latest = wf[0]?.latest_version ?? 0;
    if (wf[0]?.archived_at) {
      await db.query('UPDATE openclaw.workflow SET archived_at = NULL, updated_at = now() WHERE namespace = $1 AND name = $2', [
        ns,
        compiled.name,
      ]);
    }
    const same = await db.query<{ id: string; version: number; created_at: Date }>(
      'SELECT id, version, created_at FROM openclaw.workflow_version WHERE namespace = $1 AND name = $2 AND content_hash = $3',
      [ns, compiled.name, hash],
    );
    const hit = same.rows[0];
    if (hit) {
      // The schedules follow the latest version (an archived workflow's resume from now).
      const triggers = hit.version === latest ? compiled.triggers : await versionTriggers(db, ns, compiled.name, latest);
      await syncSchedules(db, ns, compiled.name, triggers);
    }
    if (hit) return { name: compiled.name, version: hit.version, created: false, versionId: hit.id, createdAt: hit.created_at };
    const version = latest + 1;
    const ins = await db.query<{ id: string; created_at: Date }>(
      `INSERT INTO openclaw.workflow_version (namespace, name, version, content_hash, spec_text, spec, graph)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, created_at`,
      [ns, compiled.name, version, hash, text, JSON.stringify(spec), JSON.stringify(compiled)],
    );
    await db.query('UPDATE openclaw.workflow SET latest_version = $3, updated_at = now() WHERE namespace = $1 AND name = $2', [
      ns,
      compiled.name,
      version,
    ]);
    const row = ins.rows[0];
    if (!row) throw new Error('insert returned no row');
    await syncSchedules(db, ns, compiled.name, compiled.triggers);
    core.graphs.put(row.id, compiled);
    return { name: compiled.name, version, created: true, versionId: row.id, createdAt: row.created_at };
  });
}

/** Archives a workflow of namespace `ns`: no new runs and no cron ticks (its schedules stop); running runs finish. */
export async function archiveWorkflow(core: EngineCore, ns: string, name: string): Promise<void> {
  const found = await withTx(core.pool, async (db) => {
    const { rowCount } = await db.query(
      'UPDATE openclaw.workflow SET archived_at = coalesce(archived_at, now()), updated_at = now() WHERE namespace = $1 AND name = $2',
      [ns, name],
    );
    if (rowCount) await db.query(STOP_SCHEDULES_SQL, [ns, name]);
    return Boolean(rowCount);
  });
  if (!found) throw new NotFoundError('workflow', name);
}
