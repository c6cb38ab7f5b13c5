/**
 * The open-data page (stats.html) in headless Chromium against the local server and DynamoDB
 * Local: charts of the year by department and month, tables under the small-cell rule, the
 * CSV download (BOM, parses), no console code loaded, phone-ready, no serious or critical axe
 * violation. The charts' code is a chunk loaded after the tables: the first load is small, and
 * tables and downloads work without the chunk. Screenshots: test/artifacts/web-stats-*.png.
 */
import { readFileSync } from 'node:fs';
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

/** The chunk that holds the charts' code (scripts/build-web.mjs: `stats-[name]-[hash]`). */
const CHART_CHUNK = /\/assets\/stats-chart-[\w-]+\.js$/;

async function open(viewport?: { width: number; height: number }, options: { blockCharts?: boolean } = {}) {
  const { context, page, errors } = await newPage(browser, viewport, { bypassCSP: true });
  contexts.push(context);
  const requested: string[] = [];
  page.on('request', (r) => requested.push(r.url()));
  if (options.blockCharts) await page.route(CHART_CHUNK, (route) => route.abort());
  await page.goto(`${svc.url}/stats.html`);
  await page.locator('[data-testid="stats"][data-state="ready"]').waitFor();
  await page.locator('[data-testid="stats"][data-charts]').waitFor();
  return { page, errors, requested };
}

const row = (page: Page, table: string, group: string) =>
  page.locator(`[data-testid="table-${table}"] tr[data-group="${group}"]`);

describe('stats.html', () => {
  it('charts and tables the year, withholding small cells, with downloads that parse', async () => {
    const { page, errors, requested } = await open();
    expect(await page.getByTestId('stats').getAttribute('data-charts')).toBe('ready');
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

    // The figures can be recomputed from the transparency log: the command, with this site's
    // log and key filled in, and the log's checkpoint one click away.
    const keys = await svc.api('GET', '/v1/keys');
    await page.getByTestId('audit-command').filter({ hasText: keys.body.log.vkey }).waitFor();
    expect(await page.getByTestId('audit-command').textContent()).toBe(
      `feeproof log audit --url ${svc.url}/log --key '${keys.body.log.vkey}' --stats-url ${svc.url}`,
    );
    const checkpoint = await page.getByTestId('link-log-checkpoint').getAttribute('href');
    // Served once the log's first run (every 2 s) has integrated the receipts issued above.
    const checkpointUrl = new URL(checkpoint!, `${svc.url}/stats.html`);
    await expect.poll(async () => (await fetch(checkpointUrl)).status, { timeout: 10_000 }).toBe(200);

    // A public page: none of the console's code.
    expect(requested.filter((u) => /console/.test(u))).toEqual([]);
    expect(errors).toEqual([]);
    await expectAccessible(page, 'stats');
    await screenshot(page, 'stats-desktop');
  });

  it('loads the charts after a first load of a few KB of script, and works without them', async () => {
    const { page, errors, requested } = await open();
    const scripts = requested.map((u) => new URL(u).pathname).filter((p) => p.endsWith('.js'));
    const chart = scripts.findIndex((p) => CHART_CHUNK.test(p));
    expect(chart, scripts.join(' ')).toBeGreaterThan(0);
    const bytes = (paths: string[]) => paths.reduce((n, p) => n + readFileSync(`web${p}`).length, 0);
    const first = bytes(scripts.slice(0, chart));
    // Uncompressed: the page's own script (and esbuild's shared runtime chunk), not ECharts.
    expect(first).toBeLessThan(30 * 1024);
    expect(bytes([scripts[chart]!])).toBeGreaterThan(10 * first);
    expect(errors).toEqual([]);
    await page.close();

    // Without the chart chunk: the tables, the downloads and a word in place of each chart.
    const offline = await open(undefined, { blockCharts: true });
    expect(await offline.page.getByTestId('stats').getAttribute('data-charts')).toBe('error');
    expect(await row(offline.page, 'department', 'ZRZY').textContent()).toContain('240.00');
    expect(await offline.page.getByTestId('download-month-csv').getAttribute('href')).toContain('format=csv');
    for (const id of ['chart-department', 'chart-month'])
      expect(await offline.page.locator(`#${id}`).textContent()).toContain('数字见下表');
    expect(offline.errors).toEqual([]);
    await expectAccessible(offline.page, 'stats without charts');
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
