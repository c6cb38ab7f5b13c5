/**
 * What the console's browser tests share: a page signed in as a local user (through the local
 * sign-in page), and axe-core injected into the page. (console.test.ts signs in by the keyboard
 * alone, which is what it asserts, so it keeps its own sign-in.)
 */
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { DESKTOP, newPage } from './support.js';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** axe-core, injected into the page: no serious or critical violation. */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: axe is injected as a global
    const result = await (window as any).axe.run(document, { resultTypes: ['violations'] });
    return (result.violations as { id: string; impact: string; nodes: { target: string[] }[] }[]).map(
      (v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) }),
    );
  });
  const blocking = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(blocking, `axe on ${screen}`).toEqual([]);
}

/**
 * A fresh browser context (CSP bypassed so that axe can be injected) signed in as `username`
 * through the local sign-in page; `contexts` collects it for closing.
 */
export async function signedInPage(
  browser: Browser,
  url: string,
  username: string,
  contexts: BrowserContext[],
  viewport = DESKTOP,
): Promise<{ page: Page; errors: string[] }> {
  const { context, page, errors } = await newPage(browser, viewport, { bypassCSP: true });
  contexts.push(context);
  await page.goto(`${url}/console`);
  await signIn(page, username);
  return { page, errors };
}

/** From the local sign-in page back to the console as `username`. */
export async function signIn(page: Page, username: string): Promise<void> {
  await page.waitForURL(/\/oauth2\/authorize\?/);
  await page.getByTestId(`user-${username}`).click();
  await page.waitForURL(/\/console(#.*)?$/);
  await page.locator('.console-tabs').waitFor();
}
