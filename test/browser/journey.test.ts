/**
 * The three roles' day, end to end in headless Chromium against the local server and
 * DynamoDB Local, every step through the console's screens after signing in through the
 * local sign-in, except one (below):
 *  1. finance creates a fee item with an exemption and revises its price from tomorrow
 *     (the finance screens: item form, revision form, timeline);
 *  2. a collector issues a receipt for it with the exemption (the cashier), opens its PDF to
 *     print, issues another and reverses it (the receipts tab: reason, confirmation);
 *  3. a charge the catalogue refuses raises an alert. This one step goes through the API: the
 *     cashier never sends a charge its live check refused (the issue button stays disabled),
 *     so the refused charge is what another client of POST /v1/receipts would send;
 *  4. the auditor sees both receipts in the dashboard's totals and the red receipt in the red
 *     share, finds the receipt by payer, exports the CSV, and acknowledges the alert.
 * Screenshots: test/artifacts/web-console-journey-*.png.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dateInZone } from '../../lambdas/core/dates.js';
import { issue, registrationCharge } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';
import { expectAccessible, signedInPage } from './console-support.js';
import { addDays, buildWeb, launchBrowser, screenshot } from './support.js';

const today = dateInZone(new Date());
const tomorrow = addDays(today, 1);
const ITEM = 'ZRZY-J01';
const PAYER = '旅程缴款人';

let svc: TestService;
let browser: Browser;
const contexts: BrowserContext[] = [];
let issued: { code: string; number: string };
let reversed: { code: string; number: string };

beforeAll(async () => {
  buildWeb();
  [svc, browser] = await Promise.all([startTestService(), launchBrowser()]);
});
afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()));
  await browser?.close();
  await svc?.stop();
});

const ref = (r: { code: string; number: string }) => `${r.code}/${r.number}`;

async function fillItem(page: Page) {
  await page.locator('#item-code').fill(ITEM);
  await page.locator('#item-name').fill('旅程测试收费');
  await page.locator('#item-department').fill('ZRZY');
  await page.locator('#item-unit').fill('件');
  await page.locator('#item-amount').fill('40.00');
  await page.locator('#item-basis-0-title').fill('关于旅程测试收费的通知');
  await page.locator('#item-basis-0-number').fill('测价〔2026〕1号');
  await page.locator('#item-basis-0-issuer').fill('某市财政局');
  await page.locator('#item-basis-0-date').fill('2026-01-05');
  await page.getByRole('button', { name: /添加减免/ }).click();
  await page.locator('#item-exemption-0-who').fill('低保户');
  await page.locator('#item-exemption-0-kind').selectOption('percent');
  await page.locator('#item-exemption-0-value').fill('50');
}

/** Issues the cashier's current form and returns the receipt shown. */
async function issueOnScreen(page: Page) {
  await page.locator('[data-testid="check"][data-state="ok"]').waitFor();
  await page.getByTestId('issue').click();
  await page.getByTestId('issued').waitFor();
  return {
    code: (await page.getByTestId('receipt-code').textContent())!,
    number: (await page.getByTestId('receipt-number').textContent())!,
  };
}

