-- Secrets (envelope encryption) and evaluated task blocks.
--
-- A secret's value is encrypted with its own random data key (AES-256-GCM); the data key is
-- encrypted ("wrapped") with the engine's master key, identified by `key_id` (a fingerprint, never
-- the key). Rotating the master key re-wraps data keys only. Plain values never reach the database.
CREATE TABLE openclaw.secret (
  namespace   text NOT NULL DEFAULT 'default',
  name        text NOT NULL,
  key_id      text NOT NULL,
  wrapped_key bytea NOT NULL,   -- iv (12) || tag (16) || encrypted data key (32)
  ciphertext  bytea NOT NULL,   -- iv (12) || tag (16) || encrypted value
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (namespace, name)
);

-- A task step's `wasm:` / `container:` / `http:` block with its expressions evaluated when the step
-- became ready (NULL when the block has no expressions: the graph's block is used as is). Secret
-- references are stored as placeholders and resolved only by the worker, at execution time.
ALTER TABLE openclaw.step ADD COLUMN task_spec jsonb;
