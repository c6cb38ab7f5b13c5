/**
 * The staff console in headless Chromium against the local server and DynamoDB Local: a
 * collector signs in through the local sign-in (code + PKCE) and issues a receipt with the
 * keyboard alone; a double click or a retry after a lost answer makes one receipt; a session
 * that ends keeps the cashier's form; the form says at its fields what a range item's amount
 * and a quantity need, and that another department's code is not this department's; axe-core
 * finds no serious or critical violation on any screen. Screenshots:
 * test/artifacts/web-console-*.png.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/service.js';
import { expectAccessible } from './console-support.js';
import { buildWeb, DESKTOP, launchBrowser, newPage, PHONE, screenshot } from './support.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

let svc: TestService;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  buildWeb();
  [svc, browser] = await Promise.all([startTestService(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await svc?.stop();
});

/** A fresh browser context (no session) with CSP bypassed so axe can be injected; closed after all. */
async function openPage(viewport = DESKTOP): Promise<{ page: Page; errors: string[] }> {
  const { context, page, errors } = await newPage(browser, viewport, { bypassCSP: true });
  contexts.push(context);
  return { page, errors };
}

/** Presses Tab until the focused element matches `selector` (keyboard only). */
async function tabTo(page: Page, selector: string, limit = 40) {
  for (let i = 0; i < limit; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}

const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '');

/** From /console to the cashier screen through the local sign-in page, by the keyboard. */
async function signInAs(page: Page, username: string) {
  await page.waitForURL(/\/oauth2\/authorize\?/);
  await tabTo(page, `[data-testid="user-${username}"]`);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/console$/);
}

/** Types a search and adds its first match with Enter; focus lands on the new line's quantity. */
async function addItem(page: Page, query: string, line: number) {
  await page.locator('#item-search').focus();
  await page.keyboard.type(query);
  await page.locator('[data-testid="search-result"]').first().waitFor();
  await page.keyboard.press('Enter');
  await page.waitForFunction((id) => document.activeElement?.id === id, `quantity-${line}`);
}

const checkReady = (page: Page) => page.locator('[data-testid="check"][data-state="ok"]').waitFor();

/** What a control's aria-describedby says: the text of each element it names, in order. */
const describedText = (page: Page, selector: string) =>
  page.locator(selector).evaluate((el) =>
    (el.getAttribute('aria-describedby') ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => document.getElementById(id)?.textContent?.trim() ?? '')
      .join(' '),
  );

async function auditedReceipts(payerName: string) {
  const auditor = await svc.token({ role: 'auditor' });
  const res = await svc.api('GET', '/v1/audit/receipts?department=ZRZY&limit=500', { token: auditor });
  expect(res.status).toBe(200);
  return (res.body.items as { payer: { name: string } }[]).filter((r) => r.payer.name === payerName);
}

