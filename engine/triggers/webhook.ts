/**
 * Webhook deliveries: `POST /v1/hooks/{workflow}/{hook}` authenticated by an HMAC signature over
 * the raw body (see signature.ts: the OpenClaw, Standard Webhooks and GitHub schemes), deduplicated
 * by delivery id, refused when they replay an accepted signature, and turned into a run. A delivery
 * acts in one namespace (the request's, `?namespace=`): the workflow, the hook's secret, the
 * delivery and signature rows and the run are all that namespace's.
 *
 * Order of checks: body size (413), workflow and hook exist (404), a signature header is present
 * (401 "missing"), the signature matches the hook's secret — its current value or, during a
 * rotation overlap, the previous one — (401 "invalid"), the timestamp is within tolerance (401
 * "outside tolerance"), the workflow is not archived (409), the delivery id is well formed (400).
 * Then, in the transaction that creates the run: the delivery id is recorded (a known one answers
 * 202 with its run, `duplicate: true` — before anything else, so a sender's retry of a delivery is
 * never refused), then the signature is recorded (one already accepted, under another delivery id
 * or none, is refused: 409 `conflict`, `details.reason: "signature_replayed"`), and only then is
 * the body decoded and the hook's `input` evaluated: nothing the sender controls is interpreted
 * before it is authenticated.
 *
 * Exactly one run per delivery id: the `webhook_delivery` row (primary key namespace, workflow,
 * hook, delivery id) is inserted in the transaction that creates the run, before the run. Copies
 * arriving at once wait on that key; when the first commits they find its row and return its run
 * (`duplicate: true`); when it rolls back (an input that fails the workflow's `inputs` schema) no
 * row is left, so the sender can fix and resend the same delivery. The run's idempotency key
 * (`webhook:<hook>:<delivery id>`) is a second line that outlives delivery-row retention.
 * Deliveries without an id are deduplicated on nothing — never on a body hash, which would drop
 * legitimate repeats such as empty-body pings — and each starts a run (unless it replays a signature).
 *
 * One acceptance per signature (OpenClaw and GitHub schemes, whose delivery ids are not signed): the
 * `webhook_signature` row (namespace, workflow, hook, `replayDigest` of the signed content) is
 * inserted in the same transaction, after the delivery row; a copy under a new delivery id waits on
 * that key and is refused once the first commits. OpenClaw rows are deleted once their timestamp is
 * two tolerance windows old (a signature that old no longer verifies anyway): up to 100 at a time,
 * skipping locked rows, by the statement that inserts the next row. GitHub signatures carry no
 * timestamp, so their rows are kept (like delivery rows). Standard Webhooks signatures sign their
 * id, so the delivery id alone stops their replays and no row is written.
 */
import { ConflictError, EngineError, NotFoundError, TaskError } from '../errors.js';
import type { EngineCore } from '../core/engine-core.js';
import { createRunInTx } from '../runs/create-run.js';
import { withTransitionTx } from '../runs/driver.js';
import { readSecretVersions } from '../secrets/store.js';
import { evaluateTemplate } from '../spec/expressions.js';
import {
  DELIVERY_HEADER,
  GITHUB_DELIVERY_HEADER,
  GITHUB_SIGNATURE_HEADER,
  parseSignatureHeader,
  replayDigest,
  SIGNATURE_HEADER,
  STANDARD_ID_HEADER,
  STANDARD_SIGNATURE_HEADER,
  STANDARD_TIMESTAMP_HEADER,
  verify,
  verifyGithub,
  verifyStandard,
  type VerifyFailure,
  type VerifyResult,
} from './signature.js';

export interface WebhookRequest {
  workflow: string;
  hook: string;
  /** The request body exactly as received (what was signed); empty when there was none. */
  body: Buffer;
  /** Request headers with lower-case names (as Node gives them). */
  headers: Record<string, string | string[] | undefined>;
  /** The parsed query string. */
  query?: Record<string, unknown>;
}

export interface WebhookDelivery {
  runId: string;
  /** The delivery id header's value, or null when none was sent. */
  deliveryId: string | null;
  /** true when this delivery id was already accepted: `runId` is the run it started. */
  duplicate: boolean;
}

/** A webhook trigger as written in a spec. */
interface HookDef {
  index: number;
  name: string;
  secret: string | null;
  input: unknown;
}

