/**
 * Webhooks end to end against PostgreSQL (S16): signatures over the raw body (OpenClaw, Standard
 * Webhooks and GitHub schemes), timestamp tolerance, secret rotation with an overlap, one run per
 * delivery id under 100 concurrent copies, one acceptance per signature (replays under a new
 * delivery id, concurrent resends, pruning), input expressions, body limits, and the error answers.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEngine, generateMasterKey, sign, signatureHeader, signGithub } from '../../engine/index.js';
import { createLogger } from '../../engine/telemetry/logger.js';
import { useApi, yamlHeaders } from '../helpers/api.js';
import { query, testPool, waitForRun } from '../helpers/engine.js';

const SECRET = 'whsec-3b1f9a7c-hook-secret';
const OTHER = 'whsec-other-not-the-secret';
const OVERLAP_MS = 1500;
const MAX_BYTES = 64 * 1024;
const logLines: string[] = [];
const log = createLogger({
  level: 'debug',
  destination: new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(chunk.toString());
      cb();
    },
  }),
});

const KEY = generateMasterKey();
const t = useApi('webhooks', {
  slots: 2,
  config: { secretKey: KEY, webhookSecretOverlapMs: OVERLAP_MS, maxWebhookBytes: MAX_BYTES, logger: log },
  app: { logger: log },
});

const HOOKED = `name: hooked
steps:
  a: { run: echo, with: { got: "\${{ inputs }}" } }
output: "\${{ steps.a.output.got }}"
triggers:
  - webhook:
      name: main
      secret: HOOK_SECRET
      input: { body: "\${{ body }}", headers: "\${{ headers }}", query: "\${{ query }}", kind: "\${{ $type(body) }}" }
  - webhook: { name: plain, secret: HOOK_SECRET }
  - webhook: { name: rotating, secret: ROTATING_SECRET, input: { ok: true } }
  - webhook: { name: unsigned, input: { ok: true } }
  - webhook: { name: nowhere, secret: NOT_STORED, input: { ok: true } }
  - webhook: { name: masterkey, secret: MK_SECRET, input: { ok: true } }
  - webhook: { name: std, secret: STD_SECRET, input: { body: "\${{ body }}", headers: "\${{ headers }}" } }
  - webhook: { name: replay, secret: HOOK_SECRET }
  - webhook: { name: prune, secret: HOOK_SECRET }
`;
const STRICT = `name: strict
inputs: { type: object, required: [event], properties: { event: { type: string } } }
steps:
  a: { run: echo, with: { event: "\${{ inputs.event }}" } }
triggers:
  - webhook: { name: s, secret: HOOK_SECRET, input: { event: "\${{ body.event }}" } }
`;

interface DeliverOptions {
  body?: string | Buffer;
  /** The bytes signed, when they differ from those sent. */
  signed?: string | Buffer;
  secret?: string;
  timestamp?: number;
  deliveryId?: string;
  contentType?: string | null;
  headers?: Record<string, string>;
  signature?: string | null;
}

const now = (): number => Math.floor(Date.now() / 1000);
const signedBefore = new Set<string>();

/** The latest t at most `now()` at which `body` was not signed by this helper for `path` yet. */
function freshTimestamp(path: string, body: string | Buffer): number {
  for (let ts = now(); ; ts--) {
    const key = `${path.split('?')[0]} ${ts} ${body.toString()}`;
    if (!signedBefore.has(key)) {
      signedBefore.add(key);
      return ts;
    }
  }
}

function deliver(path: string, o: DeliverOptions = {}) {
  const body = o.body ?? '{"event":"push"}';
  // Each call signs its own (t, body) unless the test gives t: two calls in the same second with the
  // same body would otherwise carry the same signature, and the second would be a replay (409).
  const ts = o.timestamp ?? freshTimestamp(path, o.signed ?? body);
  const headers: Record<string, string> = { ...o.headers };
  if (o.contentType !== null) headers['content-type'] = o.contentType ?? 'application/json';
  if (o.signature !== null) headers['x-openclaw-signature'] = o.signature ?? `t=${ts},v1=${sign(o.secret ?? SECRET, ts, o.signed ?? body)}`;
  if (o.deliveryId !== undefined) headers['x-openclaw-delivery'] = o.deliveryId;
  return t.call({ method: 'POST', url: `/v1/hooks/${path}`, headers, payload: body });
}