describe('a day of the finance bureau, a collecting department and the auditors', () => {
  it('finance creates an item with an exemption and revises its price from tomorrow', async () => {
    const { page, errors } = await signedInPage(browser, svc.url, 'finance', contexts);
    await page.getByTestId('new-item').click();
    await page.getByTestId('item-form').waitFor();
    await fillItem(page);
    await page.getByTestId('item-submit').click();
    await page.getByTestId('item-page').waitFor();

    await page.getByTestId('revise-item').click();
    await page.getByTestId('item-form').waitFor();
    await page.locator('#item-amount').fill('50.00');
    await page.locator('#item-effective-from').fill(tomorrow);
    await page.locator('#item-reason').fill('成本调查后调整标准');
    await page.getByTestId('item-submit').click();
    await page.locator('[data-testid="timeline-entry"][data-version="2"]').waitFor();
    await screenshot(page, 'console-journey-finance-item');

    const on = async (date: string) =>
      (await svc.api('GET', `/v1/catalogue?asOf=${date}&department=ZRZY`)).body.items.find(
        (i: { code: string }) => i.code === ITEM,
      );
    expect((await on(today)).standard.amount).toBe('40.00');
    expect((await on(tomorrow)).standard.amount).toBe('50.00');
    expect((await on(today)).exemptions).toEqual([{ who: '低保户', kind: 'percent', percent: 50 }]);
    expect(errors).toEqual([]);
  });

  it('a collector issues a receipt for it with the exemption, prints it, and reverses another', async () => {
    const { page, errors } = await signedInPage(browser, svc.url, 'collector-zrzy', contexts);
    await page.getByTestId('cashier').waitFor();
    await page.locator('#item-search').fill(ITEM);
    await page.locator(`[data-testid="search-result"][data-code="${ITEM}"]`).click();
    await page.locator('#exemption-0').selectOption('低保户');
    await page.locator('#payer-name').fill(PAYER);
    await page.locator('[data-testid="check"][data-state="ok"]').waitFor();
    await expect.poll(() => page.getByTestId('total').textContent()).toContain('20.00');
    issued = await issueOnScreen(page);
    // Print: the PDF opens in a tab of its own.
    const pdf = page.getByTestId('pdf-link');
    await pdf.waitFor();
    const [tab] = await Promise.all([page.context().waitForEvent('page'), pdf.click()]);
    expect(tab.url()).toMatch(/^blob:/);
    await tab.close();
    await screenshot(page, 'console-journey-issued');

    // Another charge, which the payer then asks to have refunded.
    await page.getByTestId('next-charge').click();
    await page.locator('#item-search').fill('ZRZY-001');
    await page.locator('[data-testid="search-result"][data-code="ZRZY-001"]').click();
    await page.locator('#payer-name').fill('旅程退费人');
    reversed = await issueOnScreen(page);

    await page.getByTestId('tab-receipts').click();
    await page.getByRole('link', { name: ref(reversed) }).click();
    await page.getByTestId('reverse-start').click();
    await page.locator('#reversal-reason').fill('缴款人申请退费');
    await page.getByTestId('reverse-next').click();
    await page.getByTestId('reverse-confirm').click();
    await page.getByTestId('red-link').waitFor();
    await screenshot(page, 'console-journey-reversed');

    const collector = await svc.token({ role: 'collector', department: 'ZRZY' });
    const receipt = await svc.api('GET', `/v1/receipts/${ref(issued)}`, { token: collector });
    expect(receipt.body).toMatchObject({ total: '20.00', status: 'issued', payer: { name: PAYER } });
    expect(receipt.body.lines).toMatchObject([{ itemCode: ITEM, exemption: '低保户', amount: '20.00' }]);
    expect((await svc.api('GET', `/v1/receipts/${ref(reversed)}`, { token: collector })).body.status).toBe(
      'reversed',
    );
    expect(errors).toEqual([]);
  });

  it('a charge the catalogue refuses raises an alert (sent through the API)', async () => {
    const collector = await svc.token({ role: 'collector', department: 'ZRZY', username: 'collector-zrzy' });
    const refused = await issue(
      svc,
      collector,
      registrationCharge({ lines: [{ itemCode: ITEM, quantity: 1, amount: '35.00' }] }),
    );
    expect(refused.status).toBe(422);
  });

  it('the auditor sees both in the totals and the red share, finds the receipt, exports it, acknowledges the alert', async () => {
    const { page, errors } = await signedInPage(browser, svc.url, 'auditor', contexts);
    const row = (col: string) =>
      page.locator(`[data-testid="by-department"] tr[data-group="ZRZY"] [data-col="${col}"]`).textContent();
    await page.getByTestId('by-department').waitFor();
    // 20.00 (the exemption) + 80.00 issued, the 80.00 red one reversed: 1 red of 2.
    expect(await row('issuedCount')).toBe('2');
    expect(await row('issuedAmount')).toBe('100.00');
    expect(await row('reversedCount')).toBe('1');
    expect(await row('reversedAmount')).toBe('80.00');
    expect(await row('netAmount')).toBe('20.00');
    expect(await row('redShare')).toBe('50%');
    expect(await page.getByTestId('total-redShare').textContent()).toBe('50%');
    await page.locator('[data-testid="chart-red-share"] svg').waitFor();
    await screenshot(page, 'console-journey-dashboard');

    await page.getByTestId('tab-receipts').click();
    await page.locator('#q-payer-name').fill(PAYER);
    await page.getByTestId('search').click();
    await expect.poll(() => page.locator('[data-testid="result-row"]').count()).toBe(1);
    expect(await page.locator('[data-testid="result-row"] a').textContent()).toBe(ref(issued));
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
    const rows = parse(readFileSync((await download.path())!, 'utf8').replace(/^\uFEFF/, ''), {
      columns: true,
    }) as Record<string, string>[];
    expect(rows.map((r) => [r.number, r.payer_name, r.item_code, r.exemption, r.line_amount])).toEqual([
      [issued.number, PAYER, ITEM, '低保户', '20.00'],
    ]);
    await screenshot(page, 'console-journey-search');

    await page.getByTestId('tab-alerts').click();
    await page.locator('#alert-type').selectOption('charge_refused');
    await page.getByTestId('alert-filter').click();
    const alert = page.locator('[data-testid="alert"][data-rule="charge_refused"]');
    await expect.poll(() => alert.count()).toBe(1);
    await alert.getByTestId('alert-note').fill('窗口按旧标准收费，已纠正');
    await alert.getByTestId('alert-acknowledge').click();
    await expect.poll(() => alert.getAttribute('data-state')).toBe('acknowledged');
    await screenshot(page, 'console-journey-alert');
    await expectAccessible(page, 'journey alerts');
    const auditor = await svc.token({ role: 'auditor' });
    const events = await svc.api('GET', '/v1/audit/events?type=alert.state', { token: auditor });
    expect(events.body.items).toMatchObject([
      { actor: 'auditor', details: { to: 'acknowledged', note: '窗口按旧标准收费，已纠正' } },
    ]);
    expect(errors).toEqual([]);
  });
});
