/**
 * Webhooks are rate-limited per hook (OPENCLAW_WEBHOOK_RATE_LIMIT deliveries a minute, per server
 * process): over the limit a delivery is 429 `rate_limited` with `Retry-After`, no run starts, and
 * other hooks are not affected.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateMasterKey, signatureHeader } from '../../engine/index.js';
import { useApi, yamlHeaders } from '../helpers/api.js';
import { query } from '../helpers/engine.js';

const SECRET = 'whsec-rate-limit-4c1d2e';
const t = useApi('hookrate', { config: { secretKey: generateMasterKey(), webhookRateLimit: 3 } });

beforeAll(async () => {
  const put = await t.call({ method: 'PUT', url: '/v1/secrets/RATE_SECRET', payload: { value: SECRET } });
  expect(put.status, put.text).toBeLessThan(300);
  const res = await t.call({
    method: 'POST',
    url: '/v1/workflows',
    headers: yamlHeaders,
    payload: `name: limited
steps:
  a: { run: noop }
triggers:
  - webhook: { name: busy, secret: RATE_SECRET, input: { ok: true } }
  - webhook: { name: calm, secret: RATE_SECRET, input: { ok: true } }
`,
  });
  expect(res.status, res.text).toBe(201);
});

const deliver = (hook: string, i: number) => {
  const body = JSON.stringify({ n: i, hook });
  return t.call({
    method: 'POST',
    url: `/v1/hooks/limited/${hook}`,
    headers: {
      'content-type': 'application/json',
      'x-openclaw-signature': signatureHeader(SECRET, body),
      'x-openclaw-delivery': `${hook}-${i}`,
    },
    payload: body,
  });
};

describe('webhook rate limit', () => {
  it('answers 429 rate_limited with Retry-After past the limit; nothing starts; another hook still works', async () => {
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await deliver('busy', i));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 429, 429]);
    const refused = answers[3]!;
    expect(refused.body.error.code).toBe('rate_limited');
    expect(refused.body.error.message).toContain('OPENCLAW_WEBHOOK_RATE_LIMIT');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    const runs = await query<{ n: number }>(t.engine, `SELECT count(*)::int AS n FROM openclaw.run WHERE workflow = 'limited'`);
    expect(runs).toEqual([{ n: 3 }]);
    expect((await deliver('calm', 0)).status).toBe(202);
  });
});