async function runCount(workflow: string): Promise<number> {
  const rows = await query<{ n: number }>(t.engine, 'SELECT count(*)::int AS n FROM openclaw.run WHERE workflow = $1', [workflow]);
  return rows[0]!.n;
}

function expectUnauthorized(res: { status: number; body: { error: { code: string; message: string } } }, message: string): void {
  expect(res.status).toBe(401);
  expect(res.body.error).toEqual({ code: 'unauthorized', message });
}

beforeAll(async () => {
  for (const spec of [HOOKED, STRICT]) {
    const res = await t.call({ method: 'POST', url: '/v1/workflows', headers: yamlHeaders, payload: spec });
    expect(res.status, res.text).toBe(201);
  }
  await t.engine.putSecret('HOOK_SECRET', SECRET);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('the OpenClaw signature', () => {
  it('a valid delivery is 202 {runId, deliveryId, duplicate: false}; the run has the webhook trigger and runs', async () => {
    const res = await deliver('hooked/main?tag=v1', { deliveryId: 'd-valid-1' });
    expect(res.status, res.text).toBe(202);
    expect(res.body).toEqual({ runId: expect.any(String), deliveryId: 'd-valid-1', duplicate: false });
    const run = await waitForRun(t.engine, res.body.runId);
    expect(run.status).toBe('succeeded');
    expect(run.trigger).toEqual({ type: 'webhook', hook: 'main', deliveryId: 'd-valid-1' });
    expect(run.idempotencyKey).toBe('webhook:main:d-valid-1');
    expect(run.output).toMatchObject({ body: { event: 'push' }, kind: 'object', query: { tag: 'v1' } });
  });

  it('refuses a tampered body, a re-serialised JSON body, a wrong secret and a missing header', async () => {
    const before = await runCount('hooked');
    expectUnauthorized(await deliver('hooked/main', { body: '{"event":"push!"}', signed: '{"event":"push"}' }), 'invalid signature');
    // The same JSON value in other bytes: the signature is over the bytes, never a re-serialisation.
    expectUnauthorized(await deliver('hooked/main', { body: '{"event":"push"}', signed: '{ "event": "push" }' }), 'invalid signature');
    expectUnauthorized(await deliver('hooked/main', { secret: OTHER }), 'invalid signature');
    const missing = await deliver('hooked/main', { signature: null });
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe('unauthorized');
    expect(missing.body.error.message).toMatch(/^missing signature header/);
    expect(await runCount('hooked')).toBe(before);
  });

  it('refuses timestamps 301 s away from the server clock and accepts 299 s', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_750_000_000_500);
    const at = 1_750_000_000;
    for (const skew of [301, -301]) {
      expectUnauthorized(await deliver('hooked/plain', { timestamp: at + skew }), 'signature timestamp outside tolerance');
    }
    for (const skew of [299, -299]) {
      const res = await deliver('hooked/plain', { timestamp: at + skew });
      expect(res.status, `skew ${skew}: ${res.text}`).toBe(202);
    }
    // A stale timestamp with a wrong signature is just an invalid signature: only the secret's holder learns about the clock.
    expectUnauthorized(await deliver('hooked/plain', { timestamp: at - 3600, secret: OTHER }), 'invalid signature');
  });

  it('a malformed or length-mismatched signature is a 401, never an exception', async () => {
    const ts = now();
    const good = sign(SECRET, ts, '{"event":"push"}');
    for (const signature of [
      `t=${ts},v1=abcd`,
      `t=${ts},v1=${good}00`,
      `t=${ts},v1=${good.slice(0, 63)}`,
      `t=${ts},v1=${'z'.repeat(64)}`,
      `t=${ts},v1=`,
      `t=${ts}`,
      `v1=${good}`,
      `t=${ts}x,v1=${good}`,
      `t=${ts},t=${ts},v1=${good}`,
      'garbage',
      `t=${ts},v1=${'a'.repeat(5000)}`,
    ]) {
      expectUnauthorized(await deliver('hooked/plain', { signature }), 'invalid signature');
    }
    // Several v1 entries (a sender mid-rotation): one match is enough.
    const res = await deliver('hooked/plain', { signature: `t=${ts},v1=${sign(OTHER, ts, '{"event":"push"}')},v1=${good}` });
    expect(res.status).toBe(202);
    // The helper other modules use produces a header this route accepts (another body: the same
    // body in the same second would be the signature just accepted).
    const helperBody = '{"event":"helper"}';
    const viaHelper = await deliver('hooked/plain', { body: helperBody, signature: signatureHeader(SECRET, helperBody) });
    expect(viaHelper.status).toBe(202);
  });
});

