-- Webhook replays (issue 10): a signature is accepted once.
--
-- The OpenClaw and GitHub schemes do not sign the delivery id, so a captured request could be
-- resent under a new id (or none) and start another run. The webhook route inserts one row per
-- accepted signature in the transaction that records the delivery and creates the run — after the
-- webhook_delivery row, so a retry of the same delivery id is still answered as a duplicate — and
-- refuses a request whose row already exists (409 conflict, details.reason signature_replayed).
--
-- digest is SHA-256 of the scheme and the signed content (OpenClaw: "<t>.<body>"; GitHub: the body),
-- never the signature or the secret: any valid signature of the same content is the same row.
-- signed_at is the OpenClaw timestamp t; rows whose t is more than twice the tolerance window old
-- are deleted by the statement that inserts the next row (a signature that old no longer verifies).
-- GitHub signatures have no timestamp (signed_at NULL): their rows are kept, like delivery rows.
-- Standard Webhooks signatures sign their webhook-id, so the delivery id suffices: no row.
CREATE TABLE openclaw.webhook_signature (
  namespace   text NOT NULL DEFAULT 'default',
  workflow    text NOT NULL,
  hook        text NOT NULL,
  digest      bytea NOT NULL CHECK (octet_length(digest) = 32),
  scheme      text NOT NULL CHECK (scheme IN ('openclaw', 'github')),
  signed_at   timestamptz,
  delivery_id text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (namespace, workflow, hook, digest),
  CONSTRAINT webhook_signature_timestamped CHECK ((scheme = 'openclaw') = (signed_at IS NOT NULL))
);

-- The pruning scan: oldest timestamped rows first.
CREATE INDEX webhook_signature_signed_at ON openclaw.webhook_signature (signed_at) WHERE signed_at IS NOT NULL;

COMMENT ON TABLE openclaw.webhook_signature IS
  'One row per accepted OpenClaw or GitHub webhook signature (SHA-256 of what it signs); a second request with the same one is a replay.';
