/**
 * The skill registry (table openclaw.skill): register a component with its manifest, list, and
 * resolve `name@range` to the newest matching version for the wasm executor. Skills belong to a
 * namespace (`ns`): a run's `wasm` tasks resolve in the run's namespace.
 */
import { createHash } from 'node:crypto';
import { ConflictError, EngineError } from '../errors.js';
import {
  componentHeaderProblem,
  forbiddenImportMessage,
  forbiddenImports,
  inspectComponent,
  SKILL_EXPORT,
} from '../executors/wasm/inspect.js';
import type { ResolvedSkill } from '../executors/wasm/types.js';
import type { EngineCore } from '../core/engine-core.js';
import { keysetPage, tupleCursor, type Page, type PageRequest } from '../db/keyset-page.js';
import { validateManifest, type SkillManifest } from './manifest.js';
import { maxSatisfying, parseRange, parseVersion, type Version } from './semver.js';

export interface RegisterSkillOptions {
  /** The skill's manifest (skill.json): name, version, description, inputSchema, outputSchema. */
  manifest: unknown;
  /** The component's bytes. */
  component: Uint8Array;
  /**
   * Development only (`openclaw dev`): a registered version with other bytes is overwritten
   * instead of being a conflict (a skill edited without a version bump). Never set by the API.
   */
  replace?: boolean;
}

export interface RegisterSkillResult {
  name: string;
  version: string;
  sha256: string;
  sizeBytes: number;
  /** false: this exact component was already registered under this name and version. */
  created: boolean;
  /** true: `replace` overwrote other bytes registered under this version. */
  replaced?: boolean;
  createdAt: Date;
}

export interface SkillSummary {
  name: string;
  version: string;
  sha256: string;
  sizeBytes: number;
  description: string | null;
  inputSchema: unknown;
  outputSchema: unknown;
  createdAt: Date;
}

/**
 * Registers a skill version. The component must be a WebAssembly component that exports the skill
 * interface and imports nothing but the host interface (checked here, and again when loaded).
 * The same name@version with the same bytes answers `created: false`; with other bytes it is a
 * `conflict` (versions are immutable: publish a new version).
 */
export async function registerSkill(
  core: EngineCore,
  ns: string,
  options: RegisterSkillOptions,
  maxBytes: number,
): Promise<RegisterSkillResult> {
  const manifest = validateManifest(options.manifest);
  const component = options.component;
  if (component.length === 0) throw new EngineError('invalid_request', 'the component is empty', { details: { field: 'component' } });
  if (component.length > maxBytes) {
    throw new EngineError(
      'payload_too_large',
      `the component is ${component.length} bytes, over the limit of ${maxBytes} bytes (OPENCLAW_MAX_SKILL_BYTES)`,
      { details: { field: 'component', limit: maxBytes } },
    );
  }
  const sha256 = createHash('sha256').update(component).digest('hex');
  const base = { name: manifest.name, version: manifest.version, sha256, sizeBytes: component.length };
  const existing = async () => {
    const { rows } = await core.pool.query<{ sha256: string; manifest: SkillManifest; created_at: Date }>(
      'SELECT sha256, manifest, created_at FROM openclaw.skill WHERE namespace = $1 AND name = $2 AND version = $3',
      [ns, manifest.name, manifest.version],
    );
    const old = rows[0];
    return old
      ? { createdAt: old.created_at, same: old.sha256 === sha256 && canonical(old.manifest) === canonical(manifest), sha256: old.sha256 }
      : null;
  };
  // The same registration again (every `openclaw dev` start) costs one small query.
  const before = await existing();
  if (before?.same) return { ...base, created: false, createdAt: before.createdAt };

  await checkComponent(component);
  const bytes = Buffer.from(component.buffer, component.byteOffset, component.byteLength);
  const version = parseVersion(manifest.version) as Version;
  if (!before) {
    const inserted = await core.pool.query<{ created_at: Date }>(
      `INSERT INTO openclaw.skill (namespace, name, version, major, minor, patch, sha256, size_bytes, component, manifest, description)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (namespace, name, version) DO NOTHING
       RETURNING created_at`,
      [
        ns,
        manifest.name,
        manifest.version,
        version.major,
        version.minor,
        version.patch,
        sha256,
        component.length,
        bytes,
        JSON.stringify(manifest),
        manifest.description ?? null,
      ],
    );
    const row = inserted.rows[0];
    if (row) return { ...base, created: true, createdAt: row.created_at };
  }
  // Registered before (or by a concurrent registration just now).
  const now = before ?? (await existing());
  if (!now) throw new Error('skill row vanished after a conflicting insert');
  if (now.same) return { ...base, created: false, createdAt: now.createdAt };
  if (options.replace) {
    const { rows } = await core.pool.query<{ created_at: Date }>(
      `UPDATE openclaw.skill SET sha256 = $4, size_bytes = $5, component = $6, manifest = $7, description = $8, created_at = now()
        WHERE namespace = $1 AND name = $2 AND version = $3 RETURNING created_at`,
      [ns, manifest.name, manifest.version, sha256, component.length, bytes, JSON.stringify(manifest), manifest.description ?? null],
    );
    return { ...base, created: false, replaced: true, createdAt: rows[0]?.created_at ?? new Date() };
  }
  throw new ConflictError(
    `skill ${manifest.name}@${manifest.version} is already registered with ${now.sha256 !== sha256 ? 'a different component' : 'a different manifest'}; versions are immutable: bump the version`,
    { name: manifest.name, version: manifest.version, sha256: now.sha256 },
  );
}