describe('secret rotation', () => {
  it('after a PUT the previous value still verifies within the overlap, and not after it; the store keeps it encrypted', async () => {
    const v1 = 'rotating-value-one-7c1e';
    const v2 = 'rotating-value-two-9d2f';
    await t.engine.putSecret('ROTATING_SECRET', v1);
    expect((await deliver('hooked/rotating', { secret: v1 })).status).toBe(202);
    const put = await t.call({ method: 'PUT', url: '/v1/secrets/ROTATING_SECRET', payload: { value: v2 } });
    expect(put.status).toBe(200);
    expect((await deliver('hooked/rotating', { secret: v1 })).status).toBe(202);
    expect((await deliver('hooked/rotating', { secret: v2 })).status).toBe(202);
    const [row] = await query<{ previous_replaced_at: Date | null; dump: string }>(
      t.engine,
      `SELECT previous_replaced_at, s::text AS dump FROM openclaw.secret s WHERE name = 'ROTATING_SECRET'`,
    );
    expect(row!.previous_replaced_at).toBeInstanceOf(Date);
    for (const v of [v1, v2]) {
      expect(row!.dump).not.toContain(v);
      expect(row!.dump).not.toContain(Buffer.from(v).toString('hex'));
    }
    await sleep(OVERLAP_MS + 200);
    expectUnauthorized(await deliver('hooked/rotating', { secret: v1 }), 'invalid signature');
    expect((await deliver('hooked/rotating', { secret: v2 })).status).toBe(202);
    // Only the last replaced value is kept: after two replacements the first no longer verifies.
    await t.engine.putSecret('ROTATING_SECRET', 'rotating-value-three-1a');
    await t.engine.putSecret('ROTATING_SECRET', 'rotating-value-four-2b');
    expectUnauthorized(await deliver('hooked/rotating', { secret: v2 }), 'invalid signature');
    expect((await deliver('hooked/rotating', { secret: 'rotating-value-three-1a' })).status).toBe(202);
  });
});

