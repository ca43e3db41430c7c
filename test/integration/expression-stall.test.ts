/**
 * S6, "expressions cannot stall a process": a catastrophic regular expression in a `${{ }}`
 * expression, evaluated while the server starts a run (a step's `with`) or accepts a webhook
 * delivery (the hook's `input`), must not hold the event loop. Before expressions ran regexes on
 * RE2, `/(a|a)*$/` on 10,000 characters froze the process: the start request never answered and
 * neither did /healthz. Measured here from a real listening server, /healthz fired every 20 ms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insecureLocal, startServer, type RunningServer } from '../../api/index.js';
import { generateMasterKey, sign } from '../../engine/index.js';
import { useEngine, waitForRun } from '../helpers/engine.js';

const t = useEngine('exprstall', { slots: 2, config: { secretKey: generateMasterKey() } });
const SECRET = 'whsec-exprstall-7d1e';
let server: RunningServer;

const REDOS = `name: redos
steps:
  m: { run: echo, with: { hit: "\${{ $match(inputs.s, /(a|a)*$/) }}" } }
output: "\${{ steps.m.output.hit }}"
`;
const REDOS_HOOK = `name: redoshook
steps:
  m: { run: echo, with: { n: "\${{ inputs.n }}" } }
output: "\${{ steps.m.output.n }}"
triggers:
  - webhook:
      name: in
      secret: REDOS_HOOK_SECRET
      input: { n: "\${{ $count($match(body.s, /(a|aa)+$/)) }}" }
`;

/** 10,000 characters on which a backtracking engine takes exponential time for the patterns above. */
const EVIL = `${'a'.repeat(9_999)}b`;

interface Probe {
  stop(): Promise<{ latencies: number[]; failures: string[] }>;
}

/** Fires GET /healthz every 20 ms until stopped; each answer's latency in ms. */
function probeHealthz(url: string): Probe {
  const pending: Promise<void>[] = [];
  const latencies: number[] = [];
  const failures: string[] = [];
  const fire = (): void => {
    const sent = performance.now();
    pending.push(
      fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) }).then(
        async (res) => {
          await res.arrayBuffer();
          latencies.push(performance.now() - sent);
          if (res.status !== 200) failures.push(`status ${res.status}`);
        },
        (err: unknown) => {
          failures.push(String(err));
        },
      ),
    );
  };
  fire();
  const timer = setInterval(fire, 20);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      return { latencies, failures };
    },
  };
}

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? Infinity;
}

async function settle(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

beforeAll(async () => {
  await t.engine.registerWorkflow(REDOS);
  await t.engine.registerWorkflow(REDOS_HOOK);
  await t.engine.putSecret('REDOS_HOOK_SECRET', SECRET);
  server = await startServer({ engine: t.engine, logger: false, port: 0, authenticate: insecureLocal });
});
afterAll(async () => {
  await server?.close();
});

describe('a catastrophic regex in an expression does not stall the process', () => {
  it('a step `with`: the start answers, the run ends within seconds, /healthz p99 < 100 ms meanwhile', async () => {
    const probe = probeHealthz(server.url);
    await settle(100);
    const started = performance.now();
    const res = await fetch(`${server.url}/v1/workflows/redos/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: { s: EVIL } }),
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const run = await waitForRun(t.engine, id, 10_000);
    const took = performance.now() - started;
    await settle(200);
    const { latencies, failures } = await probe.stop();

    expect(run.status).toBe('succeeded');
    // Linear time: the one match is the empty string at the end.
    expect(run.output).toEqual({ match: '', index: 10_000, groups: [null] });
    expect(took).toBeLessThan(5_000);
    expect(failures).toEqual([]);
    expect(latencies.length).toBeGreaterThan(5);
    expect(p99(latencies), JSON.stringify(latencies.map(Math.round))).toBeLessThan(100);
  });

  it('a webhook `input`: the delivery is accepted at once, /healthz p99 < 100 ms meanwhile', async () => {
    const probe = probeHealthz(server.url);
    await settle(100);
    const body = JSON.stringify({ s: EVIL });
    const ts = Math.floor(Date.now() / 1000);
    const started = performance.now();
    const res = await fetch(`${server.url}/v1/hooks/redoshook/in`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-openclaw-signature': `t=${ts},v1=${sign(SECRET, ts, body)}`,
        'x-openclaw-delivery': 'redos-1',
      },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status, await res.clone().text()).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    const run = await waitForRun(t.engine, runId, 10_000);
    const took = performance.now() - started;
    await settle(200);
    const { latencies, failures } = await probe.stop();

    expect(run.status).toBe('succeeded');
    expect(run.input).toEqual({ n: 0 });
    expect(took).toBeLessThan(5_000);
    expect(failures).toEqual([]);
    expect(latencies.length).toBeGreaterThan(5);
    expect(p99(latencies), JSON.stringify(latencies.map(Math.round))).toBeLessThan(100);
  });
});
