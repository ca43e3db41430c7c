-- API keys (docs/security.md). A key is `ocl_<id>_<secret>`: the id is stored as is, the secret
-- only as its SHA-256 (a 256-bit random secret needs no slow hash). Revoked keys stay, for the
-- audit log's principal ids; they never authenticate again.
CREATE TABLE openclaw.api_key (
  id           text PRIMARY KEY,
  name         text NOT NULL,
  role         text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  -- NULL: every namespace (`*`).
  namespaces   text[],
  secret_hash  bytea NOT NULL,
  created_by   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_key_list_idx ON openclaw.api_key (created_at DESC, id);
