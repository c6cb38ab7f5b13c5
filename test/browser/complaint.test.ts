/**
 * A complaint's round trip in headless Chromium against the local server and DynamoDB Local:
 * the payer verifies a genuine receipt, follows its complaint link and files; the auditors get
 * a payer_complaint alert; an auditor reads the complaint in the console (contact shown, the
 * read recorded) and replies; the payer looks the reply up with the number and lookup code.
 * axe-core finds no serious or critical violation. Screenshots: test/artifacts/web-complaint-*.png.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issue, registrationCharge } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';
import { expectAccessible, signedInPage } from './console-support.js';
import { buildWeb, launchBrowser, newPage, screenshot } from './support.js';

let svc: TestService;
let browser: Browser;
const contexts: BrowserContext[] = [];
let auditor: string;
// biome-ignore lint/suspicious/noExplicitAny: API answers
let receipt: any;
const CONTACT = '13700001111';
const REPLY = '经核查，多收的 20 元已退还。';

beforeAll(async () => {
  buildWeb();
  [svc, browser] = await Promise.all([startTestService(), launchBrowser()]);
  auditor = await svc.token({ role: 'auditor' });
  const zrzy = await svc.token({ role: 'collector', department: 'ZRZY' });
  receipt = (await issue(svc, zrzy, registrationCharge())).body;
  expect(receipt.checkCode).toBeTruthy();
});
afterAll(async () => {
  await browser?.close();
  await svc?.stop();
});

describe('a complaint, from a verified receipt to the reply', () => {
  it('is filed by the payer, answered in the console, and the payer reads the reply', async () => {
    const payer = await newPage(browser, undefined, { bypassCSP: true });
    contexts.push(payer.context);
    const page = payer.page;
    await page.goto(
      `${svc.url}/verify.html?code=${receipt.code}&number=${receipt.number}&checkCode=${receipt.checkCode}`,
    );
    await page.getByTestId('complain').click();
    await page.waitForURL(/complaint\.html\?/);
    expect(await page.locator('#check-code').inputValue()).toBe(receipt.checkCode);
    await page.locator('#category-above_standard').check();
    await page.getByLabel('情况说明').fill('登记费收了 100 元，公示标准是 80 元。');
    await page.getByLabel('联系方式（选填）').fill(CONTACT);
    await expectAccessible(page, 'complaint form');
    await screenshot(page, 'complaint-form');
    await page.getByTestId('submit').click();
    await page.getByTestId('filed').waitFor();
    const id = (await page.getByTestId('complaint-id').textContent())!.trim();
    const code = (await page.getByTestId('complaint-code').textContent())!.trim();
    expect(id).toMatch(/^TS-/);

    const alerts = await svc.api('GET', '/v1/audit/alerts?type=payer_complaint', { token: auditor });
    expect(alerts.body.items).toContainEqual(
      expect.objectContaining({
        rule: 'payer_complaint',
        subjects: [id, `${receipt.code}/${receipt.number}`],
      }),
    );

    const console = await signedInPage(browser, svc.url, 'auditor', contexts);
    const staff = console.page;
    await staff.goto(`${svc.url}/console#complaints`);
    await staff.locator(`[data-testid="complaint-link"]:has-text("${id}")`).click();
    await staff.getByTestId('complaint-detail').waitFor();
    expect(await staff.getByTestId('complaint-contact').textContent()).toContain(CONTACT);
    await expectAccessible(staff, 'console complaint');
    // Not resolvable until replied to: the payer is owed an answer.
    expect(await staff.getByTestId('complaint-resolve').isDisabled()).toBe(true);
    await staff.getByTestId('complaint-reply').fill(REPLY);
    await staff.getByTestId('complaint-send-reply').click();
    await staff.locator('[data-testid="complaint-detail"][data-state="replied"]').waitFor();
    expect(await staff.getByTestId('complaint-resolve').isDisabled()).toBe(false);
    await screenshot(staff, 'complaint-console');
    const reads = await svc.api('GET', '/v1/audit/events?type=complaint.read', { token: auditor });
    expect(reads.body.items).toContainEqual(expect.objectContaining({ subject: id, actor: 'auditor' }));

    await page.goto(`${svc.url}/complaint.html?id=${id}&lookupCode=${code}`);
    await page.getByTestId('complaint-reply').waitFor();
    expect(await page.getByTestId('complaint-reply').textContent()).toBe(REPLY);
    expect(await page.getByTestId('complaint-status').textContent()).toContain('已答复');
    expect(await page.content()).not.toContain(CONTACT);
    await expectAccessible(page, 'complaint lookup');
    await screenshot(page, 'complaint-reply');
    expect(payer.errors).toEqual([]);
    expect(console.errors).toEqual([]);
  });
});