/** Headers never shown to `input` expressions: signatures, and credentials that must not end up in a run input. */
const HIDDEN_HEADERS = new Set([
  SIGNATURE_HEADER,
  GITHUB_SIGNATURE_HEADER,
  STANDARD_SIGNATURE_HEADER,
  'x-hub-signature',
  'authorization',
  'proxy-authorization',
  'cookie',
]);
const DELIVERY_ID = /^[\x21-\x7e]{1,200}$/;
const JSON_TYPE = /^(application\/([\w.+-]+\+)?json|text\/json)\s*(;|$)/i;

const MESSAGES: Record<VerifyFailure, string> = {
  missing_header:
    'missing signature header: send X-OpenClaw-Signature (t=<unix seconds>,v1=<hex hmac-sha256>), ' +
    'webhook-signature (Standard Webhooks, with webhook-id and webhook-timestamp) or X-Hub-Signature-256',
  invalid_signature: 'invalid signature',
  timestamp_outside_tolerance: 'signature timestamp outside tolerance',
};

function header(headers: WebhookRequest['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function findHook(triggers: unknown[], name: string): HookDef | null {
  for (const [index, t] of triggers.entries()) {
    if (t === null || typeof t !== 'object') continue;
    const w = (t as { webhook?: unknown }).webhook;
    if (w === null || typeof w !== 'object') continue;
    const hook = w as { name?: unknown; secret?: unknown; input?: unknown };
    if (hook.name !== name) continue;
    return { index, name, secret: typeof hook.secret === 'string' ? hook.secret : null, input: hook.input };
  }
  return null;
}

/** `body` for expressions: JSON when the content type says so and it parses, else text; null when empty. */
export function decodeBody(body: Buffer, contentType: string | undefined): unknown {
  if (body.length === 0) return null;
  const text = body.toString('utf8');
  if (contentType && JSON_TYPE.test(contentType)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // Not JSON after all: the text.
    }
  }
  return text;
}

/** The delivery's `traceparent` header as a start option (none when absent). */
function traceparentOf(headers: WebhookRequest['headers']): { traceparent?: string } {
  const v = header(headers, 'traceparent');
  return v === undefined ? {} : { traceparent: v };
}

function visibleHeaders(headers: WebhookRequest['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    const name = k.toLowerCase();
    if (v === undefined || HIDDEN_HEADERS.has(name)) continue;
    out[name] = v;
  }
  return out;
}

function unauthorized(reason: VerifyFailure): EngineError {
  return new EngineError('unauthorized', MESSAGES[reason]);
}

/** OpenClaw signature rows older than this many tolerance windows are deleted (see the header comment). */
const PRUNE_AFTER_TOLERANCES = 2;
/** At most this many old rows are deleted by one insert. */
const PRUNE_BATCH = 100;

/** What authentication established: the scheme, the delivery id it vouches for, and the signature to record. */
interface Authenticated {
  scheme: 'openclaw' | 'standard' | 'github';
  /** The delivery id header's value (not yet checked for form), or null when none was sent. */
  deliveryId: string | null;
  /** The signature to accept only once; null when the scheme signs its delivery id (Standard Webhooks). */
  replay: { digest: Buffer; signedAt: number | null } | null;
}

/**
 * Verifies a delivery and starts its run (or finds the run its delivery id already started).
 *
 * @throws EngineError `payload_too_large` (413), `not_found` (404), `unauthorized` (401),
 *   `conflict` (409, archived), `invalid_request` (400, malformed delivery id), `invalid_input`
 *   (400: the input expression failed or the workflow's `inputs` schema rejected it),
 *   `unavailable` (503: this process cannot decrypt secrets).
 */
