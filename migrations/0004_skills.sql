-- The skill registry: WebAssembly components that `wasm: { skill: name@range }` tasks run.
--
-- One row per (namespace, name, version); a version is immutable once registered (the same bytes
-- again are a no-op, other bytes are a conflict). major/minor/patch order the versions so that
-- `name@1` resolves to the newest 1.x.y. The manifest (skill.json) holds the description and the
-- input/output JSON Schemas. Components are ~12 MB (componentize-js embeds a JS engine): stored
-- uncompressed (STORAGE EXTERNAL), read only when a worker has not cached the digest yet.
CREATE TABLE openclaw.skill (
  namespace   text NOT NULL DEFAULT 'default',
  name        text NOT NULL,
  version     text NOT NULL,
  major       integer NOT NULL CHECK (major >= 0),
  minor       integer NOT NULL CHECK (minor >= 0),
  patch       integer NOT NULL CHECK (patch >= 0),
  sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size_bytes  integer NOT NULL,
  component   bytea NOT NULL,
  manifest    jsonb NOT NULL,
  description text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (namespace, name, version),
  UNIQUE (namespace, name, major, minor, patch)
);

ALTER TABLE openclaw.skill ALTER COLUMN component SET STORAGE EXTERNAL;
