/**
 * Headless Chromium for the browser tests (browser.ts) and the UI benchmark (bench/scenarios/p9-ui-run-page.ts):
 * Debian's `chromium` (`apt-get install chromium`; no browser download) driven by playwright-core,
 * with the flags ../shared/design/machine.md gives for these machines. OPENCLAW_CHROMIUM names
 * another binary. No vitest here, so the bench can use it.
 */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.OPENCLAW_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const INSTALL_CHROMIUM = 'install it with `apt-get install -y chromium` (or set OPENCLAW_CHROMIUM to a Chromium binary)';

export async function launchBrowser(): Promise<Browser> {
  return await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, timeout: 60_000 });
}