export async function deliverWebhook(core: EngineCore, ns: string, req: WebhookRequest): Promise<WebhookDelivery> {
  const max = core.config.maxWebhookBytes;
  if (req.body.length > max) {
    throw new EngineError(
      'payload_too_large',
      `webhook body is ${req.body.length} bytes, over ${max}; raise OPENCLAW_MAX_WEBHOOK_BYTES to allow more`,
      { details: { limit: max } },
    );
  }
  const where = `${req.workflow}/${req.hook}`;
  const { rows } = await core.pool.query<{ archived_at: Date | null; version: number; version_id: string }>(
    `SELECT w.archived_at, v.version, v.id AS version_id
       FROM openclaw.workflow w
       JOIN openclaw.workflow_version v ON v.namespace = w.namespace AND v.name = w.name AND v.version = w.latest_version
      WHERE w.namespace = $1 AND w.name = $2`,
    [ns, req.workflow],
  );
  const wfRow = rows[0];
  if (!wfRow) throw new NotFoundError('webhook', where);
  const wf = await core.graphs.get(core.pool, wfRow.version_id);
  const hook = findHook(wf.triggers, req.hook);
  if (!hook) throw new NotFoundError('webhook', where);

  const auth = await authenticate(core, ns, req, hook, where);
  if (wfRow.archived_at) throw new ConflictError(`workflow ${req.workflow} is archived; register it again to receive webhooks`);

  const deliveryId = auth.deliveryId;
  if (deliveryId !== null && !DELIVERY_ID.test(deliveryId)) {
    throw new EngineError(
      'invalid_request',
      'the delivery id (X-OpenClaw-Delivery / webhook-id / X-GitHub-Delivery) must be 1 to 200 visible ASCII characters',
      {
        details: { field: auth.scheme === 'standard' ? STANDARD_ID_HEADER : DELIVERY_HEADER },
      },
    );
  }

  const { value: result } = await withTransitionTx(core, async (tx) => {
    const client = tx.client;
    if (deliveryId !== null) {
      // The unique key decides (a concurrent copy waits here until the first commits or rolls back).
      const ins = await client.query(
        `INSERT INTO openclaw.webhook_delivery (namespace, workflow, hook, delivery_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING`,
        [ns, req.workflow, req.hook, deliveryId],
      );
      if (ins.rowCount === 0) {
        const seen = await client.query<{ run_id: string | null }>(
          'SELECT run_id FROM openclaw.webhook_delivery WHERE namespace = $1 AND workflow = $2 AND hook = $3 AND delivery_id = $4',
          [ns, req.workflow, req.hook, deliveryId],
        );
        const runId = seen.rows[0]?.run_id;
        if (!runId) throw new Error(`webhook delivery ${where}/${deliveryId} recorded without a run`);
        return { runId, deliveryId, duplicate: true };
      }
    }
    if (auth.replay) {
      // A new delivery (or one without an id) must not reuse a signature: the unique key decides, and
      // a concurrent copy waits here until the first commits (refused) or rolls back (it goes on).
      const seen = await client.query(
        `WITH pruned AS (
           DELETE FROM openclaw.webhook_signature
            WHERE ctid = ANY (ARRAY(
                    SELECT ctid FROM openclaw.webhook_signature
                     WHERE signed_at < now() - make_interval(secs => $7::float8) AND digest <> $4
                     LIMIT ${PRUNE_BATCH}
                       FOR UPDATE SKIP LOCKED))
         )
         INSERT INTO openclaw.webhook_signature (namespace, workflow, hook, digest, scheme, signed_at, delivery_id)
         VALUES ($1, $2, $3, $4, $5, to_timestamp($6::float8), $8)
         ON CONFLICT DO NOTHING`,
        [
          ns,
          req.workflow,
          req.hook,
          auth.replay.digest,
          auth.scheme,
          auth.replay.signedAt,
          PRUNE_AFTER_TOLERANCES * core.config.webhookToleranceSeconds,
          deliveryId,
        ],
      );
      if (seen.rowCount === 0) {
        core.log.info({ webhook: where, deliveryId, scheme: auth.scheme }, 'webhook rejected: replayed signature');
        throw new ConflictError(
          'signature already used: a signed request is accepted once (resend a delivery under its own delivery id, or sign it anew)',
          { reason: 'signature_replayed' },
        );
      }
    }
    const input = await evaluateInput(core, req, hook, wfRow.version, req.workflow);
    const created = await createRunInTx(tx, {
      namespace: ns,
      workflow: req.workflow,
      version: wfRow.version,
      input,
      ...(deliveryId === null ? {} : { idempotencyKey: `webhook:${req.hook}:${deliveryId}` }),
      trigger: deliveryId === null ? { type: 'webhook', hook: req.hook } : { type: 'webhook', hook: req.hook, deliveryId },
      // A sender's W3C trace context: with tracing on, the run joins its trace.
      ...traceparentOf(req.headers),
    });
    if (deliveryId !== null) {
      await client.query(
        'UPDATE openclaw.webhook_delivery SET run_id = $5 WHERE namespace = $1 AND workflow = $2 AND hook = $3 AND delivery_id = $4',
        [ns, req.workflow, req.hook, deliveryId, created.runId],
      );
    }
    // created is false only when the idempotency key outlived its delivery row: the same delivery.
    return { runId: created.runId, deliveryId, duplicate: !created.created };
  });
  core.log.info(
    { namespace: ns, workflow: req.workflow, hook: req.hook, deliveryId, runId: result.runId, duplicate: result.duplicate },
    'webhook accepted',
  );
  return result;
}

