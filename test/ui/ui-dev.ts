/**
 * One `openclaw dev` per browser test file (the built CLI, its embedded PostgreSQL, the example
 * workflows), its admin key from the printed sign-in link, and small API helpers for setting up
 * runs. Everything the pages show comes from this real server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { expect } from 'vitest';
import { watchPage } from '../helpers/browser.js';
import { ROOT, startDev, stopDev, type DevProcess } from '../helpers/cli.js';
import { waitFor } from '../helpers/engine.js';

export interface UiDev {
  dev: DevProcess;
  url: string;
  /** The admin key, read from the sign-in link `openclaw dev` printed. */
  key: string;
  /** The printed sign-in link. */
  link: string;
  api<T = unknown>(method: string, p: string, body?: unknown, contentType?: string): Promise<T>;
  startRun(workflow: string, input?: unknown): Promise<string>;
  waitForStatus(runId: string, statuses: string[], timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

/** `env`: OPENCLAW_* settings for the server (e.g. single sign-on). */
export async function startUiDev(env: Record<string, string> = {}): Promise<UiDev> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'openclaw-ui-'));
  const dev = await startDev({ dataDir, cwd: ROOT, args: ['--no-skills'], env });
  const m = /^ {2}UI {8}(http:\/\/\S+\/#key=(\S+))$/m.exec(dev.output());
  expect(m, dev.output()).not.toBeNull();
  const key = m![2]!;
  const api = async <T>(method: string, p: string, body?: unknown, contentType = 'application/json'): Promise<T> => {
    const res = await fetch(`${dev.url}${p}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': contentType } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const status = async (id: string): Promise<string> => (await api<{ status: string }>('GET', `/v1/runs/${id}`)).status;
  return {
    dev,
    url: dev.url,
    key,
    link: m![1]!,
    api,
    startRun: async (workflow, input = {}) => (await api<{ id: string }>('POST', `/v1/workflows/${workflow}/runs`, { input })).id,
    waitForStatus: async (id, statuses, timeoutMs = 30_000) =>
      await waitFor(async () => {
        const s = await status(id);
        return statuses.includes(s) ? s : null;
      }, timeoutMs),
    stop: async () => {
      await stopDev(dev);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A page of `browser` signed in through the printed link, on the runs list, with the problems it
 * reports collected (watchPage). `options`: the page's own (downloads, permissions, ...).
 */
export async function signedInPage(
  browser: Browser,
  ui: UiDev,
  options: BrowserContextOptions = {},
): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, ...options });
  const problems = watchPage(page);
  await page.goto(ui.link);
  await page.getByRole('heading', { name: 'Runs' }).waitFor();
  return { page, problems };
}
