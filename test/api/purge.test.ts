/**
 * `POST /v1/runs/purge` and `openclaw runs purge`: runs of the request's namespace that finished
 * before a time go (dry run: only counted); `workflow` narrows it; active runs never go.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useApi, yamlHeaders } from '../helpers/api.js';
import { runCli } from '../helpers/cli.js';
import { query, waitFor, waitForRun, waitForStatus } from '../helpers/engine.js';
import { age, allRunIds, dependents } from '../helpers/retention.js';

const t = useApi('apipurge', { slots: 2, config: { runRetentionRate: 0 } });

const register = (text: string, ns = 'default') =>
  t.call({ method: 'POST', url: '/v1/workflows', headers: { ...yamlHeaders, 'x-openclaw-namespace': ns }, payload: text });
const purge = (payload: Record<string, unknown>, ns = 'default') =>
  t.call({ method: 'POST', url: '/v1/runs/purge', headers: { 'x-openclaw-namespace': ns }, payload });
const daysAgo = (n: number): string => new Date(Date.now() - n * 86_400_000).toISOString();

const ids = {} as Record<'alpha1' | 'alpha2' | 'alphaYoung' | 'beta' | 'gate' | 'other', string>;

beforeAll(async () => {
  for (const name of ['alpha', 'beta']) await register(`name: ${name}\nsteps:\n  a: { run: log, with: { message: hi } }\n`);
  await register('name: gate\nstart: w\nstates:\n  w: { wait: { signal: go }, end: true }\n');
  await register('name: alpha\nsteps:\n  a: { run: noop }\n', 'team-x');
  const e = t.engine;
  for (const [key, wf] of [
    ['alpha1', 'alpha'],
    ['alpha2', 'alpha'],
    ['alphaYoung', 'alpha'],
    ['beta', 'beta'],
  ] as const) {
    ids[key] = (await e.startRun({ workflow: wf })).runId;
    await waitForRun(e, ids[key]);
  }
  ids.other = (await e.inNamespace('team-x').startRun({ workflow: 'alpha' })).runId;
  await waitFor(async () => (await e.inNamespace('team-x').queries.getRun(ids.other)).status === 'succeeded');
  ids.gate = (await e.startRun({ workflow: 'gate' })).runId;
  await waitForStatus(e, ids.gate, 'waiting');
  await age(e, [ids.alpha1, ids.alpha2, ids.beta, ids.gate, ids.other], '10 days');
});

describe('POST /v1/runs/purge', () => {
  it('dry run counts without deleting; workflow narrows it; limit pages it; other namespaces and active runs are untouched', async () => {
    const before = await allRunIds(t.engine);
    const rows = await dependents(t.engine, before);
    const dry = await purge({ before: daysAgo(5), dryRun: true });
    expect(dry).toMatchObject({ status: 200, body: { dryRun: true, wouldDelete: 3 } });
    expect(await allRunIds(t.engine)).toEqual(before);

    expect((await purge({ before: daysAgo(5), workflow: 'beta' })).body).toEqual({ dryRun: false, deleted: 1, more: false });
    expect(await allRunIds(t.engine)).toEqual(before.filter((id) => id !== ids.beta));
    expect((await dependents(t.engine, [ids.beta]))[ids.beta]).toEqual({});

    const first = await purge({ before: daysAgo(5), workflow: 'alpha', limit: 1 });
    expect(first.body).toEqual({ dryRun: false, deleted: 1, more: true });
    // A cutoff before they finished touches nothing.
    expect((await purge({ before: daysAgo(20) })).body).toEqual({ dryRun: false, deleted: 0, more: false });
    const second = await purge({ before: daysAgo(5), workflow: 'alpha', limit: 1 });
    expect(second.body).toEqual({ dryRun: false, deleted: 1, more: false });

    const left = await allRunIds(t.engine);
    expect(left).toEqual([ids.alphaYoung, ids.gate, ids.other].sort());
    const after = await dependents(t.engine, left);
    for (const id of left) expect(after[id]).toEqual(rows[id]);
    expect((await t.engine.queries.getRun(ids.gate)).status).toBe('waiting');

    // Another namespace purges its own runs.
    expect((await purge({ before: daysAgo(5) }, 'team-x')).body).toEqual({ dryRun: false, deleted: 1, more: false });
    expect(await query(t.engine, 'SELECT 1 FROM openclaw.run WHERE id = $1', [ids.other])).toEqual([]);
  });

  it('refuses a request without `before` or with a bad one (400)', async () => {
    expect((await purge({ dryRun: true })).status).toBe(400);
    expect((await purge({ before: 'last week' })).status).toBe(400);
    expect((await purge({ before: daysAgo(1), limit: 0 })).status).toBe(400);
  });
});

describe('openclaw runs purge', () => {
  let url: string;
  beforeAll(async () => {
    url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await t.app.close();
  });
  const cli = (...args: string[]) => runCli([...args, '--url', url]);

  it('--dry-run reports without deleting; --workflow only touches that workflow', { timeout: 60_000 }, async () => {
    const e = t.engine;
    const runs: string[] = [];
    for (const wf of ['alpha', 'alpha', 'beta']) {
      const { runId } = await e.startRun({ workflow: wf });
      await waitForRun(e, runId);
      runs.push(runId);
    }
    await age(e, runs, '40 days');
    const before = await allRunIds(e);

    const dry = await cli('runs', 'purge', '--before', '30d', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^would delete 3 runs finished before \d{4}-\d\d-\d\dT.*\(dry run: nothing deleted\)\n$/);
    expect(await allRunIds(e)).toEqual(before);

    const alpha = await cli('runs', 'purge', '--before', '30d', '--workflow', 'alpha', '--json');
    expect(alpha.code, alpha.stderr).toBe(0);
    expect(JSON.parse(alpha.stdout)).toEqual({ dryRun: false, deleted: 2 });
    expect(await allRunIds(e)).toEqual(before.filter((id) => id !== runs[0] && id !== runs[1]));

    const rest = await cli('runs', 'purge', '--before', new Date().toISOString());
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stdout).toMatch(/^deleted \d+ runs finished before/);
    // Only the active run is left.
    expect(await allRunIds(e)).toEqual([ids.gate]);
  });
});