describe('the GitHub scheme', () => {
  it('X-Hub-Signature-256 over the raw body verifies; X-GitHub-Delivery is the delivery id; a bad one is a 401', async () => {
    const body = '{"action":"opened","number":7}';
    const headers = {
      'content-type': 'application/json',
      'x-hub-signature-256': signGithub(SECRET, body),
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      'x-github-event': 'pull_request',
    };
    const res = await t.call({ method: 'POST', url: '/v1/hooks/hooked/main', headers, payload: body });
    expect(res.status, res.text).toBe(202);
    expect(res.body).toMatchObject({ deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958', duplicate: false });
    const run = await waitForRun(t.engine, res.body.runId);
    expect(run.output).toMatchObject({ body: { action: 'opened', number: 7 }, headers: { 'x-github-event': 'pull_request' } });
    expect(run.output).not.toHaveProperty(['headers', 'x-hub-signature-256']);
    const again = await t.call({ method: 'POST', url: '/v1/hooks/hooked/main', headers, payload: body });
    expect(again.body).toEqual({ runId: res.body.runId, deliveryId: headers['x-github-delivery'], duplicate: true });

    for (const sig of [signGithub(OTHER, body), signGithub(SECRET, `${body} `), 'sha256=abc', `sha1=${'0'.repeat(40)}`, '']) {
      const bad = await t.call({
        method: 'POST',
        url: '/v1/hooks/hooked/main',
        headers: { ...headers, 'x-hub-signature-256': sig, 'x-github-delivery': 'gh-bad' },
        payload: body,
      });
      expect(bad.status, sig).toBe(401);
    }
  });
});

describe('one run per delivery id', () => {
  it('100 concurrent copies of one delivery start exactly one run; all answer 202 with its id', async () => {
    const before = await runCount('hooked');
    const ts = now();
    const body = '{"event":"burst"}';
    const signature = `t=${ts},v1=${sign(SECRET, ts, body)}`;
    const results = await Promise.all(
      Array.from({ length: 100 }, () => deliver('hooked/main', { body, signature, deliveryId: 'burst-0001' })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(100).fill(202));
    const ids = new Set(results.map((r) => r.body.runId as string));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.body.duplicate === false)).toHaveLength(1);
    expect(await runCount('hooked')).toBe(before + 1);
    const rows = await query<{ run_id: string }>(
      t.engine,
      `SELECT run_id FROM openclaw.webhook_delivery WHERE workflow = 'hooked' AND hook = 'main' AND delivery_id = 'burst-0001'`,
    );
    expect(rows).toEqual([{ run_id: [...ids][0] }]);
    const runs = await query(t.engine, `SELECT id FROM openclaw.run WHERE idempotency_key = 'webhook:main:burst-0001'`);
    expect(runs).toHaveLength(1);
  });

  it('the same delivery id on another hook is another delivery', async () => {
    const a = await deliver('hooked/main', { deliveryId: 'shared-id' });
    const b = await deliver('hooked/plain', { deliveryId: 'shared-id' });
    expect(a.body.duplicate).toBe(false);
    expect(b.body.duplicate).toBe(false);
    expect(a.body.runId).not.toBe(b.body.runId);
  });

  it('deliveries without an id are deduplicated on nothing: identical bodies (signed at different times), empty bodies included, each start a run', async () => {
    const before = await runCount('hooked');
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const res = await deliver('hooked/main', { body: '{"event":"same"}' });
      expect(res.status).toBe(202);
      expect(res.body.deliveryId).toBeNull();
      ids.add(res.body.runId);
    }
    for (const contentType of [null, null, 'application/json']) {
      const res = await deliver('hooked/plain', { body: '', contentType });
      expect(res.status, res.text).toBe(202);
      ids.add(res.body.runId);
      // Without `input:` an empty body gives the input {}.
      expect((await t.engine.queries.getRun(res.body.runId)).input).toEqual({});
    }
    expect(ids.size).toBe(6);
    expect(await runCount('hooked')).toBe(before + 6);
    const run = await t.engine.queries.getRun([...ids][0]!);
    expect(run.trigger).toEqual({ type: 'webhook', hook: 'main' });
  });

  it('an input the workflow rejects is 400 invalid_input and records no delivery: the fixed resend starts the run', async () => {
    const bad = await deliver('strict/s', { body: '{"event":42}', deliveryId: 'fix-me' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_input');
    expect(await query(t.engine, `SELECT 1 FROM openclaw.webhook_delivery WHERE delivery_id = 'fix-me'`)).toHaveLength(0);
    const fixed = await deliver('strict/s', { body: '{"event":"push"}', deliveryId: 'fix-me' });
    expect(fixed.status).toBe(202);
    expect(fixed.body.duplicate).toBe(false);
    expect((await waitForRun(t.engine, fixed.body.runId)).status).toBe('succeeded');
  });

  it('a delivery id that is not 1-200 visible ASCII characters is 400', async () => {
    for (const id of ['has space', 'x'.repeat(201)]) {
      const res = await deliver('hooked/plain', { deliveryId: id });
      expect(res.status, id).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
  });
});

describe('one acceptance per signature (replays)', () => {
  const signed = (body: string, ts = now()) => ({ body, signature: `t=${ts},v1=${sign(SECRET, ts, body)}` });

  async function signatureRows(hook: string) {
    return await query<{ scheme: string; delivery_id: string | null; signed_at: Date | null; digest: Buffer }>(
      t.engine,
      `SELECT scheme, delivery_id, signed_at, digest FROM openclaw.webhook_signature WHERE workflow = 'hooked' AND hook = $1 ORDER BY created_at`,
      [hook],
    );
  }

  it('a captured request resent under a new delivery id, or none, is 409 signature_replayed and starts nothing', async () => {
    const req = signed('{"event":"captured"}');
    const first = await deliver('hooked/replay', { ...req, deliveryId: 'cap-1' });
    expect(first.status, first.text).toBe(202);
    const before = await runCount('hooked');
    for (const deliveryId of ['cap-2', undefined]) {
      const res = await deliver('hooked/replay', { ...req, ...(deliveryId ? { deliveryId } : {}) });
      expect(res.status, `${deliveryId}: ${res.text}`).toBe(409);
      expect(res.body.error).toEqual({
        code: 'conflict',
        message: expect.stringMatching(/^signature already used/),
        details: { reason: 'signature_replayed' },
      });
    }
    // The same signed content in another header form is the same signature: upper-case hex,
    // v1 entries reordered around one that does not match, spaces.
    const [tsPart, sig] = req.signature.split(',');
    for (const signature of [
      `${tsPart},v1=${sig!.slice(3).toUpperCase()}`,
      `${tsPart}, v1=${sign(OTHER, Number(tsPart!.slice(2)), '{"event":"captured"}')}, ${sig}`,
    ]) {
      const res = await deliver('hooked/replay', { body: req.body, signature, deliveryId: 'cap-3' });
      expect(res.status, signature).toBe(409);
    }
    expect(await runCount('hooked')).toBe(before);
    // The refused ids were not recorded: the transaction that refused them rolled back.
    expect(
      await query(t.engine, `SELECT 1 FROM openclaw.webhook_delivery WHERE hook = 'replay' AND delivery_id IN ('cap-2', 'cap-3')`),
    ).toHaveLength(0);
    expect(logLines.some((l) => l.includes('replayed signature'))).toBe(true);
  });

  it('a retry of the same delivery id is still its duplicate: with the same signature, or signed anew', async () => {
    const req = signed('{"event":"retried"}');
    const first = await deliver('hooked/replay', { ...req, deliveryId: 'retry-1' });
    expect(first.status).toBe(202);
    const same = await deliver('hooked/replay', { ...req, deliveryId: 'retry-1' });
    expect(same.status, same.text).toBe(202);
    expect(same.body).toEqual({ runId: first.body.runId, deliveryId: 'retry-1', duplicate: true });
    const resigned = await deliver('hooked/replay', { ...signed('{"event":"retried"}', now() - 7), deliveryId: 'retry-1' });
    expect(resigned.body).toEqual({ runId: first.body.runId, deliveryId: 'retry-1', duplicate: true });
    const rows = await signatureRows('replay');
    expect(rows.filter((r) => r.delivery_id === 'retry-1')).toHaveLength(1);
  });

  it('without a delivery id the identical signed request is refused, while the same body signed at another time starts a run', async () => {
    // One clock reading: read twice, a second boundary between the readings made "another time" the same time.
    const t = now();
    const req = signed('{"event":"no-id"}', t - 3);
    expect((await deliver('hooked/replay', req)).status).toBe(202);
    expect((await deliver('hooked/replay', req)).status).toBe(409);
    expect((await deliver('hooked/replay', signed('{"event":"no-id"}', t - 4))).status).toBe(202);
  });

  it('20 concurrent resends under 20 new delivery ids (and 20 without one) start exactly one run each time', async () => {
    for (const withIds of [true, false]) {
      const before = await runCount('hooked');
      const req = signed(`{"event":"storm-${withIds}"}`);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => deliver('hooked/replay', { ...req, ...(withIds ? { deliveryId: `storm-${i}` } : {}) })),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses, results.map((r) => r.text).join('\n')).toEqual([202, ...Array(19).fill(409)]);
      expect(await runCount('hooked')).toBe(before + 1);
      const winner = results.find((r) => r.status === 202)!;
      if (withIds) {
        const rows = await query<{ delivery_id: string; run_id: string }>(
          t.engine,
          `SELECT delivery_id, run_id FROM openclaw.webhook_delivery WHERE hook = 'replay' AND delivery_id LIKE 'storm-%'`,
        );
        expect(rows).toEqual([{ delivery_id: winner.body.deliveryId, run_id: winner.body.runId }]);
      }
    }
  });

  it('GitHub: the same body and signature under a new X-GitHub-Delivery is refused; the row has no timestamp and is kept', async () => {
    const body = '{"action":"closed","number":99}';
    const gh = (delivery: string) =>
      t.call({
        method: 'POST',
        url: '/v1/hooks/hooked/replay',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signGithub(SECRET, body), 'x-github-delivery': delivery },
        payload: body,
      });
    const first = await gh('gh-replay-1');
    expect(first.status, first.text).toBe(202);
    expect((await gh('gh-replay-1')).body).toEqual({ runId: first.body.runId, deliveryId: 'gh-replay-1', duplicate: true });
    const replay = await gh('gh-replay-2');
    expect(replay.status).toBe(409);
    expect(replay.body.error.details).toEqual({ reason: 'signature_replayed' });
    const rows = (await signatureRows('replay')).filter((r) => r.scheme === 'github');
    expect(rows).toEqual([{ scheme: 'github', delivery_id: 'gh-replay-1', signed_at: null, digest: expect.any(Buffer) }]);
  });

  it('rows older than twice the tolerance are deleted by the next insert (GitHub rows and recent ones stay); an old signature no longer verifies anyway', async () => {
    const pool = testPool(t.engine);
    const digest = () => randomBytes(32);
    const insert = `INSERT INTO openclaw.webhook_signature (workflow, hook, digest, scheme, signed_at, delivery_id)
                    VALUES ('hooked', 'prune', $1, $2, now() - make_interval(secs => $3::float8), $4)`;
    await pool.query(insert, [digest(), 'openclaw', 601, 'stale']);
    await pool.query(insert, [digest(), 'openclaw', 3600 * 24, 'very-stale']);
    await pool.query(insert, [digest(), 'openclaw', 590, 'recent']);
    await pool.query(
      `INSERT INTO openclaw.webhook_signature (workflow, hook, digest, scheme, delivery_id) VALUES ('hooked', 'prune', $1, 'github', 'gh')`,
      [digest()],
    );
    const res = await deliver('hooked/prune', { deliveryId: 'prune-trigger' });
    expect(res.status).toBe(202);
    const left = await query<{ delivery_id: string }>(
      t.engine,
      `SELECT delivery_id FROM openclaw.webhook_signature WHERE hook = 'prune' ORDER BY delivery_id`,
    );
    expect(left.map((r) => r.delivery_id)).toEqual(['gh', 'prune-trigger', 'recent']);
  });
});

