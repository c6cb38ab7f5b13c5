import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = join(ROOT, 'test/artifacts');

/** Builds web/assets (fast, and a no-op when nothing changed), so the pages never run stale scripts. */
export function buildWeb(): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts/build-web.mjs')], { cwd: ROOT, stdio: 'pipe' });
}

/** The machine's Chromium, headless; never a downloaded browser. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** A fresh browser context and page; `bypassCSP` lets a test inject scripts such as axe-core. */
export async function newPage(
  browser: Browser,
  viewport: { width: number; height: number } = DESKTOP,
  options: { bypassCSP?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({
    viewport,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    deviceScaleFactor: 1,
    hasTouch: viewport.width < 500,
    isMobile: viewport.width < 500,
    ...options,
  });
  const page = await context.newPage();
  // Script errors fail the tests that look at them.
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  return { context, page, errors };
}

/**
 * Saves test/artifacts/web-<name>.png (the whole page). With WEB_SHOT_PARTS=1 the page is
 * also saved in screen-high parts (web-<name>.<i>.png), for looking at it closely.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `web-${name}.png`), fullPage: true, animations: 'disabled' });
  if (!process.env.WEB_SHOT_PARTS) return;
  const { width, height } = page.viewportSize()!;
  const total = await page.evaluate(() => document.documentElement.scrollHeight);
  for (let i = 0, y = 0; y < total && i < 12; i++, y += height) {
    await page.screenshot({
      path: join(ARTIFACTS, `web-${name}.${i}.png`),
      fullPage: true,
      clip: { x: 0, y, width, height: Math.min(height, total - y) },
      animations: 'disabled',
    });
  }
}

const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

export { addDays };

/** WCAG relative luminance contrast of two CSS `rgb()`/`rgba()` colours (alpha ignored). */
export function contrastRatio(a: string, b: string): number {
  const luminance = (css: string) => {
    const [r, g, bl] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** The text and background colours of an element, as computed. */
export async function colours(page: Page, selector: string): Promise<{ color: string; background: string }> {
  return page
    .locator(selector)
    .first()
    .evaluate((el) => {
      const style = getComputedStyle(el);
      return { color: style.color, background: style.backgroundColor };
    });
}

/**
 * How a table's cell (or a piece of text in it) fits a narrow screen: `oneLine` when its box is
 * about one line high (not broken over lines); `wrapScrolls` when the table's scroll wrapper
 * scrolls sideways; `pageOverflow`, how far the page itself is wider than the window (0 or less
 * when it is not).
 */
export async function tableFit(
  text: Locator,
): Promise<{ oneLine: boolean; wrapScrolls: boolean; pageOverflow: number }> {
  return text.evaluate((el) => {
    const wrap = el.closest('.table-wrap');
    const lineHeight = Number.parseFloat(getComputedStyle(el).lineHeight);
    return {
      oneLine: el.getBoundingClientRect().height < 1.5 * lineHeight,
      wrapScrolls: !!wrap && wrap.scrollWidth > wrap.clientWidth,
      // Not innerWidth: a phone's layout viewport widens to a page too wide for it.
      pageOverflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    };
  });
}
