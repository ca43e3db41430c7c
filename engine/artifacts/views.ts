/**
 * The read side of artifacts (docs/artifacts.md, "API and CLI"): a run's file artifacts as
 * `GET /v1/runs/{id}` and `GET /v1/runs/{id}/artifacts` show them, and one artifact by id, in a
 * namespace, for `GET /v1/artifacts/{id}`. Only `kind = 'file'` rows are artifacts to the user:
 * `json` rows hold large step outputs and run inputs by reference, shown as those values.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Readable } from 'node:stream';
import type { DB, OpenclawArtifact } from '../db/types.generated.js';
import { EngineError, NotFoundError } from '../errors.js';
import type { ArtifactService } from './service.js';

export interface ArtifactView {
  id: string;
  name: string;
  /** The step that wrote it (null for none). */
  stepKey: string | null;
  /** The attempt whose completion attached it. */
  attempt: number | null;
  size: number;
  /** Lower-case hex SHA-256 of the bytes. */
  sha256: string;
  mediaType: string;
  createdAt: string;
  /** The artifact the step cache served this one from (docs/caching.md), else null. */
  cachedFrom: string | null;
}

/** An artifact and a way to read its bytes (all of them, or an inclusive byte range). */
export interface ArtifactDownload extends ArtifactView {
  open(options?: { range?: { start: number; end: number }; signal?: AbortSignal }): Promise<Readable>;
}

export function artifactView(a: Selectable<OpenclawArtifact>): ArtifactView {
  return {
    id: a.id,
    name: a.name,
    stepKey: a.step_key,
    attempt: a.attempt,
    size: Number(a.size),
    sha256: a.sha256,
    mediaType: a.media_type,
    createdAt: a.created_at.toISOString(),
    cachedFrom: a.cached_from,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The file artifacts of a run, in the order they were attached (the caller has checked the run's namespace). */
export async function runArtifacts(db: Kysely<DB>, runId: string): Promise<ArtifactView[]> {
  const rows = await db
    .selectFrom('openclaw.artifact')
    .selectAll()
    .where('run_id', '=', runId)
    .where('kind', '=', 'file')
    .orderBy('created_at')
    .orderBy('step_key')
    .orderBy('name')
    .execute();
  return rows.map(artifactView);
}

/** One file artifact of namespace `ns` (404 for another namespace's, a `json` row, or none). */
export async function findArtifact(db: Kysely<DB>, ns: string, id: string): Promise<Selectable<OpenclawArtifact>> {
  const row = UUID.test(id)
    ? await db
        .selectFrom('openclaw.artifact')
        .selectAll()
        .where('id', '=', id)
        .where('namespace', '=', ns)
        .where('kind', '=', 'file')
        .executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError('artifact', id);
  return row;
}

/**
 * The download of an artifact row. A store that cannot deliver the bytes (unreachable, or the object
 * is gone) is `unavailable` (503) for the API; the cause, with the bucket or directory, goes to the
 * server log only.
 */
export function artifactDownload(row: Selectable<OpenclawArtifact>, artifacts: ArtifactService): ArtifactDownload {
  return {
    ...artifactView(row),
    open: async (options = {}) => {
      try {
        return await artifacts.open(row.object_key, options.signal, options.range);
      } catch (err) {
        throw new EngineError('unavailable', `the artifact store could not deliver artifact ${row.id} (${row.name}); see the server log`, {
          cause: err,
        });
      }
    },
  };
}
