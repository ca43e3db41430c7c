/**
 * The workflow pages and the editor in Chromium against a real `openclaw dev`: the list; a spec
 * typed in the editor with an error shown at its line, fixed, registered as version 2 and seen
 * with its diff on /workflows/<name>; a run started from the form generated from a workflow's
 * `inputs` schema; a viewer offered neither. axe-core on every view; screenshots in test-results/ui.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBrowser, expectAccessible, launchBrowser, screenshot, watchPage } from '../helpers/browser.js';
import { signedInPage, startUiDev, type UiDev } from './ui-dev.js';

const V1 = `name: ui-edited
description: Edited in the browser
steps:
  first:
    run: echo
    with: { n: 1 }
`;

/** Line 8 names a step that does not exist. */
const V2_BROKEN = `name: ui-edited
description: Edited in the browser
steps:
  first:
    run: echo
    with: { n: 1 }
  second:
    needs: [frist]
    run: noop
`;

describeBrowser('web UI: workflows and the editor', () => {
  let ui: UiDev;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    [ui, browser] = await Promise.all([startUiDev(), launchBrowser()]);
    await ui.api('POST', '/v1/workflows', V1, 'application/yaml');
    ({ page, problems } = await signedInPage(browser, ui));
    page.on('dialog', (d) => void d.accept());
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await ui?.stop();
  });

  /**
   * Replaces the editor's whole text, as a paste would: one CodeMirror transaction (typing it would
   * auto-indent and close brackets; CDP's insertText goes through Chrome's own contenteditable
   * editing, which writes inline styles the CSP refuses).
   */
  const setEditorText = async (text: string): Promise<void> => {
    await page.locator('.cm-content').click();
    await page.evaluate(`(() => {
      const content = document.querySelector('.editor-host').shadowRoot.querySelector('.cm-content');
      const view = content.cmTile.root.view;
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: ${JSON.stringify(text)} }, userEvent: 'input.paste' });
    })()`);
  };

  it('lists the workflows, the examples among them', async () => {
    await page.getByRole('link', { name: 'Workflows', exact: true }).click();
    await page.getByRole('heading', { name: 'Workflows' }).waitFor();
    const table = page.locator('table.workflows');
    await table.getByRole('link', { name: 'nightly-report' }).waitFor();
    expect(await table.getByRole('link', { name: 'ui-edited' }).count()).toBe(1);
    await expectAccessible(page, 'workflows list');
    await screenshot(page, 'workflows');
  });

  it('the editor shows a spec’s error at its line; fixed and registered, it is version 2 with a diff', async () => {
    await page.goto(`${ui.url}/editor?from=ui-edited`);
    await page.locator('.cm-content').waitFor();
    await expect.poll(() => page.locator('.cm-content').textContent()).toContain('Edited in the browser');
    await page.getByText('Valid: ui-edited').waitFor();

    await setEditorText(V2_BROKEN);
    await page.getByText('1 problem', { exact: true }).waitFor();
    // The server's problem, at its line and column: underlined in line 8, listed with the line.
    const marked = page.locator('.cm-line').nth(7).locator('.cm-lintRange-error');
    await expect.poll(() => marked.textContent()).toBe('frist');
    const listed = await page.getByRole('list', { name: 'Problems' }).textContent();
    expect(listed).toContain('Line 8, column');
    expect(listed).toContain('/steps/second/needs/0');
    expect(await page.getByRole('button', { name: 'Register' }).isDisabled()).toBe(true);
    await expectAccessible(page, 'editor with an error');
    await screenshot(page, 'editor-error');

    // Fix the typo by hand: select the word and type over it.
    await page.locator('.cm-lintRange-error').dblclick();
    await page.keyboard.type('first');
    await page.getByText('Valid: ui-edited').waitFor();
    expect(await page.locator('.cm-lintRange-error').count()).toBe(0);
    // The live preview draws the compiled graph: both steps.
    const preview = page.getByRole('region', { name: 'Graph preview' });
    await preview.locator('.graph-node[data-step="second"]').waitFor();
    expect(await preview.locator('.graph-node').count()).toBe(2);
    await expectAccessible(page, 'editor, valid with its preview');
    await screenshot(page, 'editor');

    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByText('Registered ui-edited version 2.').waitFor();
    await page.getByRole('link', { name: 'Open ui-edited' }).click();
    await page.locator('#workflow-title').waitFor();
    expect(await page.locator('#workflow-title').textContent()).toContain('v2');
    // The Versions tab: v2 against v1, the added step's lines.
    const added = page.locator('table.diff tr.diff-add');
    await expect.poll(() => added.count()).toBe(3);
    expect(await added.first().textContent()).toContain('second:');
    await expectAccessible(page, 'workflow versions and diff');
    await screenshot(page, 'workflow-versions');

    await page.getByRole('tab', { name: 'Graph' }).click();
    await page.locator('.graph-node[data-step="second"]').waitFor();
    await expectAccessible(page, 'workflow graph');
    await page.getByRole('tab', { name: 'Spec' }).click();
    expect(await page.locator('pre.spec-text').textContent()).toContain('needs: [first]');
  });

  it('the editor completes keys and values from the workflow JSON Schema', async () => {
    await page.goto(`${ui.url}/editor`);
    await page.getByText('Valid: my-workflow').waitFor();
    // At a step's keys (line 5 is `    run: echo` of the first step), `retry` is offered...
    await page.locator('.cm-line').nth(4).click();
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('ret');
    const menu = page.locator('.cm-tooltip-autocomplete');
    await menu.getByText('retry', { exact: true }).waitFor();
    await page.waitForTimeout(200); // CodeMirror ignores Enter for 75 ms after the menu opens
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.cm-line').nth(5).textContent()).toBe('    retry: ');
    // ...and under `retry`, its `backoff` values.
    await page.keyboard.press('Enter');
    await page.keyboard.press('Shift+Home'); // whatever the auto-indent was: two more than `retry`
    await page.keyboard.type('      backoff: ');
    await page.keyboard.press('Control+Space');
    await menu.getByText('exponential', { exact: true }).waitFor();
    await page.keyboard.press('Escape');
    expect(problems).toEqual([]);
  });

  it('a run starts from the form generated from the inputs schema, and is seen finishing', async () => {
    await page.goto(`${ui.url}/workflows/order-fulfilment?tab=start`);
    const form = page.locator('.start-run');
    await form.getByRole('heading', { name: /Start a run/ }).waitFor();
    // `amount` is required: the form says so before anything is sent.
    await page.getByRole('button', { name: 'Start run' }).click();
    await form.getByText('is required').first().waitFor();
    await form.getByLabel(/amount/).fill('250');
    await expect.poll(() => form.getByText('is required').count()).toBe(0); // checked live once refused
    await form.getByLabel(/inStock/).check();
    await form.getByLabel('Idempotency key (optional)').fill('ui-form-1');
    await expectAccessible(page, 'start-a-run form');
    await screenshot(page, 'workflow-start-run');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    const heading = page.locator('#run-title');
    await heading.waitFor();
    await expect.poll(() => heading.textContent(), { timeout: 30_000 }).toContain('succeeded');
    const id = page.url().split('/').at(-1)!;
    const run = await ui.api<{ input: unknown; idempotencyKey: string; trigger: { type: string } }>('GET', `/v1/runs/${id}`);
    expect(run.input).toEqual({ amount: 250, inStock: true });
    expect(run.idempotencyKey).toBe('ui-form-1');
    expect(problems).toEqual([]);
  });

  it('a viewer reads workflows and checks specs, but is offered no start, register or archive', async () => {
    const viewer = await ui.api<{ key: string }>('POST', '/v1/api-keys', { name: 'ui-wf-viewer', role: 'viewer', namespaces: '*' });
    const p = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const seen = watchPage(p);
    await p.goto(`${ui.url}/#key=${viewer.key}`);
    await p.getByRole('heading', { name: 'Runs' }).waitFor();
    await p.goto(`${ui.url}/workflows/order-fulfilment`);
    await p.locator('#workflow-title').waitFor();
    expect(await p.getByRole('tab', { name: 'Start a run' }).count()).toBe(0);
    expect(await p.getByRole('button', { name: 'Archive' }).count()).toBe(0);
    await p.goto(`${ui.url}/editor`);
    await p.getByText('Valid: my-workflow').waitFor();
    expect(await p.getByRole('button', { name: 'Register' }).count()).toBe(0);
    expect(seen).toEqual([]);
    await p.close();
  });

  it('dark theme: the editor and the workflow page stay accessible', async () => {
    const p = await browser.newPage({ viewport: { width: 1400, height: 900 }, colorScheme: 'dark' });
    const seen = watchPage(p);
    await p.goto(ui.link);
    await p.getByRole('heading', { name: 'Runs' }).waitFor();
    await p.goto(`${ui.url}/editor?from=nightly-report`);
    await p.getByText('Valid: nightly-report').waitFor();
    await expectAccessible(p, 'editor, dark');
    await screenshot(p, 'editor-dark');
    await p.goto(`${ui.url}/workflows/nightly-report?tab=triggers`);
    await p.getByText('Europe/Berlin').first().waitFor();
    await expectAccessible(p, 'workflow schedules, dark');
    expect(seen).toEqual([]);
    await p.close();
  });
});
