/**
 * The collecting department's receipt screens in headless Chromium against the local server
 * and DynamoDB Local: the department's recent receipts (its own only), a receipt's page with
 * its PDF and its count of public checks, and the red reversal with a reason and a
 * confirmation step (one red receipt however often it is confirmed). axe-core finds no
 * serious or critical violation. Screenshots: test/artifacts/web-console-collector-*.png.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dateInZone, shiftDays } from '../../lambdas/core/dates.js';
import { gaCharge, issue, registrationCharge } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';
import { expectAccessible, signedInPage } from './console-support.js';
import { buildWeb, launchBrowser, PHONE, screenshot, tableFit } from './support.js';

let svc: TestService;
let browser: Browser;
const contexts: BrowserContext[] = [];
let zrzy: string;
// biome-ignore lint/suspicious/noExplicitAny: API answers
const issued: any[] = [];
// biome-ignore lint/suspicious/noExplicitAny: API answers
let other: any;

beforeAll(async () => {
  buildWeb();
  [svc, browser] = await Promise.all([startTestService(), launchBrowser()]);
  zrzy = await svc.token({ role: 'collector', department: 'ZRZY', username: 'collector-zrzy' });
  for (const name of ['窗口甲', '窗口乙']) {
    const res = await issue(svc, zrzy, registrationCharge({ payer: { type: 'person', name } }));
    expect(res.status).toBe(201);
    issued.push(res.body);
  }
  const ga = await svc.token({ role: 'collector', department: 'GA', username: 'collector-ga' });
  other = (await issue(svc, ga, gaCharge('别的单位'))).body;
});
afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()));
  await browser?.close();
  await svc?.stop();
});

const ref = (r: { code: string; number: string }) => `${r.code}/${r.number}`;
const rowRefs = (page: Page) =>
  page.locator('[data-testid="receipt-row"] a').evaluateAll((as) => as.map((a) => a.textContent));

async function openReceipts(page: Page) {
  await page.getByTestId('tab-receipts').click();
  await page.locator('[data-testid="receipt-row"]').first().waitFor();
}

describe("the collecting department's receipts", () => {
  it("lists the department's own receipts, newest first", async () => {
    const { page, errors } = await signedInPage(browser, svc.url, 'collector-zrzy', contexts);
    await openReceipts(page);
    const refs = await rowRefs(page);
    expect(refs.slice(0, 2)).toEqual([ref(issued[1]), ref(issued[0])]);
    expect(refs).not.toContain(ref(other));
    await expect
      .poll(() => page.locator('[data-testid="receipt-row"]').first().textContent())
      .toContain('窗口乙');
    await screenshot(page, 'console-collector-receipts');
    await expectAccessible(page, 'collector receipts');
    expect(errors).toEqual([]);
  });

  it('filters the list by issue dates, kept while the console is open, and shows a bad range as the API says', async () => {
    const today = dateInZone(new Date());
    const yesterday = shiftDays(today, -1);
    const { page, errors } = await signedInPage(browser, svc.url, 'collector-zrzy', contexts);
    await openReceipts(page);
    // Labelled in both languages; Enter in a date field applies the dates.
    const from = page.getByLabel('起始日期 From');
    const to = page.getByLabel('截止日期 To');
    await from.fill(yesterday);
    await to.fill(yesterday);
    await to.press('Enter');
    await page.getByTestId('receipt-list-empty').waitFor();
    expect(await page.getByTestId('receipt-list-empty').textContent()).toBe(
      '此期间没有开具票据。 No receipts in these dates.',
    );
    expect(await page.locator('[data-testid="receipt-row"]').count()).toBe(0);

    // From after to: the API's refusal, and no rows of the dates before.
    await from.fill(today);
    await page.getByTestId('receipt-filter').click();
    const refused = page.getByTestId('receipt-list').getByRole('alert');
    await refused.waitFor();
    expect(await refused.textContent()).toContain('must not be after to');
    expect(await page.getByTestId('receipt-list-empty').count()).toBe(0);
    await screenshot(page, 'console-collector-receipts-dates-refused');
    await expectAccessible(page, 'collector receipts, dates refused');

    await to.fill(today);
    await to.press('Enter');
    await page.locator('[data-testid="receipt-row"]').first().waitFor();
    expect(await page.getByTestId('receipt-list').getByRole('alert').count()).toBe(0);
    const refs = await rowRefs(page);
    expect(refs).toContain(ref(issued[0]));
    expect(refs).not.toContain(ref(other));

    // To a receipt and back: the same dates and rows.
    await page.getByRole('link', { name: ref(issued[0]) }).click();
    await page.getByTestId('receipt-page').waitFor();
    await page.getByRole('link', { name: /本单位票据/ }).click();
    await page.locator('[data-testid="receipt-row"]').first().waitFor();
    expect([await from.inputValue(), await to.inputValue()]).toEqual([today, today]);
    expect(await rowRefs(page)).toEqual(refs);
    expect(errors).toEqual([]);
  });

  it('shows a receipt with its PDF and its count of public checks', async () => {
    const r = issued[0];
    for (let i = 0; i < 3; i++)
      expect(
        (await svc.api('GET', `/v1/verify?code=${r.code}&number=${r.number}&checkCode=${r.checkCode}`))
          .status,
      ).toBe(200);
    const { page, errors } = await signedInPage(browser, svc.url, 'collector-zrzy', contexts);
    await openReceipts(page);
    await page.getByRole('link', { name: ref(r) }).click();
    await page.getByTestId('receipt-page').waitFor();
    await expect.poll(() => page.getByTestId('receipt-checks').textContent()).toBe('3');
    expect(await page.getByTestId('receipt-payer').textContent()).toContain('窗口甲');
    expect(await page.getByTestId('receipt-total').textContent()).toContain('80.00 元 捌拾元整');
    const pdf = page.getByTestId('pdf-link');
    await pdf.waitFor();
    const head = await page.evaluate(
      async (url) => {
        const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
        return String.fromCharCode(...bytes.slice(0, 5));
      },
      (await pdf.getAttribute('href'))!,
    );
    expect(head).toBe('%PDF-');
    await screenshot(page, 'console-collector-receipt');
    await expectAccessible(page, 'collector receipt');
    expect(errors).toEqual([]);
  });

  it('reverses a receipt after a reason and a confirmation, once however often it is confirmed', async () => {
    const r = issued[1];
    const { page, errors } = await signedInPage(browser, svc.url, 'collector-zrzy', contexts);
    await page.evaluate(
      (hash) => {
        location.hash = hash;
      },
      `#receipts/${ref(r)}`,
    );
    await page.getByTestId('reverse-start').click();
    // No reason, no next step.
    expect(await page.getByTestId('reverse-next').isDisabled()).toBe(true);
    await page.locator('#reversal-reason').fill('缴款人申请退费');
    await page.getByTestId('reverse-next').click();
    const confirm = page.getByTestId('reverse-confirm');
    await confirm.waitFor();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe(
      'reverse-confirm',
    );
    expect(await page.locator('#confirm-text').textContent()).toContain('缴款人申请退费');
    await screenshot(page, 'console-collector-reversal-confirm');
    await expectAccessible(page, 'reversal confirmation');
    // Nothing is reversed before the confirmation.
    expect((await svc.api('GET', `/v1/receipts/${ref(r)}`, { token: zrzy })).body.status).toBe('issued');

    await confirm.dblclick();
    const redLink = page.getByTestId('red-link');
    await redLink.waitFor();
    const red = (await redLink.textContent())!;
    // The original shows itself reversed, and links its red receipt, without a reload; the
    // keyboard is on the notice that says so.
    await expect
      .poll(() => page.getByTestId('receipt-status').textContent(), { timeout: 5000 })
      .toBe('已冲红 reversed');
    expect(await page.getByTestId('receipt-reversed-by').textContent()).toBe(red);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe(
      'reversal-done',
    );
    expect(await page.getByTestId('reverse-start').count()).toBe(0);
    const original = await svc.api('GET', `/v1/receipts/${ref(r)}`, { token: zrzy });
    expect(original.body.status).toBe('reversed');
    expect(ref(original.body.reversedBy)).toBe(red);
    const listed = await svc.api('GET', '/v1/receipts?limit=100', { token: zrzy });
    expect(
      listed.body.items.filter((x: { reverses?: { number: string } }) => x.reverses?.number === r.number),
    ).toHaveLength(1);

    await redLink.click();
    await page.waitForFunction((n) => location.hash.endsWith(n), red.split('/')[1]!);
    await expect.poll(() => page.getByTestId('receipt-ref').textContent()).toBe(red);
    expect(await page.getByTestId('receipt-total').textContent()).toContain('-80.00');
    expect(await page.getByTestId('reverse-start').count()).toBe(0);
    await screenshot(page, 'console-collector-red-receipt');
    await expectAccessible(page, 'red receipt');
    expect(errors).toEqual([]);
  });

  it('fits a phone-width screen', async () => {
    const { page } = await signedInPage(browser, svc.url, 'collector-zrzy', contexts, PHONE);
    await openReceipts(page);
    const fit = await tableFit(page.locator('[data-testid="receipt-row"] a.mono').first());
    expect(fit.oneLine).toBe(true);
    expect(fit.pageOverflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'console-collector-receipts-phone');
    await expectAccessible(page, 'collector receipts on a phone');
  });
});
