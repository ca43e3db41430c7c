-- The audit log (docs/security.md, "Audit log"): one row per mutating request (POST, PUT, PATCH,
-- DELETE) and per refused one (401, 403, 429), appended by the API after the response is sent
-- (engine/audit/). Never a body, a query string or a credential: who, where, what route, the ids
-- the route named, the status. Rows are only appended and, past OPENCLAW_AUDIT_RETENTION_DAYS,
-- deleted by the scheduler leader in bounded batches; no API edits or deletes them.
--
-- 0001 created a placeholder audit_log (actor, action, target, data) that nothing ever wrote to:
-- it is replaced by this shape.
DROP TABLE openclaw.audit_log;

CREATE TABLE openclaw.audit_log (
  id              bigserial PRIMARY KEY,
  -- When the API answered (the recording process's clock).
  at              timestamptz NOT NULL DEFAULT now(),
  -- The API key id, the OIDC subject (`oidc:<sub>`), `local`; NULL when unauthenticated.
  principal       text,
  -- api_key, oidc, local; webhook for the signature-authenticated webhook route; anonymous.
  principal_kind  text,
  role            text,
  -- The namespace the request named (default `default`); NULL when it named an invalid one.
  namespace       text,
  method          text NOT NULL,
  -- The route template (`/v1/runs/{id}/cancel`), or the raw path (no query string, at most 200
  -- characters) when no route matched.
  route           text NOT NULL,
  -- The route's path parameters, e.g. {"id": "..."}; {} when none.
  ids             jsonb NOT NULL DEFAULT '{}'::jsonb,
  status          integer NOT NULL,
  client_address  text,
  request_id      text
);

-- Listing newest first (and the retention scan: the oldest rows are at its end).
CREATE INDEX audit_log_at_idx ON openclaw.audit_log (at DESC, id DESC);
-- Filtering by who and where, newest first.
CREATE INDEX audit_log_principal_idx ON openclaw.audit_log (principal, at DESC, id DESC);
CREATE INDEX audit_log_namespace_idx ON openclaw.audit_log (namespace, at DESC, id DESC);

COMMENT ON TABLE openclaw.audit_log IS
  'Append-only record of mutating and refused API requests: principal, role, namespace, method, route, ids, status, client address, request id. Never a body or a secret.';
