/**
 * The runs list and the run page in Chromium against a real `openclaw dev`: a run watched live to
 * its end, its graph, a step's logs and the Gantt; a failed run retried until it succeeds; a waiting
 * order-fulfilment approved with a signal; time travel to before a step finished; a forEach
 * expanded; several runs cancelled at once. axe-core on every view; screenshots in test-results/ui.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBrowser, expectAccessible, launchBrowser, screenshot } from '../helpers/browser.js';
import { signedInPage, startUiDev, type UiDev } from './ui-dev.js';

/** Fails its first two attempts; with two attempts allowed the run fails, and a retry (attempt 3) succeeds. */
const RETRY_ONCE = `name: ui-retry-once
steps:
  prepare: { run: echo, with: { ok: true } }
  shaky:
    needs: [prepare]
    run: fail
    with: { error: Shaky, message: "down until the third attempt", untilAttempt: 3 }
    retry: { maxAttempts: 2, delay: 100ms }
  done: { needs: [shaky], run: echo, with: { finished: true } }
`;

/** Slow enough to be watched: the page is open long before it ends, however loaded the machine. */
const SLOW = `name: ui-slow
steps:
  nap: { run: sleep, with: { ms: 4000 } }
  done: { needs: [nap], run: echo, with: { ok: true } }
`;

/** Parallel branches, then a sub-workflow (the flaky-step example) as a child run. */
const BRANCHES = `name: ui-branches
start: fan
states:
  fan:
    parallel:
      - { start: a, states: { a: { run: echo, with: { x: 1 }, end: true } } }
      - { start: b, states: { b: { run: echo, with: { y: 2 }, next: c }, c: { succeed: true } } }
    next: child
  child:
    workflow: { name: flaky-step }
    end: true
`;

