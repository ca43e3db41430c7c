/**
 * The operations pages in Chromium against a real `openclaw dev`: the nightly-report schedule
 * paused and resumed, a dead letter replayed until its run succeeds, the worker fleet and the
 * queue, secrets set and deleted, an API key created (shown once), refused once revoked, and the
 * audit log that recorded it. axe-core on every page, light and dark; screenshots in test-results/ui.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBrowser, expectAccessible, launchBrowser, screenshot, watchPage } from '../helpers/browser.js';
import { signedInPage, startUiDev, type UiDev } from './ui-dev.js';

/** Fails its first attempt and has only one: dead-lettered; a replay (attempt 2) succeeds. */
const DEAD_ONCE = `name: ui-dead-once
steps:
  flop:
    run: fail
    with: { error: Flop, message: "down on the first attempt", untilAttempt: 2 }
`;

/** Fires every second: a schedule with recent fires to show (paused by its test). */
const EVERY_SECOND = `name: ui-every-second
triggers:
  - cron: "* * * * * *"
steps:
  tick: { run: noop }
`;

interface Schedule {
  id: string;
  workflow: string;
  paused: boolean;
}

describeBrowser('web UI: schedules, dead letters, workers, settings', () => {
  let ui: UiDev;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    [ui, browser] = await Promise.all([startUiDev(), launchBrowser()]);
    await ui.api('POST', '/v1/workflows', DEAD_ONCE, 'application/yaml');
    ({ page, problems } = await signedInPage(browser, ui));
    page.on('dialog', (d) => void d.accept());
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await ui?.stop();
  });

  const nightly = async (): Promise<Schedule> =>
    (await ui.api<{ items: Schedule[] }>('GET', '/v1/schedules?workflow=nightly-report')).items[0]!;

  it('pauses and resumes the nightly-report schedule; next fires in its own time zone', async () => {
    await page.getByRole('link', { name: 'Schedules', exact: true }).click();
    await page.getByRole('heading', { name: 'Schedules' }).waitFor();
    const row = page.locator('tr', { has: page.getByRole('link', { name: 'nightly-report' }) });
    await row.waitFor();
    expect(await row.textContent()).toContain('Europe/Berlin');
    expect(await row.textContent()).toMatch(/GMT\+[12]|CES?T/); // the next fire, in Berlin time
    await expectAccessible(page, 'schedules');
    await screenshot(page, 'schedules');

    await row.getByRole('button', { name: /^Pause nightly-report/ }).click();
    await row.getByText('paused', { exact: false }).first().waitFor();
    await expect.poll(async () => (await nightly()).paused).toBe(true);
    expect(await row.textContent()).not.toMatch(/in \d+ (h|min|s)/); // no next fire while paused
    await screenshot(page, 'schedules-paused');

    await row.getByRole('button', { name: /^Resume nightly-report/ }).click();
    await row.getByText('active').waitFor();
    await expect.poll(async () => (await nightly()).paused).toBe(false);
  });

  it('shows a schedule’s last few fires with their runs', async () => {
    await ui.api('POST', '/v1/workflows', EVERY_SECOND, 'application/yaml');
    const runs = async () =>
      (await ui.api<{ items: { id: string; status: string }[] }>('GET', '/v1/runs?workflow=ui-every-second&status=succeeded')).items;
    await expect.poll(async () => (await runs()).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    const [schedule] = (await ui.api<{ items: Schedule[] }>('GET', '/v1/schedules?workflow=ui-every-second')).items;
    await ui.api('POST', `/v1/schedules/${schedule!.id}/pause`);
    await page.goto(`${ui.url}/schedules`);
    const row = page.locator('tr', { has: page.getByRole('link', { name: 'ui-every-second' }) });
    const fires = row.getByRole('list', { name: 'Recent fires' }).getByRole('listitem');
    await expect.poll(() => fires.count()).toBe(3);
    const newest = (await runs())[0]!; // the list is newest first, like the page
    expect(await fires.first().getByRole('link').getAttribute('href')).toBe(`/runs/${newest.id}`);
    expect(await fires.first().textContent()).toContain('succeeded');
    await expectAccessible(page, 'schedules, recent fires');
    await screenshot(page, 'schedules-fires');
  });

  it('replays a dead letter; its run then succeeds', async () => {
    const id = await ui.startRun('ui-dead-once');
    await ui.waitForStatus(id, ['failed']);
    await page.getByRole('link', { name: 'Dead letters', exact: true }).click();
    await page.getByRole('heading', { name: 'Dead letters' }).waitFor();
    const row = page.locator('tr', { has: page.getByRole('link', { name: id.slice(0, 8) }) });
    await row.waitFor();
    expect(await row.textContent()).toContain('Flop');
    await expectAccessible(page, 'dead letters');
    await screenshot(page, 'dead-letters');
    await row.getByRole('button', { name: /^Replay flop/ }).click();
    await page.getByText(/Replayed flop of run/).waitFor();
    await row.getByText(/replayed/).waitFor();
    expect(await ui.waitForStatus(id, ['succeeded'])).toBe('succeeded');
  });

  it('shows the worker fleet and the queue', async () => {
    await page.getByRole('link', { name: 'Workers', exact: true }).click();
    await page.getByRole('heading', { name: 'Workers' }).waitFor();
    const fleet = page.locator('table.workers');
    await fleet.getByText('alive').first().waitFor();
    expect(await page.getByRole('group', { name: 'Totals' }).textContent()).toMatch(/\d+ steps due now/);
    await expectAccessible(page, 'workers');
    await screenshot(page, 'workers');
  });

  it('sets and deletes a secret (names only)', async () => {
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    const form = page.getByRole('form', { name: 'Set a secret' });
    await form.getByLabel('Name').fill('UI_TOKEN');
    await form.getByLabel('Value').fill('s3cr3t-value');
    await form.getByRole('button', { name: 'Set secret' }).click();
    const row = page.locator('table.secrets tr', { hasText: 'UI_TOKEN' });
    await row.waitFor();
    expect(await page.locator('main').textContent()).not.toContain('s3cr3t-value');
    await expectAccessible(page, 'settings, secrets');
    await screenshot(page, 'settings-secrets');
    await row.getByRole('button', { name: 'Delete secret UI_TOKEN' }).click();
    await page.getByText('Deleted UI_TOKEN.').waitFor();
    await expect.poll(() => page.locator('table.secrets tr', { hasText: 'UI_TOKEN' }).count()).toBe(0);
  });

  it('creates an API key (shown once) and revokes it; the audit log has both', async () => {
    await page.getByRole('tab', { name: 'API keys' }).click();
    const form = page.getByRole('form', { name: 'Create an API key' });
    await form.getByLabel('Name', { exact: true }).fill('ui-created');
    await form.getByLabel('Role').selectOption('operator');
    await form.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByLabel('New API key');
    await shown.waitFor();
    const key = (await shown.textContent())!;
    expect(key).toMatch(/^ocl_[0-9a-f]{16}_/);
    const who = await fetch(`${ui.url}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } });
    expect(((await who.json()) as { role: string }).role).toBe('operator');
    const row = page.locator('table.api-keys tr', { hasText: 'ui-created' });
    await row.waitFor();
    await expectAccessible(page, 'settings, API keys');
    await screenshot(page, 'settings-api-keys');
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByLabel('New API key').count()).toBe(0); // shown once

    await row.getByRole('button', { name: 'Revoke ui-created' }).click();
    await row.getByText(/revoked/).waitFor();
    const refused = await fetch(`${ui.url}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } });
    expect(refused.status).toBe(401);

    await page.getByRole('tab', { name: 'Audit log' }).click();
    const audit = page.locator('table.audit');
    await audit.getByText('DELETE /v1/api-keys/{id}').first().waitFor();
    expect(await audit.textContent()).toContain('POST /v1/api-keys');
    await page.getByLabel('Method').selectOption('DELETE');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => audit.getByText('POST /v1/api-keys').count()).toBe(0);
    await expectAccessible(page, 'settings, audit log');
    await screenshot(page, 'settings-audit');
    expect(problems).toEqual([]);
  });

  it('a viewer sees schedules, dead letters and secrets but no actions, and no keys or audit', async () => {
    const viewer = await ui.api<{ key: string }>('POST', '/v1/api-keys', { name: 'ui-ops-viewer', role: 'viewer', namespaces: '*' });
    const p = await browser.newPage({ viewport: { width: 1280, height: 860 }, colorScheme: 'dark' });
    const seen = watchPage(p);
    await p.goto(`${ui.url}/#key=${viewer.key}`);
    await p.getByRole('heading', { name: 'Runs' }).waitFor();
    await p.goto(`${ui.url}/schedules`);
    await p.getByRole('link', { name: 'nightly-report' }).waitFor();
    expect(await p.getByRole('button', { name: /^(Pause|Resume) / }).count()).toBe(0);
    await expectAccessible(p, 'schedules, dark');
    await p.goto(`${ui.url}/dead-letters`);
    await p.locator('table.dead-letters').waitFor();
    expect(await p.getByRole('button', { name: /^Replay / }).count()).toBe(0);
    await expectAccessible(p, 'dead letters, dark');
    await p.goto(`${ui.url}/workers`);
    await p.locator('table.workers').waitFor();
    await expectAccessible(p, 'workers, dark');
    await p.goto(`${ui.url}/settings`);
    await p.getByText('API keys and the audit log are for admins.').waitFor();
    expect(await p.getByRole('tab').count()).toBe(1);
    expect(await p.getByRole('form', { name: 'Set a secret' }).count()).toBe(0);
    await expectAccessible(p, 'settings, dark');
    await screenshot(p, 'settings-dark');
    expect(seen).toEqual([]);
    await p.close();
  });
});
