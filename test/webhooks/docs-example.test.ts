/**
 * The signing snippet of docs/webhooks.md, run as written (bash, openssl, curl) against a real
 * server with the example workflow (workflows/webhook-pipeline.yaml), so the docs cannot rot.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../api/index.js';
import { generateMasterKey } from '../../engine/index.js';
import { useEngine, waitForRun } from '../helpers/engine.js';

const t = useEngine('webhookdocs', { slots: 2, config: { secretKey: generateMasterKey() } });
const SECRET = 'docs-example-secret-5e0c2f';
let server: RunningServer;

/** The fenced block right after the `<!-- tested: ... -->` marker. */
function snippet(): string {
  const doc = readFileSync(new URL('../../docs/webhooks.md', import.meta.url), 'utf8');
  const m = /<!-- tested: test\/webhooks\/docs-example\.test\.ts -->\n```sh\n([\s\S]*?)```/.exec(doc);
  if (!m?.[1]) throw new Error('docs/webhooks.md has no tested snippet');
  return m[1];
}

function bash(script: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  await t.engine.registerWorkflow(readFileSync(new URL('../../workflows/webhook-pipeline.yaml', import.meta.url), 'utf8'));
  await t.engine.putSecret('ORDERS_HOOK_SECRET', SECRET);
  server = await startServer({ engine: t.engine, logger: false, port: 0 });
});
afterAll(async () => {
  await server?.close();
});

describe('docs/webhooks.md', () => {
  it('the curl + openssl snippet starts the example workflow once; running it again is a duplicate', async () => {
    const script = snippet();
    expect(script).toContain('openssl dgst -sha256 -hmac');
    const env = { SECRET, OPENCLAW_URL: server.url };
    const first = await bash(script, env);
    expect(first.code, first.stderr).toBe(0);
    const accepted = JSON.parse(first.stdout) as { runId: string; deliveryId: string; duplicate: boolean };
    expect(accepted).toEqual({ runId: expect.any(String), deliveryId: 'order-A-1001', duplicate: false });
    const run = await waitForRun(t.engine, accepted.runId);
    expect(run.status).toBe('succeeded');
    expect(run.input).toEqual({ orderId: 'A-1001', amount: 1250, channel: 'curl' });
    expect(run.output).toEqual({ orderId: 'A-1001', tier: 'large', channel: 'curl' });
    expect(run.trigger).toEqual({ type: 'webhook', hook: 'orders', deliveryId: 'order-A-1001' });

    const second = await bash(script, env);
    expect(JSON.parse(second.stdout)).toEqual({ ...accepted, duplicate: true });

    // The same snippet with another secret is refused.
    const wrong = await bash(script, { ...env, SECRET: 'not-the-secret' });
    expect(JSON.parse(wrong.stdout)).toEqual({ error: { code: 'unauthorized', message: 'invalid signature' } });
  });
});