describeBrowser('web UI: runs and a run', () => {
  let ui: UiDev;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    [ui, browser] = await Promise.all([startUiDev(), launchBrowser()]);
    await ui.api('POST', '/v1/workflows', RETRY_ONCE, 'application/yaml');
    await ui.api('POST', '/v1/workflows', BRANCHES, 'application/yaml');
    await ui.api('POST', '/v1/workflows', SLOW, 'application/yaml');
    ({ page, problems } = await signedInPage(browser, ui));
    page.on('dialog', (d) => void d.accept());
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await ui?.stop();
  });

  const heading = (): ReturnType<Page['locator']> => page.locator('#run-title');
  const openRun = async (id: string, query = ''): Promise<void> => {
    await page.goto(`${ui.url}/runs/${id}${query}`);
    await heading().waitFor();
  };
  const nodeStatus = (name: string): Promise<string | null> => page.locator(`.graph-node[data-step="${name}"] .status`).textContent();

  it('a run started over the API is seen running, then finishing, on its page without a reload', async () => {
    const id = await ui.startRun('ui-slow');
    await openRun(id);
    await expect.poll(() => nodeStatus('nap')).toContain('running');
    expect(await heading().textContent()).toContain('running');
    expect(await nodeStatus('done')).toMatch(/pending|not started/);
    await expect.poll(() => heading().textContent(), { timeout: 30_000 }).toContain('succeeded');
    await expect.poll(() => nodeStatus('done')).toContain('succeeded');
    // Two nodes are framed at their natural size (fitView capped at 100 %), not blown up to fill the canvas.
    const style = (await page.locator('.react-flow__viewport').getAttribute('style')) ?? '';
    expect(Number(/scale\(([\d.]+)\)/.exec(style)?.[1])).toBeLessThanOrEqual(1);
  });

  it('a flaky run’s graph, its flaky step’s logs and attempts, and the Gantt', async () => {
    const id = await ui.startRun('flaky-step');
    await openRun(id);
    await expect.poll(() => heading().textContent(), { timeout: 30_000 }).toContain('succeeded');
    await expect.poll(() => nodeStatus('flaky')).toContain('succeeded');
    await expect.poll(() => nodeStatus('report')).toContain('succeeded');
    await expectAccessible(page, 'run page, graph');
    await screenshot(page, 'run-graph');

    await page.locator('.graph-node[data-step="flaky"]').getByRole('button', { name: 'flaky' }).click();
    const panel = page.getByRole('complementary');
    await panel.getByRole('heading', { name: /Step flaky/ }).waitFor();
    await expect.poll(() => panel.getByRole('log').textContent()).toContain('attempt 3: succeeding');
    await expect.poll(() => panel.locator('table.attempts tbody tr').count()).toBe(3);
    expect(await panel.locator('table.attempts').textContent()).toContain('Flaky: the service hiccuped');
    await expectAccessible(page, 'run page, step panel');
    await screenshot(page, 'run-step-panel');

    await page.getByRole('tab', { name: 'Gantt' }).click();
    const row = page.locator('.gantt-row', { has: page.getByRole('button', { name: 'flaky', exact: true }) });
    await expect.poll(() => row.locator('.bar-attempt').count()).toBe(3);
    expect(await row.locator('.bar-attempt.outcome-failed').count()).toBe(2);
    expect(await row.locator('.bar-backoff').count()).toBe(2);
    // prepare -> flaky -> report is the whole run: all on the critical path.
    expect(await page.locator('.gantt-row.critical').count()).toBe(3);
    await expectAccessible(page, 'run page, Gantt');
    await screenshot(page, 'run-gantt');

    await page.getByRole('tab', { name: 'Steps' }).click();
    await expect.poll(() => page.locator('table.step-list tbody tr').count()).toBe(3);
    await expectAccessible(page, 'run page, steps list');
    // A step's name in the list selects it (the rows are memoised: the selection still reaches them).
    const reportInList = page.locator('table.step-list').getByRole('button', { name: 'report', exact: true });
    await reportInList.click();
    await page
      .getByRole('complementary')
      .getByRole('heading', { name: /Step report/ })
      .waitFor();
    await expect.poll(() => reportInList.getAttribute('aria-pressed')).toBe('true');
    expect(await page.locator('table.step-list').getByRole('button', { name: 'flaky', exact: true }).getAttribute('aria-pressed')).toBe(
      'false',
    );
    await page.getByRole('tab', { name: 'History' }).click();
    await page.locator('table.history').waitFor();
    await expectAccessible(page, 'run page, history');
  });

  it('time travel: before the flaky step finished it is drawn running, then live again', async () => {
    const { items: runs } = await ui.api<{ items: { id: string }[] }>('GET', '/v1/runs?workflow=flaky-step&status=succeeded');
    const id = runs[0]!.id;
    const { items: events } = await ui.api<{ items: { type: string; stepKey: string | null; data: { attempt?: number } }[] }>(
      'GET',
      `/v1/runs/${id}/events`,
    );
    const started3 = events.findIndex((e) => e.type === 'step.started' && e.stepKey === 'flaky' && e.data.attempt === 3);
    expect(started3).toBeGreaterThan(0);
    await openRun(id, '?tab=history');
    await page
      .getByRole('button', { name: new RegExp(`Show the run here`) })
      .nth(started3)
      .click();
    await page.getByRole('tab', { name: 'Graph' }).click();
    await expect.poll(() => nodeStatus('flaky')).toContain('running');
    expect(await nodeStatus('report')).toContain('not started');
    expect(await page.locator('#run-title .status').textContent()).toContain('running');
    await page.getByRole('tab', { name: 'Gantt' }).click();
    const row = page.locator('.gantt-row', { has: page.getByRole('button', { name: 'flaky', exact: true }) });
    expect(await row.locator('.bar-attempt.outcome-open').count()).toBe(1);
    expect(await page.locator('.gantt-row', { has: page.getByRole('button', { name: 'report', exact: true }) }).count()).toBe(0);
    await expectAccessible(page, 'run page, time travel');
    await screenshot(page, 'run-time-travel');
    // The keyboard moves the scrubber too; "Back to live" returns.
    await page.getByLabel('Time travel').focus();
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.locator('.time-travel').textContent()).toContain(`event ${started3}/`);
    await page.getByRole('button', { name: 'Back to live' }).click();
    await page.getByRole('tab', { name: 'Graph' }).click();
    await expect.poll(() => nodeStatus('report')).toContain('succeeded');
  });

  it('a failed run is retried from its page and succeeds', async () => {
    const id = await ui.startRun('ui-retry-once');
    await ui.waitForStatus(id, ['failed']);
    await openRun(id);
    await expect.poll(() => heading().textContent()).toContain('failed');
    await expect.poll(() => nodeStatus('shaky')).toContain('dead');
    await page.getByRole('group', { name: 'Run error', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Retry run' }).click();
    await expect.poll(() => heading().textContent(), { timeout: 30_000 }).toContain('succeeded');
    await expect.poll(() => nodeStatus('done')).toContain('succeeded');
  });

  it('a dead-lettered step is replayed from its panel and the run succeeds', async () => {
    const id = await ui.startRun('ui-retry-once');
    await ui.waitForStatus(id, ['failed']);
    await openRun(id, '?step=shaky');
    const panel = page.getByRole('complementary');
    await panel.getByRole('button', { name: 'Replay dead letter' }).click();
    await expect.poll(() => panel.getByRole('status').textContent()).toContain('Dead letter replayed');
    await expect.poll(() => heading().textContent(), { timeout: 30_000 }).toContain('succeeded');
    await expect.poll(() => nodeStatus('done')).toContain('succeeded');
  });

  it('a waiting order-fulfilment is approved with a signal and ships', async () => {
    const id = await ui.startRun('order-fulfilment', { amount: 5000 });
    await ui.waitForStatus(id, ['waiting']);
    await openRun(id);
    await expect.poll(() => nodeStatus('approval')).toContain('waiting');
    await page.getByRole('button', { name: 'Send signal (approve)' }).click();
    await page.getByLabel('Payload (JSON, optional)').fill('{"by": "ada"');
    await page.getByRole('button', { name: 'Send approve' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not JSON');
    await expectAccessible(page, 'run page, signal form');
    await screenshot(page, 'run-signal');
    await page.getByLabel('Payload (JSON, optional)').fill('{"by": "ada"}');
    await page.getByRole('button', { name: 'Send approve' }).click();
    await expect.poll(() => heading().textContent(), { timeout: 30_000 }).toContain('succeeded');
    await expect.poll(() => nodeStatus('ship')).toContain('succeeded');
    expect(await nodeStatus('cancelled')).toContain('not started');
  });

  it('a forEach is one node with counts by status that expands to its items', async () => {
    const files = Array.from({ length: 30 }, (_, i) => `f${i}.csv`);
    const id = await ui.startRun('fanout-join', { files });
    await ui.waitForStatus(id, ['succeeded']);
    await openRun(id);
    const group = page.locator('.graph-node[data-step="score"]');
    await expect.poll(() => group.textContent()).toContain('30 items');
    expect(await group.textContent()).toContain('30 succeeded');
    await group.getByRole('button', { name: 'Show items' }).click();
    const items = group.getByRole('list', { name: 'Items of score' }).getByRole('button');
    await expect.poll(() => items.count()).toBe(24);
    await group.getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => items.count()).toBe(6);
    await items.first().click();
    await page
      .getByRole('complementary')
      .getByRole('heading', { name: /Step score\[24\]/ })
      .waitFor();
    await expectAccessible(page, 'run page, forEach expanded');
    await screenshot(page, 'run-foreach');
  });

  it('parallel branches are drawn as branches that join; a workflow state links its child run', async () => {
    const id = await ui.startRun('ui-branches');
    await ui.waitForStatus(id, ['succeeded']);
    await openRun(id);
    for (const n of ['fan', 'fan.0.a', 'fan.1.b', 'fan.1.c', 'child']) await expect.poll(() => nodeStatus(n)).toContain('succeeded');
    expect(await page.locator('.graph-node.join').count()).toBe(1);
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(6); // fan->a, fan->b, b->c, a->join, c->join, join->child
    await expectAccessible(page, 'run page, parallel and child run');
    await screenshot(page, 'run-parallel');
    await page
      .locator('.graph-node[data-step="child"]')
      .getByRole('link', { name: /child run/ })
      .click();
    await expect.poll(() => heading().textContent()).toContain('flaky-step');
    await page.getByRole('link', { name: 'parent run' }).waitFor();
  });

  it('the runs list filters, and cancels several runs at once', async () => {
    const ids = [await ui.startRun('order-fulfilment', { amount: 2000 }), await ui.startRun('order-fulfilment', { amount: 3000 })];
    for (const id of ids) await ui.waitForStatus(id, ['waiting']);
    await page.goto(`${ui.url}/runs?workflow=order-fulfilment&status=waiting`);
    for (const id of ids) await page.getByRole('checkbox', { name: `Select run ${id.slice(0, 8)}` }).check();
    await page.getByRole('button', { name: 'Cancel selected (2)' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Cancelled 2 of 2 runs');
    for (const id of ids) expect(await ui.waitForStatus(id, ['cancelled'])).toBe('cancelled');
    await page.goto(`${ui.url}/runs?workflow=order-fulfilment&status=cancelled`);
    await expect.poll(() => page.locator('table.runs tbody tr').count()).toBeGreaterThanOrEqual(2);
    // A time range: nothing was created in the future; everything since an hour ago.
    const future = new Date(Date.now() + 3_600_000).toISOString();
    await page.goto(`${ui.url}/runs?range=custom&since=${encodeURIComponent(future)}`);
    await page.getByText('No runs match these filters.').waitFor();
    expect(await page.getByLabel('From').inputValue()).not.toBe('');
    const past = new Date(Date.now() - 3_600_000).toISOString();
    await page.goto(`${ui.url}/runs?range=custom&since=${encodeURIComponent(past)}&trigger=api`);
    await expect.poll(() => page.locator('table.runs tbody tr').count()).toBeGreaterThanOrEqual(2);
    await page.goto(`${ui.url}/runs`);
    await page.locator('table.runs tbody tr').first().waitFor();
    await expectAccessible(page, 'runs page');
    await screenshot(page, 'runs');
    // An id finds the run; a key finds its runs.
    await page.getByLabel('Run id or idempotency key').fill(ids[0]!);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.waitForURL(`${ui.url}/runs/${ids[0]}`);
    expect(problems).toEqual([]);
  });
});
