/**
 * The open-data page (stats.html) in headless Chromium against the local server and DynamoDB
 * Local: charts of the year by department and month, tables under the small-cell rule, the
 * CSV download (BOM, parses), no console code loaded, phone-ready, no serious or critical axe
 * violation. Screenshots: test/artifacts/web-stats-*.png.
 */
import { parse } from 'csv-parse/sync';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gaCharge, issue, registrationCharge } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';
import { expectAccessible } from './console-support.js';
import { buildWeb, launchBrowser, newPage, PHONE, screenshot } from './support.js';

let svc: TestService;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  buildWeb();
  [svc, browser] = await Promise.all([
    startTestService({ env: { FEEPROOF_SUPERVISION_PHONE: '12345' } }),
    launchBrowser(),
  ]);
  const zrzy = await svc.token({ role: 'collector', department: 'ZRZY' });
  const ga = await svc.token({ role: 'collector', department: 'GA' });
  for (let i = 0; i < 3; i++) expect((await issue(svc, zrzy, registrationCharge())).status).toBe(201);
  expect((await issue(svc, ga, gaCharge('公开数据测试'))).status).toBe(201);
});
afterAll(async () => {
  delete process.env.FEEPROOF_SUPERVISION_PHONE;
  await browser?.close();
  await svc?.stop();
});

async function open(viewport?: { width: number; height: number }) {
  const { context, page, errors } = await newPage(browser, viewport, { bypassCSP: true });
  contexts.push(context);
  const requested: string[] = [];
  page.on('request', (r) => requested.push(r.url()));
  await page.goto(`${svc.url}/stats.html`);
  await page.locator('[data-testid="stats"][data-state="ready"]').waitFor();
  return { page, errors, requested };
}

const row = (page: Page, table: string, group: string) =>
  page.locator(`[data-testid="table-${table}"] tr[data-group="${group}"]`);

describe('stats.html', () => {
  it('charts and tables the year, withholding small cells, with downloads that parse', async () => {
    const { page, errors, requested } = await open();
    expect(await row(page, 'department', 'ZRZY').textContent()).toContain('240.00');
    // One GA receipt: fewer than 3, no amount.
    const ga = await row(page, 'department', 'GA').textContent();
    expect(ga).toContain('每月少于3张');
    expect(ga).not.toContain('20.00');
    expect(await row(page, 'item', 'ZRZY-001').textContent()).toContain('不动产登记费');
    for (const id of ['chart-department', 'chart-month'])
      expect(await page.locator(`#${id} svg`).count(), id).toBe(1);
    expect(await page.getByTestId('summary').textContent()).toMatch(/数据更新于/);
    expect(await page.locator('#phone').textContent()).toContain('12345');

    const href = await page.getByTestId('download-department-csv').getAttribute('href');
    const csv = await page.evaluate(async (url) => {
      const res = await fetch(url!);
      return [...new Uint8Array(await res.arrayBuffer())];
    }, href);
    const bytes = Buffer.from(csv);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse(bytes.toString('utf8'), { bom: true, columns: true }) as Record<string, string>[];
    expect(rows.find((r) => r.group === 'ZRZY')).toMatchObject({ issued_count: '3', net_amount: '240.00' });
    expect(rows.find((r) => r.group === 'GA')).toMatchObject({ issued_amount: '', withheld_receipts: '1' });

    // A public page: none of the console's code.
    expect(requested.filter((u) => /console/.test(u))).toEqual([]);
    expect(errors).toEqual([]);
    await expectAccessible(page, 'stats');
    await screenshot(page, 'stats-desktop');
  });

  it('fits a phone and is linked from the home and catalogue pages', async () => {
    const { page, errors } = await open(PHONE);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await expectAccessible(page, 'stats on a phone');
    await screenshot(page, 'stats-phone');
    await page.goto(`${svc.url}/`);
    await page.getByTestId('link-stats').click();
    await page.waitForURL(/stats\.html$/);
    await page.goto(`${svc.url}/catalogue.html`);
    expect(await page.locator('a[href="stats.html"]').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('supervision').textContent()).toContain('12345');
    expect(errors).toEqual([]);
  });
});
