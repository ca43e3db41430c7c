/**
 * A run's artifacts in the web UI (docs/ui.md, the run page), in Chromium against a real
 * `openclaw dev`: HTTP steps save a real local server's bodies as artifacts (`saveAs`, loopback
 * allowed by OPENCLAW_HTTP_ALLOW). The run page lists them with size and digest, the step panel its
 * step's outputs; a download (from the keyboard) gives the artifact's exact bytes under its name,
 * fetched with the key in a header, never in a URL; a run served from the step cache names its
 * source; a lost object is an error in its row; an artifact over the browser limit offers the CLI
 * command, which the test runs. axe-core on each view; screenshots in test-results/ui.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BROWSER_DOWNLOAD_LIMIT } from '../../ui/src/data/download-plan.js';
import { describeBrowser, expectAccessible, launchBrowser, screenshot } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';
import { signedInPage, startUiDev, type UiDev } from './ui-dev.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
/** Not text, so any decoding on the way (a string, a charset) would show in the bytes. */
const model = randomBytes(1536 * 1024 + 7);
const orders = `id,customer,amount\n${Array.from({ length: 2000 }, (_, i) => `${i + 1},c${i % 97},${(i * 3.7).toFixed(2)}`).join('\n')}\n`;
const notes = 'lost in the store on purpose\n';
/** One byte over the limit: the page offers the CLI instead. Sent in 1 MiB chunks. */
const DUMP_SIZE = BROWSER_DOWNLOAD_LIMIT + 1;
const MiB = Buffer.alloc(1024 * 1024, 'd');
function* dumpChunks(): Generator<Buffer> {
  for (let sent = 0; sent < DUMP_SIZE; sent += MiB.length) yield MiB.subarray(0, Math.min(MiB.length, DUMP_SIZE - sent));
}
const dumpSha = (() => {
  const h = createHash('sha256');
  for (const c of dumpChunks()) h.update(c);
  return h.digest('hex');
})();

interface ApiArtifact {
  id: string;
  name: string;
  stepKey: string;
  size: number;
  sha256: string;
  cachedFrom: string | null;
}

