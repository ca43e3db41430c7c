/**
 * The web UI in Chromium, served by a real `openclaw dev`: the printed sign-in link (the key leaves
 * the address bar at once and lives in session storage only), the "API key" input, a refused key,
 * roles (a viewer is offered no actions), the namespace selector, security headers, dark theme.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBrowser, expectAccessible, launchBrowser, screenshot, watchPage } from '../helpers/browser.js';
import { startUiDev, type UiDev } from './ui-dev.js';

describeBrowser('web UI: sign-in, roles, namespaces, headers', () => {
  let ui: UiDev;
  let browser: Browser;

  beforeAll(async () => {
    [ui, browser] = await Promise.all([startUiDev(), launchBrowser()]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await ui?.stop();
  });

  const newPage = async (): Promise<{ page: Page; problems: string[] }> => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    return { page, problems: watchPage(page) };
  };

  it('the printed link signs in: the key moves to session storage and out of the address bar', async () => {
    expect(ui.link).toBe(`${ui.url}/#key=${ui.key}`);
    const { page, problems } = await newPage();
    await page.goto(ui.link);
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    expect(page.url()).toBe(`${ui.url}/runs`);
    expect(await page.evaluate('window.location.hash')).toBe('');
    expect(await page.evaluate('sessionStorage.getItem("openclaw.apiKey")')).toBe(ui.key);
    expect(await page.evaluate('JSON.stringify(localStorage)')).not.toContain(ui.key);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate('sessionStorage.getItem("openclaw.apiKey")')).toBeNull();
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the "API key" input signs in; a wrong key is refused with a message', async () => {
    const { page, problems } = await newPage();
    await page.goto(`${ui.url}/runs`);
    await page.getByLabel('API key').fill('ocl_0000000000000000_wrongwrongwrongwrongwrongwrongwrongwrong12');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not accepted');
    await expectAccessible(page, 'sign-in page');
    await screenshot(page, 'sign-in');
    await page.getByLabel('API key').fill(ui.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    expect(page.url()).toBe(`${ui.url}/runs`);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a viewer sees runs but is offered no actions', async () => {
    const viewer = await ui.api<{ key: string }>('POST', '/v1/api-keys', { name: 'ui-viewer', role: 'viewer', namespaces: '*' });
    const runId = await ui.startRun('order-fulfilment', { amount: 5000 });
    await ui.waitForStatus(runId, ['waiting']);
    const { page, problems } = await newPage();
    await page.goto(`${ui.url}/#key=${viewer.key}`);
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    await expect.poll(() => page.locator('header .role').textContent()).toBe('viewer');
    expect(await page.getByRole('button', { name: /Cancel selected/ }).count()).toBe(0);
    expect(await page.getByRole('checkbox').count()).toBe(0);
    await page.goto(`${ui.url}/runs/${runId}`);
    await page.getByRole('heading', { name: /order-fulfilment/ }).waitFor();
    await page.getByText('Following live.').waitFor();
    for (const name of ['Cancel run', 'Retry run', /Send signal/]) expect(await page.getByRole('button', { name }).count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
    await ui.api('POST', `/v1/runs/${runId}/cancel`);
  });

  it('the namespace selector scopes every call (X-OpenClaw-Namespace)', async () => {
    const { page, problems } = await newPage();
    await page.goto(ui.link);
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    await page.locator('table.runs tbody tr').first().waitFor();
    await page.getByLabel('Namespace').fill('team-empty');
    await page.getByLabel('Namespace').press('Enter');
    await page.getByText('No runs yet.').waitFor();
    expect(await page.evaluate('sessionStorage.getItem("openclaw.namespace")')).toBe('team-empty');
    await expectAccessible(page, 'runs page, empty');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('UI responses carry a CSP without inline scripts, frame-ancestors none and nosniff; assets are bundled', async () => {
    for (const p of ['/', '/runs', '/runs/00000000-0000-0000-0000-000000000000', '/workflows/x', '/editor', '/settings']) {
      const res = await fetch(`${ui.url}${p}`);
      expect(res.status, p).toBe(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const html = await res.text();
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
      expect(html).not.toMatch(/https?:\/\//); // nothing from another origin
    }
    expect((await fetch(`${ui.url}/runs/`)).status).toBe(404); // exact paths only
    expect((await fetch(`${ui.url}/Runs`)).status).toBe(401); // and anything else needs a key
    expect(
      ((await fetch(`${ui.url}/openapi.json`).then((r) => r.json())) as { paths: Record<string, unknown> }).paths['/runs'],
    ).toBeUndefined();
  });

  it('follows the system dark theme, and stays accessible there', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, colorScheme: 'dark' });
    const problems = watchPage(page);
    await page.goto(ui.link);
    await page.locator('table.runs tbody tr').first().waitFor();
    const bg = await page.evaluate('getComputedStyle(document.documentElement).backgroundColor');
    expect(bg).toBe('rgb(15, 20, 25)');
    await expectAccessible(page, 'runs page, dark');
    await screenshot(page, 'runs-dark');
    expect(problems).toEqual([]);
    await page.close();
  });
});
