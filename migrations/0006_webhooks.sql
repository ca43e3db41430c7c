-- Webhooks: a replaced secret value stays usable for signature verification for an overlap.
--
-- PUT /v1/secrets/NAME on an existing secret moves the current sealed value (its wrapped data key
-- and ciphertext, still authenticated with the secret's namespace and name) into previous_* and
-- stamps previous_replaced_at; webhook verification accepts a signature made with the previous
-- value while previous_replaced_at is within OPENCLAW_WEBHOOK_SECRET_OVERLAP_MS of now(). Only one
-- previous value is kept. Nothing here is ever a plain value or a key.
ALTER TABLE openclaw.secret
  ADD COLUMN previous_key_id      text,
  ADD COLUMN previous_wrapped_key bytea,
  ADD COLUMN previous_ciphertext  bytea,
  ADD COLUMN previous_replaced_at timestamptz,
  ADD CONSTRAINT secret_previous_whole CHECK (
    (previous_key_id IS NULL) = (previous_wrapped_key IS NULL)
    AND (previous_key_id IS NULL) = (previous_ciphertext IS NULL)
    AND (previous_key_id IS NULL) = (previous_replaced_at IS NULL)
  );

-- openclaw.webhook_delivery (0001) is the deduplication record: its primary key
-- (namespace, workflow, hook, delivery_id) is inserted in the same transaction that creates the
-- run, so a delivery id starts at most one run. Retention of old rows comes with run retention.
COMMENT ON TABLE openclaw.webhook_delivery IS
  'One row per accepted webhook delivery id; inserted in the transaction that creates its run (run_id).';