describeBrowser('web UI: a run’s artifacts', () => {
  let srv: TestServer;
  let ui: UiDev;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let artifactDir: string;
  const requested: string[] = [];

  beforeAll(async () => {
    artifactDir = mkdtempSync(path.join(os.tmpdir(), 'openclaw-ui-artifacts-'));
    srv = await startTestServer();
    srv.route('/model.bin', (_req, res) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(model));
    srv.route('/orders.csv', (_req, res) => res.writeHead(200, { 'content-type': 'text/csv' }).end(orders));
    srv.route('/notes', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(notes));
    srv.route('/dump', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(DUMP_SIZE) });
      Readable.from(dumpChunks()).pipe(res);
    });
    [ui, browser] = await Promise.all([
      startUiDev({ OPENCLAW_HTTP_ALLOW: '127.0.0.1', OPENCLAW_ARTIFACT_DIR: artifactDir }),
      launchBrowser(),
    ]);
    await ui.api(
      'POST',
      '/v1/workflows',
      `name: ui-artifacts
steps:
  extract:
    http: { url: "${srv.url}/orders.csv", saveAs: orders.csv }
    artifacts: { out: { orders.csv: { mediaType: text/csv } } }
    cache: true
  train:
    needs: [extract]
    http: { url: "${srv.url}/model.bin", saveAs: model.bin }
    artifacts: { out: [model.bin] }
    cache: true
  notes:
    http: { url: "${srv.url}/notes", saveAs: notes.txt }
    artifacts: { out: [notes.txt] }
  check:
    needs: [train]
    run: echo
    with: { ok: true }
`,
      'application/yaml',
    );
    await ui.api(
      'POST',
      '/v1/workflows',
      `name: ui-artifacts-big
steps:
  dump:
    http: { url: "${srv.url}/dump", saveAs: dump.bin }
    artifacts: { out: [dump.bin] }
    timeout: 5m
`,
      'application/yaml',
    );
    ({ page, problems } = await signedInPage(browser, ui, { acceptDownloads: true, permissions: ['clipboard-read', 'clipboard-write'] }));
    page.on('request', (r) => requested.push(r.url()));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await ui?.stop();
    await srv?.close();
    if (artifactDir) rmSync(artifactDir, { recursive: true, force: true });
  });

  const artifactsOf = async (runId: string): Promise<ApiArtifact[]> =>
    (await ui.api<{ items: ApiArtifact[] }>('GET', `/v1/runs/${runId}/artifacts`)).items;
  const section = () => page.locator('section.artifacts');
  const row = (name: string) => section().locator('tbody tr', { has: page.getByRole('rowheader', { name, exact: true }) });
  const openRun = async (id: string): Promise<void> => {
    await page.goto(`${ui.url}/runs/${id}`);
    await page.locator('#run-title').waitFor();
  };
  let firstRun = '';

  it('lists the run’s artifacts with their sizes and digests, and downloads one with its exact bytes', async () => {
    firstRun = await ui.startRun('ui-artifacts');
    await openRun(firstRun);
    await expect.poll(() => page.locator('#run-title').textContent(), { timeout: 30_000 }).toContain('succeeded');
    await expect.poll(() => section().locator('tbody tr').count()).toBe(3);
    expect(
      await section()
        .getByRole('heading', { name: /Artifacts/ })
        .textContent(),
    ).toContain('(3)');

    const m = row('model.bin');
    const cells = await m.locator('td').allTextContents();
    // Step, attempt, size, media type, digest, created, download.
    expect(cells[0]).toBe('train');
    expect(cells[1]).toBe('1');
    expect(cells[2]).toBe('1.50 MiB');
    expect(await m.locator('td').nth(2).getAttribute('title')).toBe(`${model.length} bytes`);
    expect(cells[3]).toBe('application/octet-stream');
    expect(cells[4]).toContain(`${sha(model).slice(0, 12)}…`);
    expect(await m.locator('.digest code').getAttribute('title')).toBe(`SHA-256 ${sha(model)}`);
    // Copy puts all 64 digits on the clipboard, and says so.
    await m.getByRole('button', { name: 'Copy the SHA-256 of model.bin' }).click();
    await m.getByRole('button', { name: 'Copied the SHA-256 of model.bin' }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(sha(model));
    expect(await row('orders.csv').locator('td').nth(3).textContent()).toBe('text/csv');
    expect(await row('orders.csv').locator('td').nth(2).textContent()).toBe(`${(Buffer.byteLength(orders) / 1024).toFixed(1)} KiB`);
    // No step was served from the cache: no "Cached from" column.
    expect(await section().getByRole('columnheader', { name: 'Cached from' }).count()).toBe(0);
    await expectAccessible(page, 'run page, artifacts');

    // From the keyboard: focus the button, press Enter; the browser saves the bytes under the artifact's name.
    await m.getByRole('button', { name: 'Download model.bin' }).focus();
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    expect(download.suggestedFilename()).toBe('model.bin');
    const saved = readFileSync(await download.path());
    expect(saved.length).toBe(model.length);
    expect(saved.equals(model)).toBe(true);
    await expect.poll(() => m.getByRole('status').textContent()).toContain('Saved model.bin (1.50 MiB; size and SHA-256 checked)');

    // The key went in a header: no request of the page carried it in its URL.
    expect(requested.some((u) => u.includes(`/v1/artifacts/`))).toBe(true);
    expect(requested.filter((u) => u.includes(ui.key))).toEqual([]);
    await section().scrollIntoViewIfNeeded();
    await screenshot(page, 'run-artifacts');
    expect(problems).toEqual([]);
  });

  it('time travel lists only what was attached by the moment shown', async () => {
    const { items: events } = await ui.api<{ items: { type: string; stepKey: string | null }[] }>('GET', `/v1/runs/${firstRun}/events`);
    const succeeded = (key: string) => events.findIndex((e) => e.type === 'step.succeeded' && e.stepKey === key);
    const at = succeeded('extract');
    expect(at).toBeGreaterThan(0);
    // Artifacts are attached by their step's completion, in the same transaction as its step.succeeded.
    const expected = [
      ['extract', 'orders.csv'],
      ['train', 'model.bin'],
      ['notes', 'notes.txt'],
    ]
      .filter(([key]) => succeeded(key!) <= at)
      .map(([, name]) => name);
    await page.goto(`${ui.url}/runs/${firstRun}?tab=history`);
    await page
      .getByRole('button', { name: /Show the run here/ })
      .nth(at)
      .click();
    await section().getByText('As they were at the moment shown above.').waitFor();
    await expect.poll(() => section().locator('tbody th[scope="row"]').allTextContents()).toEqual(expect.arrayContaining(expected));
    expect(await section().locator('tbody tr').count()).toBe(expected.length);
    await page.getByRole('button', { name: 'Back to live' }).click();
    await expect.poll(() => section().locator('tbody tr').count()).toBe(3);
    expect(problems).toEqual([]);
  });

  it('the step panel lists the step’s own outputs and downloads them; a step without outputs says so', async () => {
    await openRun(firstRun);
    await section().getByRole('button', { name: 'extract', exact: true }).click();
    const panel = page.getByRole('complementary');
    await panel.getByRole('heading', { name: /Step extract/ }).waitFor();
    const rows = panel.locator('table.artifact-list tbody tr');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.locator('th .mono').textContent()).toBe('orders.csv');
    expect(await rows.locator('.digest code').getAttribute('title')).toBe(`SHA-256 ${sha(Buffer.from(orders))}`);
    expect(await rows.locator('td').first().textContent()).toBe('31.6 KiB');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      rows.getByRole('button', { name: 'Download orders.csv' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('orders.csv');
    expect(readFileSync(await download.path(), 'utf8')).toBe(orders);
    await expectAccessible(page, 'run page, step panel with artifacts');
    await screenshot(page, 'run-step-artifacts');

    await page.goto(`${ui.url}/runs/${firstRun}?step=check`);
    await panel.getByRole('heading', { name: /Step check/ }).waitFor();
    await panel.getByText('None written').waitFor();
    expect(await panel.locator('table.artifact-list').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('a run served from the step cache names the run its artifacts came from', async () => {
    const second = await ui.startRun('ui-artifacts');
    expect(await ui.waitForStatus(second, ['succeeded', 'failed'])).toBe('succeeded');
    const items = await artifactsOf(second);
    expect(items.filter((a) => a.cachedFrom !== null).map((a) => a.name)).toEqual(expect.arrayContaining(['orders.csv', 'model.bin']));
    await openRun(second);
    await expect.poll(() => section().locator('tbody tr').count()).toBe(3);
    await section().getByRole('columnheader', { name: 'Cached from' }).waitFor();
    const link = row('model.bin').getByRole('link', { name: `run ${firstRun.slice(0, 8)}` });
    expect(await link.getAttribute('href')).toBe(`/runs/${firstRun}?step=train`);
    expect(await row('notes.txt').locator('td').nth(6).textContent()).toBe('—');
    // The same bytes, from the source's object.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row('model.bin').getByRole('button', { name: 'Download model.bin' }).click(),
    ]);
    expect(readFileSync(await download.path()).equals(model)).toBe(true);
    await expectAccessible(page, 'run page, cached artifacts');
    expect(problems).toEqual([]);
  });

  it('an artifact whose object is gone from the store: the download fails in its row, saying why', async () => {
    const notesArtifact = (await artifactsOf(firstRun)).find((a) => a.name === 'notes.txt')!;
    const files = readdirSync(artifactDir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    // The second run wrote the same bytes as its own object: both go.
    const objects = files.filter((f) => sha(readFileSync(path.join(f.parentPath, f.name))) === notesArtifact.sha256);
    expect(objects.length).toBeGreaterThan(0);
    for (const f of objects) unlinkSync(path.join(f.parentPath, f.name));

    await openRun(firstRun);
    const r = row('notes.txt');
    await r.getByRole('button', { name: 'Download notes.txt' }).click();
    await expect.poll(() => r.getByRole('status').textContent()).toMatch(/Download failed: unavailable: /);
    expect(await r.locator('.artifact-download .error-text').count()).toBe(1);
    // The button is back for another try.
    expect(await r.getByRole('button', { name: 'Download notes.txt' }).isEnabled()).toBe(true);
    // The browser logs the failed response itself; nothing else went wrong.
    expect(problems.filter((p) => !/status of 503/.test(p))).toEqual([]);
    problems.length = 0;
  });

  it('over the browser limit the row shows the CLI command instead, and that command downloads it', async () => {
    const id = await ui.startRun('ui-artifacts-big');
    expect(await ui.waitForStatus(id, ['succeeded', 'failed'], 120_000)).toBe('succeeded');
    const [dump] = await artifactsOf(id);
    expect(dump).toMatchObject({ name: 'dump.bin', size: DUMP_SIZE, sha256: dumpSha });
    await openRun(id);
    const r = row('dump.bin');
    await r.waitFor();
    expect(await r.locator('td').nth(2).textContent()).toBe('100 MiB');
    expect(await r.getByRole('button', { name: 'Download dump.bin' }).count()).toBe(0);
    const command = await r.locator('code.command').textContent();
    expect(command).toBe(`openclaw artifact get ${dump!.id} -o dump.bin --url ${ui.url}`);
    expect(await r.locator('.artifact-cli').textContent()).toContain('Over 100 MiB: the page would hold all of it in memory');
    await r.getByRole('button', { name: 'Copy the command that downloads dump.bin' }).click();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(command);
    await expectAccessible(page, 'run page, an artifact over the browser limit');
    await section().scrollIntoViewIfNeeded();
    await screenshot(page, 'run-artifact-cli');

    // The command as shown, with the key in the environment, never in the command.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'openclaw-ui-cli-'));
    try {
      const [, ...args] = command!.split(' ');
      const res = await runCli(args, { cwd: dir, env: { OPENCLAW_API_KEY: ui.key }, timeoutMs: 120_000 });
      expect(res.code, res.stderr).toBe(0);
      const got = readFileSync(path.join(dir, 'dump.bin'));
      expect(got.length).toBe(DUMP_SIZE);
      expect(sha(got)).toBe(dumpSha);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(problems).toEqual([]);
  });
});
