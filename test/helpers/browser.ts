/**
 * Browser tests: playwright-core driving Debian's Chromium (chromium.ts: `apt-get install chromium`;
 * no browser download), against a real `openclaw dev` (test/helpers/cli.ts). No mock server.
 *
 * Without Chromium the suites declared with describeBrowser are skipped with one line saying why;
 * OPENCLAW_REQUIRE_BROWSER=1 (CI: .ci/run installs Chromium and sets it) makes that a failure,
 * like OPENCLAW_REQUIRE_DOCKER for the container tests. OPENCLAW_CHROMIUM names another binary.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, INSTALL_CHROMIUM } from './chromium.js';
import { ROOT } from './cli.js';

export { CHROMIUM, launchBrowser } from './chromium.js';
export const SCREENSHOTS = path.join(ROOT, 'test-results/ui');

/** `describe` when Chromium is there; else skipped with a note, or failing under OPENCLAW_REQUIRE_BROWSER=1. */
export function describeBrowser(name: string, fn: () => void): void {
  if (existsSync(CHROMIUM)) {
    describe(name, fn);
    return;
  }
  const reason = `browser tests: no Chromium at ${CHROMIUM}; ${INSTALL_CHROMIUM}`;
  if (process.env.OPENCLAW_REQUIRE_BROWSER === '1') {
    describe(name, () => {
      it('needs Chromium (OPENCLAW_REQUIRE_BROWSER=1)', () => {
        throw new Error(reason);
      });
    });
    return;
  }
  console.warn(`${reason} (skipped; OPENCLAW_REQUIRE_BROWSER=1 makes this an error)`);
  describe.skip(name, fn);
}

/**
 * Collects what a page complains about: uncaught errors, console errors and CSP violations. A test
 * ends with `expect(problems).toEqual([])`.
 */
export function watchPage(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // A 401 on purpose (a wrong key) logs a failed resource load; everything else is a problem.
    if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  return problems;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: unknown[];
}

/**
 * Runs axe-core in the page (evaluated over the DevTools protocol, so the page's CSP stays on) and
 * fails on serious or critical violations, naming each rule and its first elements.
 */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  await page.evaluate(axeSource);
  // A string, evaluated in the page (the test's TypeScript has no DOM types).
  const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) =>
    r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target) })))`)) as AxeViolation[];
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad, `${what}: ${JSON.stringify(bad, null, 2)}`).toEqual([]);
}

/** Writes test-results/ui/<name>.png (the docs take theirs from there). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });
}