async function authenticate(core: EngineCore, ns: string, req: WebhookRequest, hook: HookDef, where: string): Promise<Authenticated> {
  const openclaw = header(req.headers, SIGNATURE_HEADER);
  const standard = header(req.headers, STANDARD_SIGNATURE_HEADER);
  const github = header(req.headers, GITHUB_SIGNATURE_HEADER);
  if (!openclaw && !standard && !github) throw unauthorized('missing_header');
  const reject = (reason: VerifyFailure, why: string): EngineError => {
    // The log says why; the caller learns only the coarse reason.
    core.log.info({ webhook: where, reason: why }, 'webhook rejected');
    return unauthorized(reason);
  };
  if (!hook.secret) throw reject('invalid_signature', 'the hook has no `secret:` in its spec, so no delivery can be verified');
  const versions = await readSecretVersions(core, ns, core.keyring, hook.secret, core.config.webhookSecretOverlapMs);
  if (!versions) throw reject('invalid_signature', `secret ${hook.secret} is not in the secret store`);
  const secrets = versions.previous === null ? [versions.current] : [versions.current, versions.previous];
  const now = Math.floor(Date.now() / 1000);
  const toleranceSeconds = core.config.webhookToleranceSeconds;
  // One scheme is checked, in this order of precedence, whichever other headers came along.
  let result: VerifyResult;
  let auth: Authenticated;
  const unsignedDeliveryId = header(req.headers, DELIVERY_HEADER) ?? header(req.headers, GITHUB_DELIVERY_HEADER) ?? null;
  if (openclaw) {
    result = verify({ header: openclaw, body: req.body, secrets, now, toleranceSeconds });
    const timestampText = result.ok ? (parseSignatureHeader(openclaw)?.timestampText ?? null) : null;
    auth = {
      scheme: 'openclaw',
      deliveryId: unsignedDeliveryId,
      replay: { digest: replayDigest('openclaw', timestampText, req.body), signedAt: result.ok ? result.timestamp : null },
    };
  } else if (standard) {
    const id = header(req.headers, STANDARD_ID_HEADER);
    const timestamp = header(req.headers, STANDARD_TIMESTAMP_HEADER);
    result = verifyStandard({ id, timestamp, header: standard, body: req.body, secrets, now, toleranceSeconds });
    // The signed webhook-id is the delivery id, never an unsigned header sent alongside it.
    auth = { scheme: 'standard', deliveryId: id ?? null, replay: null };
  } else {
    result = verifyGithub({ header: github, body: req.body, secrets });
    auth = { scheme: 'github', deliveryId: unsignedDeliveryId, replay: { digest: replayDigest('github', null, req.body), signedAt: null } };
  }
  if (!result.ok) throw reject(result.reason, `${auth.scheme}: ${result.reason}`);
  if (result.secretIndex > 0)
    core.log.info({ webhook: where }, 'webhook verified with the previous value of its secret (rotation overlap)');
  return auth;
}

async function evaluateInput(core: EngineCore, req: WebhookRequest, hook: HookDef, version: number, workflow: string): Promise<unknown> {
  const body = decodeBody(req.body, header(req.headers, 'content-type'));
  // Without `input:` the run input is the body (an empty body: {}).
  if (hook.input === undefined) return body ?? {};
  const scope = { body, headers: visibleHeaders(req.headers), query: req.query ?? {}, run: { workflow, version } };
  try {
    return await evaluateTemplate(hook.input, scope, {
      field: `/triggers/${hook.index}/webhook/input`,
      timeoutMs: core.config.expressionTimeoutMs,
      maxOutputBytes: core.config.maxJsonBytes,
      maxOutputSetting: 'OPENCLAW_MAX_JSON_BYTES',
    });
  } catch (err) {
    if (err instanceof TaskError) throw new EngineError('invalid_input', err.message, { cause: err });
    throw err;
  }
}