describe('the Standard Webhooks scheme', () => {
  const key = randomBytes(32);
  const WHSEC = `whsec_${key.toString('base64')}`;
  // Computed here with node:crypto, independently of engine/triggers/signature.ts.
  const signStd = (k: Buffer | string, id: string, ts: number, body: string) =>
    createHmac('sha256', k).update(`${id}.${ts}.${body}`).digest('base64');

  function std(o: { id?: string; ts?: number; body?: string; signature?: string; headers?: Record<string, string>; hook?: string }) {
    const body = o.body ?? '{"type":"invoice.paid"}';
    const id = o.id ?? 'msg_default';
    const ts = o.ts ?? now();
    return t.call({
      method: 'POST',
      url: `/v1/hooks/hooked/${o.hook ?? 'std'}`,
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(ts),
        'webhook-signature': o.signature ?? `v1,${signStd(key, id, ts, body)}`,
        ...o.headers,
      },
      payload: body,
    });
  }

  beforeAll(async () => {
    await t.engine.putSecret('STD_SECRET', WHSEC);
  });

  it('verifies with a whsec_ secret; webhook-id is the delivery id (one run), never an unsigned X-OpenClaw-Delivery', async () => {
    const res = await std({ id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', headers: { 'x-openclaw-delivery': 'not-this-one' } });
    expect(res.status, res.text).toBe(202);
    expect(res.body).toEqual({ runId: expect.any(String), deliveryId: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', duplicate: false });
    const run = await waitForRun(t.engine, res.body.runId);
    expect(run.trigger).toEqual({ type: 'webhook', hook: 'std', deliveryId: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W' });
    const out = run.output as { body: unknown; headers: Record<string, unknown> };
    expect(out.body).toEqual({ type: 'invoice.paid' });
    expect(out.headers).toMatchObject({ 'webhook-id': 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W' });
    expect(out.headers).not.toHaveProperty(['webhook-signature']);
    // The sender's retry (same id, signed anew with a new timestamp) is the same delivery.
    const retry = await std({ id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', ts: now() - 5 });
    expect(retry.body).toEqual({ ...res.body, duplicate: true });
    // The signature signs the id: the captured request under another id does not verify.
    const ts = now();
    const sig = `v1,${signStd(key, 'msg_original', ts, '{"type":"invoice.paid"}')}`;
    expect((await std({ id: 'msg_original', ts, signature: sig })).status).toBe(202);
    expectUnauthorized(await std({ id: 'msg_other', ts, signature: sig }), 'invalid signature');
    // The same delivery replayed exactly is a duplicate, not a second run.
    expect((await std({ id: 'msg_original', ts, signature: sig })).body.duplicate).toBe(true);
    expect(await query(t.engine, `SELECT 1 FROM openclaw.webhook_signature WHERE hook = 'std'`)).toHaveLength(0);
  });

  it('several signatures, one matching, verify; a wrong version prefix, the whsec_ text as key, or a stale timestamp do not', async () => {
    const ts = now();
    const body = '{"type":"multi"}';
    const good = signStd(key, 'msg_multi', ts, body);
    const res = await std({ id: 'msg_multi', ts, body, signature: `v1,${signStd(randomBytes(32), 'msg_multi', ts, body)} v1,${good}` });
    expect(res.status, res.text).toBe(202);
    for (const signature of [`v2,${good}`, `v1a,${good}`, good, `v1,${signStd(WHSEC, 'msg_bad', ts, body)}`]) {
      expectUnauthorized(await std({ id: 'msg_bad', ts, body, signature }), 'invalid signature');
    }
    for (const skew of [-301, 301]) {
      expectUnauthorized(await std({ id: `msg_skew${skew}`, ts: ts + skew, body }), 'signature timestamp outside tolerance');
    }
    // A missing webhook-id or webhook-timestamp cannot be verified.
    const missingId = await t.call({
      method: 'POST',
      url: '/v1/hooks/hooked/std',
      headers: { 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${good}` },
      payload: body,
    });
    expectUnauthorized(missingId, 'invalid signature');
  });

  it('a secret without the whsec_ prefix is used as its bytes', async () => {
    const ts = now();
    const res = await std({
      hook: 'plain',
      id: 'msg_raw',
      ts,
      signature: `v1,${signStd(SECRET, 'msg_raw', ts, '{"type":"invoice.paid"}')}`,
    });
    expect(res.status, res.text).toBe(202);
    expect(res.body.deliveryId).toBe('msg_raw');
  });
});

describe('input expressions and bodies', () => {
  it('see body, headers (lower-cased, without signature and credential headers) and query', async () => {
    const res = await deliver('hooked/main?source=ci&tag=a&tag=b', {
      body: '{"event":"deploy","n":[1,2]}',
      deliveryId: 'scope-1',
      headers: { 'X-Custom-Thing': 'Yes', Authorization: 'Bearer nope', Cookie: 'c=1' },
    });
    expect(res.status).toBe(202);
    const run = await waitForRun(t.engine, res.body.runId);
    const out = run.output as { body: unknown; headers: Record<string, unknown>; query: unknown; kind: string };
    expect(out.body).toEqual({ event: 'deploy', n: [1, 2] });
    expect(out.query).toEqual({ source: 'ci', tag: ['a', 'b'] });
    expect(out.headers).toMatchObject({ 'x-custom-thing': 'Yes', 'x-openclaw-delivery': 'scope-1', 'content-type': 'application/json' });
    for (const h of ['x-openclaw-signature', 'authorization', 'cookie']) expect(out.headers).not.toHaveProperty([h]);
  });

  it('non-JSON bodies are text: text/plain, form-encoded, JSON content type that does not parse, no content type', async () => {
    const cases: Array<[string | null, string]> = [
      ['text/plain; charset=utf-8', 'hello, world'],
      ['application/x-www-form-urlencoded', 'a=1&b=two+words'],
      ['application/json', '{not json'],
      [null, 'raw bytes'],
      ['application/octet-stream', 'binary-ish'],
    ];
    for (const [contentType, body] of cases) {
      const res = await deliver('hooked/main', { body, contentType });
      expect(res.status, `${contentType}: ${res.text}`).toBe(202);
      const run = await waitForRun(t.engine, res.body.runId);
      expect(run.output, String(contentType)).toMatchObject({ body, kind: 'string' });
    }
    // +json media types are JSON; without `input:` the run input is the decoded body.
    const vendor = await deliver('hooked/plain', { body: '{"x":1}', contentType: 'application/vnd.github+json' });
    expect((await waitForRun(t.engine, vendor.body.runId)).output).toEqual({ x: 1 });
  });

  it('a body over OPENCLAW_MAX_WEBHOOK_BYTES is 413 naming the setting', async () => {
    const big = `{"pad":"${'x'.repeat(MAX_BYTES)}"}`;
    const res = await deliver('hooked/main', { body: big });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(res.body.error.message).toContain('OPENCLAW_MAX_WEBHOOK_BYTES');
    const text = await deliver('hooked/main', { body: 'y'.repeat(MAX_BYTES + 1), contentType: 'text/plain' });
    expect(text.status).toBe(413);
  });
});

describe('errors', () => {
  it('unknown workflow or hook is 404; a hook without a stored or declared secret is 401; an archived workflow is 409', async () => {
    expect((await deliver('nope/main')).status).toBe(404);
    const noHook = await deliver('hooked/nope');
    expect(noHook.status).toBe(404);
    expect(noHook.body.error.code).toBe('not_found');
    expectUnauthorized(await deliver('hooked/unsigned'), 'invalid signature');
    expectUnauthorized(await deliver('hooked/nowhere'), 'invalid signature');
    expect(logLines.some((l) => l.includes('NOT_STORED is not in the secret store'))).toBe(true);

    await t.call({
      method: 'POST',
      url: '/v1/workflows',
      headers: yamlHeaders,
      payload: `name: archived-hook\nsteps: { a: { run: noop } }\ntriggers:\n  - webhook: { name: h, secret: HOOK_SECRET }\n`,
    });
    expect((await t.call({ method: 'DELETE', url: '/v1/workflows/archived-hook' })).status).toBe(204);
    expectUnauthorized(await deliver('archived-hook/h', { secret: OTHER }), 'invalid signature');
    const archived = await deliver('archived-hook/h');
    expect(archived.status).toBe(409);
    expect(archived.body.error.code).toBe('conflict');
  });

  it('no secret value reaches a response, the logs or a plain column', async () => {
    const logs = logLines.join('');
    expect(logs).not.toContain(SECRET);
    const { rows } = await testPool(t.engine).query<{ r: string }>(
      `SELECT t::text AS r FROM openclaw.secret t UNION ALL SELECT t::text FROM openclaw.run t UNION ALL SELECT t::text FROM openclaw.webhook_delivery t`,
    );
    expect(rows.map((r) => r.r).join('\n')).not.toContain(SECRET);
  });
});

// Last: it moves every stored secret to a new master key, which this file's engine does not have.
describe('master key rotation', () => {
  it('re-wraps a replaced value too, so it keeps verifying during its overlap under the new key alone', async () => {
    await t.engine.putSecret('MK_SECRET', 'master-key-value-one');
    await t.engine.putSecret('MK_SECRET', 'master-key-value-two');
    const newKey = generateMasterKey();
    const silent = createLogger({ level: 'silent' });
    const rotating = await createEngine({ databaseUrl: t.db.url, secretKey: newKey, previousSecretKeys: KEY, logger: silent });
    try {
      const res = await rotating.rotateSecretKey();
      expect(res.unreadable).toEqual([]);
      expect((await rotating.rotateSecretKey()).rewrapped).toBe(0);
      const ids = await query<{ key_id: string; previous_key_id: string }>(
        rotating,
        `SELECT key_id, previous_key_id FROM openclaw.secret WHERE name = 'MK_SECRET'`,
      );
      expect(ids[0]!.previous_key_id).toBe(ids[0]!.key_id);
    } finally {
      await rotating.close();
    }
    const onlyNew = await createEngine({ databaseUrl: t.db.url, secretKey: newKey, webhookSecretOverlapMs: 60_000, logger: silent });
    try {
      for (const secret of ['master-key-value-one', 'master-key-value-two']) {
        const ts = now();
        const body = Buffer.from(JSON.stringify({ secret: secret.slice(-3) }));
        const delivery = await onlyNew.deliverWebhook({
          workflow: 'hooked',
          hook: 'masterkey',
          body,
          headers: { 'x-openclaw-signature': `t=${ts},v1=${sign(secret, ts, body)}` },
        });
        expect(delivery.duplicate).toBe(false);
      }
    } finally {
      await onlyNew.close();
    }
  });
});