/** A component OpenClaw can run: a component (not a core module) of the skill world, with no imports beyond the host's. */
async function checkComponent(component: Uint8Array): Promise<void> {
  const problem = componentHeaderProblem(component);
  if (problem) throw new EngineError('invalid_request', problem, { details: { field: 'component' } });
  let shape;
  try {
    shape = await inspectComponent(component);
  } catch (err) {
    throw new EngineError('invalid_request', `the component cannot be read: ${err instanceof Error ? err.message : String(err)}`, {
      details: { field: 'component' },
      cause: err,
    });
  }
  const forbidden = forbiddenImports(shape);
  if (forbidden.length > 0) {
    throw new EngineError('invalid_request', forbiddenImportMessage(forbidden), {
      details: { field: 'component', forbiddenImports: forbidden },
    });
  }
  if (!shape.exports.includes(SKILL_EXPORT)) {
    throw new EngineError('invalid_request', `the component does not export ${SKILL_EXPORT} (see wasm-skills/wit/skill.wit)`, {
      details: { field: 'component', exports: shape.exports },
    });
  }
}

interface SkillListRow {
  name: string;
  version: string;
  major: number;
  minor: number;
  patch: number;
  sha256: string;
  size_bytes: number;
  description: string | null;
  input_schema: unknown;
  output_schema: unknown;
  created_at: Date;
}

/** Name, then newest version first. */
const byNameNewestFirst = {
  format: tupleCursor('string', 'integer', 'integer', 'integer'),
  keyOf: (r: SkillListRow): [string, number, number, number] => [r.name, r.major, r.minor, r.patch],
};

/** Registered versions (no component bytes), by name then newest version first, a page at a time. */
export async function listSkills(core: EngineCore, ns: string, filter: { name?: string } & PageRequest = {}): Promise<Page<SkillSummary>> {
  const { items, nextCursor } = await keysetPage(filter, byNameNewestFirst, async (after, take) => {
    const { rows } = await core.pool.query<SkillListRow>(
      `SELECT name, version, major, minor, patch, sha256, size_bytes, description, manifest->'inputSchema' AS input_schema,
              manifest->'outputSchema' AS output_schema, created_at
         FROM openclaw.skill
        WHERE namespace = $1 AND ($2::text IS NULL OR name = $2)
          AND ($3::text IS NULL OR name > $3 OR (name = $3 AND (major, minor, patch) < ($4::int, $5::int, $6::int)))
        ORDER BY name, major DESC, minor DESC, patch DESC LIMIT $7`,
      [ns, filter.name ?? null, after?.[0] ?? null, after?.[1] ?? null, after?.[2] ?? null, after?.[3] ?? null, take],
    );
    return rows;
  });
  return { items: items.map(toSummary), nextCursor };
}

function toSummary(r: SkillListRow): SkillSummary {
  return {
    name: r.name,
    version: r.version,
    sha256: r.sha256,
    sizeBytes: r.size_bytes,
    description: r.description,
    inputSchema: r.input_schema ?? null,
    outputSchema: r.output_schema ?? null,
    createdAt: r.created_at,
  };
}

/**
 * The newest version of skill `name` of namespace `ns` that satisfies `range` (see semver.ts), or null. The component
 * bytes are read only when `loadComponent()` is called.
 */
export async function resolveSkill(core: EngineCore, ns: string, name: string, rangeText: string): Promise<ResolvedSkill | null> {
  const range = parseRange(rangeText);
  if (!range) return null;
  const { rows } = await core.pool.query<{
    version: string;
    major: number;
    minor: number;
    patch: number;
    sha256: string;
    manifest: SkillManifest;
  }>('SELECT version, major, minor, patch, sha256, manifest FROM openclaw.skill WHERE namespace = $1 AND name = $2', [ns, name]);
  const best = maxSatisfying(rows, range);
  if (!best) return null;
  return {
    name,
    version: best.version,
    sha256: best.sha256,
    manifest: best.manifest,
    loadComponent: async () => {
      const r = await core.pool.query<{ component: Buffer }>(
        'SELECT component FROM openclaw.skill WHERE namespace = $1 AND name = $2 AND version = $3',
        [ns, name, best.version],
      );
      const c = r.rows[0]?.component;
      if (!c) throw new Error(`skill ${name}@${best.version} was removed from the registry`);
      return new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
    },
  };
}

function canonical(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}
