/**
 * The auditors' console screens in headless Chromium against the local server and DynamoDB
 * Local: the dashboard (numbers of /v1/audit/stats, charts drawn by the lazily loaded ECharts
 * chunk, a date range), the alert feed (filters, links to what an alert names, acknowledge
 * with a note, recorded as an event), receipt search (payer unmasked, cursor pages, the CSV
 * export of the same query), range reconciliation and the change history. The console's first
 * load stays under 350 KB of JavaScript gzipped and carries no chart code. axe-core finds no
 * serious or critical violation. Screenshots: test/artifacts/web-console-auditor-*.png.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dateInZone } from '../../lambdas/core/dates.js';
import { gaCharge, issue, newKey, registrationCharge } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';
import { expectAccessible, signedInPage } from './console-support.js';
import { buildWeb, launchBrowser, newPage, PHONE, screenshot, tableFit } from './support.js';

let svc: TestService;
let browser: Browser;
const contexts: BrowserContext[] = [];
let auditor: string;
const today = dateInZone(new Date());
const PAYER = { type: 'person', name: '审计查询甲', idNumber: '11010519491231002X' };
// biome-ignore lint/suspicious/noExplicitAny: API answers
let found: any;

beforeAll(async () => {
  buildWeb();
  [svc, browser] = await Promise.all([startTestService(), launchBrowser()]);
  auditor = await svc.token({ role: 'auditor' });
  const zrzy = await svc.token({ role: 'collector', department: 'ZRZY' });
  const ga = await svc.token({ role: 'collector', department: 'GA' });
  found = (await issue(svc, zrzy, registrationCharge({ payer: PAYER }))).body;
  const reversed = (await issue(svc, zrzy, registrationCharge())).body;
  const red = await svc.api('POST', `/v1/receipts/${reversed.code}/${reversed.number}/reversal`, {
    token: zrzy,
    json: { reason: '退费' },
    headers: { 'idempotency-key': newKey() },
  });
  expect(red.status).toBe(201);
  // More GA receipts than one page of the search holds.
  for (let batch = 0; batch < 6; batch++)
    await Promise.all(
      Array.from({ length: 9 }, async (_, i) =>
        expect((await issue(svc, ga, gaCharge(`翻页-${batch}-${i}`))).status).toBe(201),
      ),
    );
  const refused = await issue(
    svc,
    zrzy,
    registrationCharge({ lines: [{ itemCode: 'ZRZY-001', quantity: 1, amount: '99.00' }] }),
  );
  expect(refused.status).toBe(422);
  const finance = await svc.token({ role: 'finance' });
  const { code: _c, ...fields } = (await svc.api('GET', '/v1/catalogue/ZRZY-003')).body;
  const revised = await svc.api('PUT', '/v1/catalogue/items/ZRZY-003', {
    token: finance,
    json: {
      name: fields.name,
      department: fields.department,
      unit: fields.unit,
      standard: { type: 'fixed', amount: '12.00' },
      basis: fields.basis,
      fundManagement: fields.fundManagement,
      validFrom: fields.validFrom,
      validTo: fields.validTo,
      exemptions: fields.exemptions,
      effectiveFrom: dateInZone(new Date(Date.now() + 30 * 86_400_000)),
      reason: '成本调查后调整',
    },
  });
  expect(revised.status, JSON.stringify(revised.body)).toBe(200);
});
afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()));
  await browser?.close();
  await svc?.stop();
});

const cell = (page: Page, table: string, group: string, col: string) =>
  page.locator(`[data-testid="${table}"] tr[data-group="${group}"] [data-col="${col}"]`).textContent();

const openTab = async (page: Page, tab: string) => {
  await page.getByTestId(`tab-${tab}`).click();
  await page.getByTestId(tab === 'receipts' ? 'receipt-search' : tab).waitFor();
};

describe('the auditors console', () => {
  it('shows the dashboard from the running totals, with charts, for a date range', async () => {
    const { page, errors } = await signedInPage(browser, svc.url, 'auditor', contexts);
    await page.getByTestId('by-department').waitFor();
    const stats = await svc.api('GET', `/v1/audit/stats?from=${today.slice(0, 4)}-01-01&to=${today}`, {
      token: auditor,
    });
    const zrzy = stats.body.groups.find((g: { group: string }) => g.group === 'ZRZY');
    expect(zrzy).toMatchObject({ issuedCount: 2, reversedCount: 1, issuedAmount: '160.00' });
    expect(await cell(page, 'by-department', 'ZRZY', 'issuedCount')).toBe('2');
    expect(await cell(page, 'by-department', 'ZRZY', 'netAmount')).toBe('80.00');
    expect(await cell(page, 'by-department', 'ZRZY', 'redShare')).toBe('50%');
    expect(await cell(page, 'by-department', 'GA', 'issuedCount')).toBe('54');
    expect(await page.getByTestId('total-issuedCount').textContent()).toBe('56');
    // Every chart is drawn (SVG) by the chart chunk.
    for (const chart of ['chart-department', 'chart-red-share', 'chart-month', 'chart-items'])
      await page.locator(`[data-testid="${chart}"] svg`).waitFor();
    await screenshot(page, 'console-auditor-dashboard');
    await expectAccessible(page, 'dashboard');

    // A range without receipts.
    await page.locator('#stats-from').fill('2020-01-01');
    await page.locator('#stats-to').fill('2020-01-31');
    await page.getByTestId('stats-apply').click();
    await expect.poll(() => page.getByTestId('total-issuedCount').textContent()).toBe('0');
    expect(errors).toEqual([]);
  });

  it('keeps the chart code out of the first load, which stays under 350 KB gzipped', async () => {
    const { context, page } = await newPage(browser);
    contexts.push(context);
    const scripts: string[] = [];
    page.on('response', (r) => {
      if (r.request().resourceType() === 'script') scripts.push(new URL(r.url()).pathname);
    });
    await page.goto(`${svc.url}/console`);
    await page.waitForURL(/\/oauth2\/authorize\?/);
    await page.getByTestId('user-collector-zrzy').click();
    await page.getByTestId('cashier').waitFor();
    await page.waitForLoadState('networkidle');
    expect(scripts.some((s) => s.endsWith('/assets/console.js'))).toBe(true);
    expect(scripts.filter((s) => s.includes('console-charts'))).toEqual([]);
    const bytes = scripts
      .filter((s) => s.startsWith('/assets/'))
      .reduce((n, s) => n + gzipSync(readFileSync(`web${s}`)).length, 0);
    expect(bytes).toBeLessThan(350 * 1024);
  });

  it('filters the alerts, links to what they name, and acknowledges one with a note', async () => {
    const { page, errors } = await signedInPage(browser, svc.url, 'auditor', contexts);
    await openTab(page, 'alerts');
    await page.locator('#alert-type').selectOption('charge_refused');
    await page.locator('#alert-department').fill('ZRZY');
    await page.locator('#alert-state-filter').selectOption('open');
    await page.getByTestId('alert-filter').click();
    const alert = page.locator('[data-testid="alert"][data-rule="charge_refused"]');
    await expect.poll(() => alert.count()).toBe(1);
    await screenshot(page, 'console-auditor-alerts');
    await expectAccessible(page, 'alerts');

    // The refused charge's event, marked in the history.
    const subject = (await alert.getByTestId('alert-subject').textContent())!;
    await alert.getByTestId('alert-subject').click();
    await page.locator(`[data-testid="event"].highlight`).waitFor();
    expect(await page.locator('[data-testid="event"].highlight').getAttribute('data-type')).toBe(
      'charge.refused',
    );
    expect(await page.locator('[data-testid="event"].highlight').getAttribute('id')).toBe(`event-${subject}`);

    await openTab(page, 'alerts');
    await page.locator('#alert-type').selectOption('charge_refused');
    await page.getByTestId('alert-filter').click();
    await alert.first().waitFor();
    // A note is required.
    await alert.getByTestId('alert-acknowledge').click();
    await alert.getByRole('alert').waitFor();
    await alert.getByTestId('alert-note').fill('已联系窗口核实金额');
    await alert.getByTestId('alert-acknowledge').click();
    await expect.poll(() => alert.getAttribute('data-state')).toBe('acknowledged');
    const events = await svc.api('GET', '/v1/audit/events?type=alert.state', { token: auditor });
    expect(events.body.items[0]).toMatchObject({
      actor: 'auditor',
      details: { from: 'open', to: 'acknowledged', note: '已联系窗口核实金额', rule: 'charge_refused' },
    });
    expect(errors).toEqual([]);
  });

  it('finds a receipt by payer, pages by cursor, and exports the same query as CSV', async () => {
    const { page, errors } = await signedInPage(browser, svc.url, 'auditor', contexts);
    await openTab(page, 'receipts');
    // The payer fields say, where they are, that the match is exact.
    for (const id of ['q-payer-name', 'q-payer-id']) {
      const hint = page.locator(`#${id}-hint`);
      expect(await page.locator(`#${id}`).getAttribute('aria-describedby')).toBe(`${id}-hint`);
      expect(await hint.textContent()).toMatch(/完全一致.*Exact match/);
    }
    // Part of a name finds nothing, and the screen says why.
    await page.locator('#q-payer-name').fill(PAYER.name.slice(0, 2));
    await page.getByTestId('search').click();
    await page.getByTestId('payer-exact').waitFor();
    expect(await page.locator('[data-testid="result-row"]').count()).toBe(0);
    expect(await page.getByTestId('payer-exact').textContent()).toContain('must match exactly');
    // Blanks are no payer (the query leaves them out): nothing found says nothing of payers.
    await page.locator('#q-payer-name').fill('  ');
    await page.locator('#q-from').fill('2001-01-01');
    await page.locator('#q-to').fill('2001-01-01');
    await page.getByTestId('search').click();
    await expect.poll(() => page.getByTestId('result-count').textContent()).toContain('0 receipt(s)');
    expect(await page.getByTestId('payer-exact').count()).toBe(0);
    await page.locator('#q-from').fill('');
    await page.locator('#q-to').fill('');
    await page.locator('#q-payer-name').fill(PAYER.name);
    await page.getByTestId('search').click();
    await expect.poll(() => page.locator('[data-testid="result-row"]').count()).toBe(1);
    expect(await page.getByTestId('payer-exact').count()).toBe(0);
    expect(await page.locator('[data-testid="result-row"]').textContent()).toContain(PAYER.idNumber);
    await screenshot(page, 'console-auditor-receipts');
    await expectAccessible(page, 'receipt search');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    const rows = parse(csv.replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.number, r.payer_name, r.payer_id_number])).toEqual([
      [found.number, PAYER.name, PAYER.idNumber],
    ]);
    // Where the export is offered, the screen says the file's times are UTC, as they are; the
    // row shows the same instant 8 hours on (UTC+8).
    const note = (await page.getByTestId('export-time-note').textContent())!;
    expect(note).toContain('issued_at）为 UTC（ISO 8601，带 Z）');
    expect(note).toContain('(issued_at) are UTC (ISO 8601 with Z)');
    expect(rows[0]!.issued_at).toBe(found.issuedAt);
    expect(rows[0]!.issued_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const shown = new Date(Date.parse(found.issuedAt) + 8 * 3600_000).toISOString();
    expect(await page.locator('[data-testid="result-row"] time').textContent()).toBe(
      `${shown.slice(0, 10)} ${shown.slice(11, 16)}`,
    );

    // The receipt itself, payer unmasked.
    await page.getByRole('link', { name: `${found.code}/${found.number}` }).click();
    await page.getByTestId('audited-receipt').waitFor();
    await expect.poll(() => page.getByTestId('receipt-payer').textContent()).toContain(PAYER.idNumber);
    await screenshot(page, 'console-auditor-receipt');
    await expectAccessible(page, 'audited receipt');

    // Back to the search: the same query and result.
    await page
      .getByRole('link', { name: /票据查询/ })
      .first()
      .click();
    await expect.poll(() => page.locator('[data-testid="result-row"]').count()).toBe(1);
    expect(await page.locator('#q-payer-name').inputValue()).toBe(PAYER.name);

    // 54 GA receipts: two pages of 50, back and forth.
    await page.locator('#q-payer-name').fill('');
    await page.locator('#q-department').fill('GA');
    await page.getByTestId('search').click();
    await expect.poll(() => page.locator('[data-testid="result-row"]').count()).toBe(50);
    const first = await page.locator('[data-testid="result-row"]').first().textContent();
    await page.getByTestId('next-page').click();
    await expect.poll(() => page.locator('[data-testid="result-row"]').count()).toBe(4);
    expect(await page.getByTestId('next-page').isDisabled()).toBe(true);
    await page.getByRole('button', { name: /上一页/ }).click();
    await expect.poll(() => page.locator('[data-testid="result-row"]').first().textContent()).toBe(first);
    expect(errors).toEqual([]);
  });

  it('shows the range reconciliation and the change history', async () => {
    const { page, errors } = await signedInPage(browser, svc.url, 'auditor', contexts);
    await openTab(page, 'ranges');
    await page.locator('[data-testid="range-row"]').first().waitFor();
    const zrzy = page.locator('[data-testid="range-row"]', { hasText: 'ZRZY' });
    // 2 blue + 1 red issued from ZRZY's range.
    expect(await zrzy.locator('td').nth(5).textContent()).toBe('2');
    expect(await zrzy.locator('td').nth(6).textContent()).toBe('1');
    await screenshot(page, 'console-auditor-ranges');
    await expectAccessible(page, 'ranges');

    await openTab(page, 'history');
    const revised = page.locator('[data-testid="event"][data-type="catalogue.revised"]');
    await revised.waitFor();
    expect(await revised.locator('.changes').textContent()).toContain('10.00 元 → 12.00 元');
    expect(await page.locator('[data-testid="event"][data-type="audit.read"]').count()).toBe(0);
    await screenshot(page, 'console-auditor-history');
    await expectAccessible(page, 'history');
    expect(errors).toEqual([]);
  });

  it('wraps a long payer name in its column rather than widening the table past the screen', async () => {
    const zrzy = await svc.token({ role: 'collector', department: 'ZRZY' });
    // A unit's name of 96 characters with no punctuation to break at.
    const name = '北京市海淀区中关村科技发展有限公司'.repeat(6).slice(0, 96);
    const issued = await issue(svc, zrzy, registrationCharge({ payer: { type: 'unit', name } }));
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    const { page, errors } = await signedInPage(browser, svc.url, 'auditor', contexts);
    await openTab(page, 'receipts');
    await page.locator('#q-payer-name').fill(name);
    await page.getByTestId('search').click();
    const cell = page.locator('[data-testid="result-row"] td.text').first();
    await cell.waitFor();
    expect(await cell.textContent()).toBe(name);
    expect(await tableFit(cell)).toEqual({ oneLine: false, wrapScrolls: false, pageOverflow: 0 });
    await screenshot(page, 'console-auditor-long-payer-name');
    expect(errors).toEqual([]);
  });

  it('fits a phone: tables scroll sideways in a named, focusable wrapper, codes kept whole', async () => {
    const { page, errors } = await signedInPage(browser, svc.url, 'auditor', contexts, PHONE);
    const failed: string[] = [];
    page.on(
      'response',
      (r) => r.status() >= 400 && failed.push(`${r.status()} ${new URL(r.url()).pathname}`),
    );
    await page.getByTestId('by-department').waitFor();
    // The wrapper is a region named by its table's caption, and takes the keyboard.
    const wrap = page.getByRole('region', { name: '单位 Department' });
    expect(await wrap.getAttribute('tabindex')).toBe('0');
    await screenshot(page, 'console-auditor-dashboard-phone');
    await expectAccessible(page, 'dashboard on a phone');

    await openTab(page, 'receipts');
    await page.locator('#q-payer-name').fill(PAYER.name);
    await page.getByTestId('search').click();
    const number = page.locator('[data-testid="result-row"] a.mono').first();
    await number.waitFor();
    expect(await tableFit(number)).toEqual({ oneLine: true, wrapScrolls: true, pageOverflow: 0 });
    expect((await tableFit(page.locator('[data-testid="result-row"] time').first())).oneLine).toBe(true);
    await screenshot(page, 'console-auditor-receipts-phone');
    await expectAccessible(page, 'receipt search on a phone');
    await openTab(page, 'ranges');
    await page.locator('[data-testid="range-row"]').first().waitFor();
    await expectAccessible(page, 'ranges on a phone');

    // A complaint about a department and a day names the department once, by its printed name.
    const filed = await svc.api('POST', '/v1/complaints', {
      json: { category: 'no_receipt', text: '缴费后未开具票据。', department: 'ZRZY', date: today },
    });
    expect(filed.status, JSON.stringify(filed.body)).toBe(201);
    await page.evaluate((id) => {
      location.hash = `#complaints/${id}`;
    }, filed.body.id);
    await expect
      .poll(() => page.getByTestId('complaint-subject').textContent(), { timeout: 5000 })
      .toBe(`某市自然资源和规划局 (ZRZY) · ${today}`);

    // The pages' icon is served (no 404 for /favicon.ico).
    const icon = (await page.locator('link[rel="icon"]').getAttribute('href'))!;
    const served = await page.request.get(new URL(icon, page.url()).href);
    expect(served.status()).toBe(200);
    expect(served.headers()['content-type']).toBe('image/svg+xml');
    expect(failed).toEqual([]);
    expect(errors).toEqual([]);
  });
});