describe('the cashier screen', () => {
  it('signs in as a collector and issues a receipt with an exemption, with the keyboard alone', async () => {
    const { page, errors } = await openPage();
    await page.goto(`${svc.url}/console`);
    await page.waitForURL(/\/oauth2\/authorize\?/);
    await screenshot(page, 'console-sign-in');
    await expectAccessible(page, 'sign-in');
    await signInAs(page, 'collector-zrzy');
    await page.locator('[data-testid="cashier"]').waitFor();
    await page.waitForFunction(() => document.activeElement?.id === 'item-search');
    await expectAccessible(page, 'cashier (empty)');

    // Two residential registrations, then a non-residential one waived for a small business.
    await page.keyboard.type('ZRZY-001');
    await page.locator('[data-testid="search-result"][data-code="ZRZY-001"]').waitFor();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.id === 'quantity-0');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('2');
    await tabTo(page, '#item-search');
    await page.keyboard.type('非住宅');
    await page.locator('[data-testid="search-result"][data-code="ZRZY-002"]').waitFor();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.id === 'quantity-1');
    await page.keyboard.press('Tab');
    expect(await focusedId(page)).toBe('exemption-1');
    await page.keyboard.press('ArrowDown');
    expect(await page.locator('#exemption-1').inputValue()).toBe('小微企业');
    await tabTo(page, '#payer-name');
    await page.keyboard.type('某某小微企业有限公司');
    await checkReady(page);
    await expect.poll(() => page.getByTestId('total').textContent()).toContain('160.00');
    expect(await page.getByTestId('total-in-words').textContent()).toBe('壹佰陆拾元整');
    await screenshot(page, 'console-cashier');
    await expectAccessible(page, 'cashier (checked)');

    await tabTo(page, '[data-testid="issue"]');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="issued"]').waitFor();
    const pdfLink = page.getByTestId('pdf-link');
    await pdfLink.waitFor();
    await screenshot(page, 'console-issued');
    await expectAccessible(page, 'issued');

    // The PDF link opens the signed PDF (fetched with the token, linked as a blob).
    const href = (await pdfLink.getAttribute('href'))!;
    const head = await page.evaluate(async (url) => {
      const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
      return String.fromCharCode(...bytes.slice(0, 5));
    }, href);
    expect(head).toBe('%PDF-');
    await tabTo(page, '[data-testid="pdf-link"]');
    const [tab] = await Promise.all([page.context().waitForEvent('page'), page.keyboard.press('Enter')]);
    expect(tab.url()).toMatch(/^blob:/);
    await tab.close();

    // What was issued is what the screen showed, and the payer's link verifies it.
    const code = (await page.getByTestId('receipt-code').textContent())!;
    const number = (await page.getByTestId('receipt-number').textContent())!;
    const collector = await svc.token({ role: 'collector', department: 'ZRZY' });
    const receipt = await svc.api('GET', `/v1/receipts/${code}/${number}`, { token: collector });
    expect(receipt.body).toMatchObject({
      total: '160.00',
      totalInWords: '壹佰陆拾元整',
      handledBy: 'collector-zrzy',
    });
    expect(receipt.body.lines.map((l: { exemption?: string }) => l.exemption ?? null)).toEqual([
      null,
      '小微企业',
    ]);
    const verifyHref = (await page.getByTestId('verify-link').getAttribute('href'))!;
    const verifyUrl = new URL(verifyHref);
    const verified = await svc.api(
      'GET',
      `/v1/verify?code=${code}&number=${number}&checkCode=${verifyUrl.searchParams.get('checkCode')}`,
    );
    expect(verified.status).toBe(200);

    // The next charge starts empty.
    await tabTo(page, '[data-testid="next-charge"]');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="cashier"]').waitFor();
    expect(await page.locator('[data-testid="line"]').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('makes one receipt of a double click, and of a retry after the answer was lost', async () => {
    const { page } = await openPage();
    await page.goto(`${svc.url}/console`);
    await signInAs(page, 'collector-zrzy');

    const doubled = `双击测试-${randomUUID().slice(0, 8)}`;
    await addItem(page, 'ZRZY-003', 0);
    await page.locator('#payer-name').fill(doubled);
    await checkReady(page);
    await page.getByTestId('issue').dblclick();
    await page.locator('[data-testid="issued"]').waitFor();
    expect(await auditedReceipts(doubled)).toHaveLength(1);
    await page.getByTestId('next-charge').click();

    // The server issues, the answer never arrives: the retry gets the same receipt.
    const retried = `重试测试-${randomUUID().slice(0, 8)}`;
    await addItem(page, 'ZRZY-003', 0);
    await page.locator('#payer-name').fill(retried);
    await checkReady(page);
    let lost = false;
    await page.route('**/v1/receipts', async (route) => {
      if (lost) return route.continue();
      lost = true;
      const answer = await route.fetch();
      expect(answer.status()).toBe(201);
      await route.abort('connectionreset');
    });
    await page.getByTestId('issue').click();
    await page.getByTestId('issue-error').waitFor();
    // The keyboard is on the error, not dropped to the page with the disabled button.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe(
      'issue-error',
    );
    await screenshot(page, 'console-issue-retry');
    await page.getByTestId('issue').click();
    await page.locator('[data-testid="issued"]').waitFor();
    expect(await auditedReceipts(retried)).toHaveLength(1);
  });

  it("shows the server's refusal of the form in Chinese beside its English", async () => {
    const { page } = await openPage();
    await page.goto(`${svc.url}/console`);
    // What the form does not check itself: an amount's format, an ID number's.
    await signInAs(page, 'collector-rs');
    await addItem(page, 'RS-001', 0);
    await page.locator('#amount-0').fill('20.001');
    await page.locator('#payer-name').fill('王五');
    await page.locator('#payer-id').fill('abc');
    const check = page.locator('[data-testid="check"][data-state="refused"]');
    await check.waitFor();
    expect(await check.getByTestId('refusal-headline').textContent()).toBe(
      '请求内容有误 / the body is invalid',
    );
    const said = await check.locator('li').allTextContents();
    expect(said).toContainEqual(
      // A schema's own check (`custom`) has no words of its own: the line and field, then the message.
      expect.stringMatching(/^第1行 金额 \/ lines\[0\]\.amount must be a non-negative amount/),
    );
    expect(said).toContainEqual(
      expect.stringMatching(/^缴款人证件号码：格式不正确 \/ payer\.idNumber must be /),
    );
    expect(await page.getByTestId('issue').isDisabled()).toBe(true);
    await screenshot(page, 'console-check-refused');
    await expectAccessible(page, 'cashier (refused)');

    await page.locator('#amount-0').fill('20.00');
    await page.locator('#payer-id').fill('ABC123456');
    await checkReady(page);
  });

  it("says at a range item's amount field what it needs, while the server's check still decides", async () => {
    const { page } = await openPage();
    await page.goto(`${svc.url}/console`);
    await signInAs(page, 'collector-rs');
    await addItem(page, 'RS-001', 0);
    await page.locator('#payer-name').fill('孙七');
    // RS-001's standard is 10.00–50.00 yuan a person: the line's amount is typed.
    await expect
      .poll(() => describedText(page, '#amount-0'))
      .toBe('此项目须填写金额：10.00 – 50.00 元 This item needs an amount between 10.00 and 50.00 yuan');
    // The hint guides; the server's check is still asked, and refuses the empty amount itself.
    const refused = page.locator('[data-testid="check"][data-state="refused"]');
    await refused.waitFor();
    expect(await refused.locator('li').allTextContents()).toContainEqual(
      expect.stringMatching(/^第1行 金额.* \/ lines\[0\]\.amount /),
    );
    expect(await page.getByTestId('issue').isDisabled()).toBe(true);
    await screenshot(page, 'console-amount-needed');
    await expectAccessible(page, 'cashier (range amount needed)');

    // For two the range is the line's: twice the standard.
    await page.locator('#quantity-0').fill('2');
    await expect
      .poll(() => describedText(page, '#amount-0'))
      .toBe('此项目须填写金额：20.00 – 100.00 元 This item needs an amount between 20.00 and 100.00 yuan');
    await page.locator('#amount-0').fill('60');
    await checkReady(page);
    expect(await describedText(page, '#amount-0')).toBe('');
    await expect.poll(() => page.getByTestId('total').textContent()).toContain('60.00');
    expect(await page.getByTestId('issue').isDisabled()).toBe(false);
  });

  it('says at the quantity that it must be a whole number of at least 1, and sends nothing the server would refuse', async () => {
    const { page } = await openPage();
    await page.goto(`${svc.url}/console`);
    await signInAs(page, 'collector-zrzy');
    await addItem(page, 'ZRZY-001', 0);
    await page.locator('#payer-name').fill('周八');
    await checkReady(page);
    const sent: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname.startsWith('/v1/')) sent.push(r.url());
    });

    const quantity = page.locator('#quantity-0');
    const issue = page.getByTestId('issue');
    for (const typed of ['0', '', '1.5', '1000001']) {
      await quantity.fill(typed);
      await expect
        .poll(() => describedText(page, '#quantity-0'))
        .toBe('数量须为 1 至 1,000,000 的整数 The quantity must be a whole number from 1 to 1,000,000');
      expect(await quantity.getAttribute('aria-invalid')).toBe('true');
      // The issue button says why it is disabled; Enter in a field (the form's submit) sends nothing.
      expect(await issue.isDisabled()).toBe(true);
      expect(await describedText(page, '[data-testid="issue"]')).toBe(
        '请先改正第1行的数量。 Correct the quantity of line 1 first.',
      );
      await page.locator('#payer-name').press('Enter');
    }
    expect(await page.getByTestId('check').textContent()).toContain('数量改正后核对金额。');
    await screenshot(page, 'console-bad-quantity');
    await expectAccessible(page, 'cashier (bad quantity)');
    expect(sent).toEqual([]);

    await quantity.fill('2');
    await checkReady(page);
    expect(await quantity.getAttribute('aria-invalid')).toBe('false');
    expect(await describedText(page, '#quantity-0')).toBe('');
    expect(await describedText(page, '[data-testid="issue"]')).toBe('');
    expect(await issue.isDisabled()).toBe(false);
  });

  it("says that another department's item code is not this department's, apart from no such item", async () => {
    const { page } = await openPage();
    await page.goto(`${svc.url}/console`);
    await signInAs(page, 'collector-zrzy');
    const search = page.locator('#item-search');
    const status = page.getByTestId('search-status');
    const otherDepartments =
      'GA-001 居民身份证工本费（换领、补领）：非本部门的收费项目（由 某市公安局 (GA) 收取） ' +
      "GA-001 is another department's item: 某市公安局 (GA) collects it, not ZRZY";

    // Typed, or pasted in lower case: the public catalogue knows it is GA's.
    for (const typed of ['GA-001', 'ga-001']) {
      await search.fill(typed);
      await expect.poll(() => status.textContent()).toBe(otherDepartments);
      expect(await describedText(page, '#item-search')).toContain(otherDepartments);
      await search.press('Enter');
      expect(await page.locator('[data-testid="line"]').count()).toBe(0);
    }
    await screenshot(page, 'console-other-department-item');
    await expectAccessible(page, "cashier (another department's item)");

    await search.fill('XX-999');
    await expect
      .poll(() => status.textContent())
      .toBe('本部门现行收费项目中没有匹配项 No item of this department in force matches');

    // This department's own items are found as before, with nothing said.
    await search.fill('ZRZY-001');
    await page.locator('[data-testid="search-result"][data-code="ZRZY-001"]').waitFor();
    expect(await status.textContent()).toBe('');
  });

  it('keeps the form through a new sign-in when the session ends', async () => {
    const { page } = await openPage();
    await page.goto(`${svc.url}/console`);
    await signInAs(page, 'collector-zrzy');
    await addItem(page, 'ZRZY-001', 0);
    await page.locator('#payer-name').fill('李四');
    await checkReady(page);
    const key = await page.evaluate(() => sessionStorage.getItem('feeproof.console.charge-draft.ZRZY'));

    // A reload loses the tokens (memory only), as an ended session does: sign in again.
    await page.reload();
    await signInAs(page, 'collector-zrzy');
    await checkReady(page);
    expect(await page.locator('#payer-name').inputValue()).toBe('李四');
    expect(await page.locator('[data-testid="line"]').count()).toBe(1);
    const after = await page.evaluate(() => sessionStorage.getItem('feeproof.console.charge-draft.ZRZY'));
    expect(JSON.parse(after!).key).toBe(JSON.parse(key!).key);
    expect(
      await page.evaluate(() => Object.keys(localStorage).length + document.cookie.length),
      'nothing in localStorage or cookies',
    ).toBe(0);

    // Signing out revokes and lands on the signed-out screen.
    await page.getByRole('button', { name: /退出/ }).click();
    await page.waitForURL(/\/console$/);
    await page.getByRole('button', { name: /重新登录/ }).waitFor();
    await screenshot(page, 'console-signed-out');
    await expectAccessible(page, 'signed out');
  });

  it('refreshes an expired session, and signs in again with the form kept when refreshing fails', async () => {
    const { page } = await openPage();
    await page.goto(`${svc.url}/console`);
    await signInAs(page, 'collector-zrzy');
    await addItem(page, 'ZRZY-001', 0);
    await page.locator('#payer-name').fill('赵六');
    await checkReady(page);

    // The API calls the token expired: the console refreshes it and carries on.
    let expired = 1;
    await page.route('**/v1/charges/check', (route) =>
      expired-- > 0
        ? route.fulfill({
            status: 401,
            contentType: 'application/json',
            body: JSON.stringify({ error: 'unauthorized', message: 'expired', details: [] }),
          })
        : route.continue(),
    );
    const refreshed = page.waitForRequest(
      (r) => r.url().endsWith('/oauth2/token') && (r.postData() ?? '').includes('grant_type=refresh_token'),
    );
    await page.locator('#quantity-0').fill('3');
    await refreshed;
    await checkReady(page);
    await expect.poll(() => page.getByTestId('total').textContent()).toContain('240.00');
    expect(new URL(page.url()).pathname).toBe('/console');

    // Then the refresh token is refused too (expired or revoked): sign in again, nothing lost.
    expired = 1;
    await page.route('**/oauth2/token', (route) =>
      (route.request().postData() ?? '').includes('grant_type=refresh_token')
        ? route.fulfill({ status: 400, contentType: 'application/json', body: '{"error":"invalid_grant"}' })
        : route.continue(),
    );
    await page.locator('#quantity-0').fill('4');
    await signInAs(page, 'collector-zrzy');
    await checkReady(page);
    expect(await page.locator('#quantity-0').inputValue()).toBe('4');
    expect(await page.locator('#payer-name').inputValue()).toBe('赵六');
    await expect.poll(() => page.getByTestId('total').textContent()).toContain('320.00');
  });

  it('works at phone width', async () => {
    const { page } = await openPage(PHONE);
    await page.goto(`${svc.url}/console`);
    await signInAs(page, 'collector-ga');
    await addItem(page, 'GA-001', 0);
    await page.locator('#payer-name').fill('王五');
    await checkReady(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'console-cashier-phone');
    await expectAccessible(page, 'cashier (phone)');
  });
});

describe('the console bundle', () => {
  it('stays under 350 KB of JavaScript gzipped, and the public pages never load it', async () => {
    const js = readFileSync(join(ROOT, 'web/assets/console.js'));
    expect(gzipSync(js).length).toBeLessThan(350 * 1024);
    const { page } = await openPage();
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    for (const path of ['/', '/catalogue.html', '/verify.html']) {
      await page.goto(`${svc.url}${path}`);
      await page.waitForLoadState('networkidle');
    }
    expect(requested.length).toBeGreaterThan(3);
    expect(requested.filter((u) => /console/.test(u))).toEqual([]);
  });
});
