import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dateInZone } from '../../lambdas/core/dates.js';
import { startTestService, type TestService } from '../support/service.js';
import { addDays, buildWeb, launchBrowser, newPage, PHONE, screenshot } from './support.js';

const today = dateInZone(new Date());
const tomorrow = addDays(today, 1);

const basis = {
  title: '关于网页测试收费标准的通知',
  number: '测价〔2025〕9号',
  issuer: '某市发展改革委 某市财政局',
  date: '2019-12-01',
};
const newItem = (code: string, overrides: Record<string, unknown> = {}) => ({
  code,
  name: '网页测试收费项目',
  department: 'WEBT',
  unit: '件',
  standard: { type: 'fixed', amount: '30.00' },
  basis: [basis],
  fundManagement: 'special_account',
  // A new item takes effect today or later.
  validFrom: today,
  exemptions: [{ who: '退役军人', kind: 'percent', percent: 50 }],
  ...overrides,
});

let svc: TestService;
let browser: Browser;

beforeAll(async () => {
  buildWeb();
  [svc, browser] = await Promise.all([startTestService(), launchBrowser()]);
  const finance = await svc.token({ role: 'finance' });
  const created = await svc.api('POST', '/v1/catalogue/items', {
    token: finance,
    json: newItem('WEBT-PRICE'),
  });
  expect(created.status).toBe(201);
  const { code: _code, ...fields } = newItem('WEBT-PRICE', { standard: { type: 'fixed', amount: '45.00' } });
  const revised = await svc.api('PUT', '/v1/catalogue/items/WEBT-PRICE', {
    token: finance,
    json: { ...fields, effectiveFrom: tomorrow, reason: '调整收费标准' },
  });
  expect(revised.status).toBe(200);
  const recent = await svc.api('POST', '/v1/catalogue/items', {
    token: finance,
    json: newItem('WEBT-NEW', { validFrom: addDays(today, 3), name: '新设测试收费项目' }),
  });
  expect(recent.status).toBe(201);
});
afterAll(async () => {
  await browser?.close();
  await svc?.stop();
});

/** Waits until the page shows the catalogue as of `asOf`. */
async function shownAsOf(page: Page, asOf: string) {
  await page.locator(`[data-testid="catalogue"][data-state="ready"][data-as-of="${asOf}"]`).waitFor();
}

const item = (page: Page, code: string) => page.locator(`[data-testid="item"][data-code="${code}"]`);

/** Chooses a date with the labelled date picker, as a user would. */
async function pickDate(page: Page, date: string) {
  await page.getByLabel('查询日期').fill(date);
  await shownAsOf(page, date);
}

describe('landing page', () => {
  it('links to the catalogue and to verification', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(`${svc.url}/`);
    expect(await page.locator('h1').textContent()).toContain('非税收入电子票据');
    await screenshot(page, 'index-desktop');
    await page.getByTestId('link-verify').click();
    await page.waitForURL(/verify\.html$/);
    expect(await page.locator('h1').textContent()).toContain('票据查验');
    await page.goBack();
    await page.getByRole('link', { name: /收费目录公示/ }).click();
    await shownAsOf(page, today);
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe('catalogue page', () => {
  it('shows every item in force today, grouped by department, with standard, unit, basis, validity, funds and exemptions', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(`${svc.url}/catalogue.html`);
    await shownAsOf(page, today);
    expect(await page.getByLabel('查询日期').inputValue()).toBe(today);

    const api = (await svc.api('GET', '/v1/catalogue')).body;
    expect(await page.locator('[data-testid="item"]').count()).toBe(api.count);
    const departments = await page
      .locator('[data-testid="department"]')
      .evaluateAll((els) => els.map((el) => el.getAttribute('data-department')));
    expect(departments).toEqual(
      [...new Set(api.items.map((i: { department: string }) => i.department))].sort(),
    );
    expect(departments).toEqual(expect.arrayContaining(['GA', 'RS', 'ZRZY', 'WEBT']));
    // Every item sits under its own department's heading.
    for (const dept of departments) {
      const section = page.locator(`[data-testid="department"][data-department="${dept}"]`);
      await expect(section.getByRole('heading', { level: 2 }).textContent()).resolves.toContain(dept);
      const codes = await section
        .locator('[data-testid="item"]')
        .evaluateAll((els) => els.map((el) => el.getAttribute('data-code')));
      expect(codes.length).toBeGreaterThan(0);
      for (const code of codes)
        expect(api.items.find((i: { code: string }) => i.code === code).department).toBe(dept);
    }

    const registration = item(page, 'ZRZY-001');
    await expect(registration.getByRole('heading', { level: 3 }).textContent()).resolves.toContain(
      '不动产登记费（住宅）',
    );
    expect(await registration.getByTestId('standard').textContent()).toBe('80.00 元 / 件');
    const text = (await registration.textContent()) ?? '';
    expect(text).toContain('关于不动产登记收费标准等有关问题的通知');
    expect(text).toContain('发改价格规〔2016〕2559号');
    expect(text).toContain('国家发展改革委 财政部');
    expect(text).toContain('2017-01-01 起，长期有效');
    expect(await registration.getByTestId('fund').textContent()).toContain('国库');
    expect(await registration.getByTestId('exemptions').textContent()).toContain('小微企业：免收');

    const exam = item(page, 'RS-001');
    expect(await exam.getByTestId('standard').textContent()).toBe('10.00 – 50.00 元 / 科');
    expect(await exam.getByTestId('fund').textContent()).toContain('财政专户');
    const exemptions = (await exam.getByTestId('exemptions').textContent()) ?? '';
    expect(exemptions).toContain('减收 50%');
    expect(exemptions).toContain('残疾人：免收');
    expect(exemptions).toContain('按 10.00 元收取');

    // The expired item is not in force today.
    expect(await item(page, 'ZJ-001').count()).toBe(0);
    expect(await page.getByTestId('summary').textContent()).toContain(`共 ${api.count} 项`);
    await screenshot(page, 'catalogue-desktop');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows the catalogue as of a past date picked with the date picker, in the URL so it can be linked', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(`${svc.url}/catalogue.html`);
    await shownAsOf(page, today);
    expect(await item(page, 'ZJ-001').count()).toBe(0);

    await pickDate(page, '2016-06-01');
    expect(new URL(page.url()).searchParams.get('asOf')).toBe('2016-06-01');
    // In force then: the old house registration fee; not yet: the real-estate registration fee.
    await expect(item(page, 'ZJ-001').getByTestId('validity').textContent()).resolves.toContain(
      '2008-05-01 至 2016-12-31',
    );
    expect(await item(page, 'ZRZY-001').count()).toBe(0);
    expect(await page.locator('[data-testid="department"][data-department="ZJ"]').count()).toBe(1);

    // A newly created item is absent before its validFrom, present from it.
    await pickDate(page, addDays(today, 2));
    expect(await item(page, 'WEBT-NEW').count()).toBe(0);
    await pickDate(page, addDays(today, 3));
    expect(await item(page, 'WEBT-NEW').count()).toBe(1);

    // Back goes to the date shown before; the link opens the same view in a fresh page.
    await page.goBack();
    await shownAsOf(page, addDays(today, 2));
    await page.goBack();
    await shownAsOf(page, '2016-06-01');
    expect(await page.getByLabel('查询日期').inputValue()).toBe('2016-06-01');
    const link = page.url();
    const fresh = await context.newPage();
    await fresh.goto(link);
    await shownAsOf(fresh, '2016-06-01');
    expect(await item(fresh, 'ZJ-001').count()).toBe(1);

    // 今天 / Today returns to today's catalogue and drops the date from the URL.
    await page.getByRole('button', { name: /今天/ }).click();
    await shownAsOf(page, today);
    expect(new URL(page.url()).searchParams.has('asOf')).toBe(false);
    expect(await item(page, 'ZJ-001').count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows the old price today and the new price as of tomorrow, when a revision takes effect tomorrow', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${svc.url}/catalogue.html`);
    await shownAsOf(page, today);
    const priced = item(page, 'WEBT-PRICE');
    expect(await priced.getByTestId('standard').textContent()).toBe('30.00 元 / 件');
    expect(await priced.textContent()).toContain('第 1 版');

    await pickDate(page, tomorrow);
    expect(await priced.getByTestId('standard').textContent()).toBe('45.00 元 / 件');
    expect(await priced.textContent()).toContain(`第 2 版，${tomorrow} 起施行`);
    await context.close();
  });

  it('works from the keyboard: skip link first, the date form submits with Enter, focus is visible', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${svc.url}/catalogue.html?asOf=2016-06-01`);
    await shownAsOf(page, '2016-06-01');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('skip-link');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).toBe('solid');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');

    const input = page.getByLabel('查询日期');
    await input.focus();
    expect(await input.evaluate((el) => getComputedStyle(el).outlineStyle)).toBe('solid');
    await input.fill('2010-01-01');
    await input.press('Enter');
    await shownAsOf(page, '2010-01-01');
    expect(await item(page, 'ZJ-001').count()).toBe(1);
    await context.close();
  });

  it('reads well on a 390 px phone: nothing wider than the screen', async () => {
    const { context, page } = await newPage(browser, PHONE);
    await page.goto(`${svc.url}/catalogue.html`);
    await shownAsOf(page, today);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'catalogue-phone');
    await page.goto(`${svc.url}/`);
    await screenshot(page, 'index-phone');
    await page.getByTestId('link-catalogue').click();
    await page.waitForURL(/catalogue\.html/);
    await context.close();
  });

  it('ignores an impossible date in a link, and says so when the catalogue cannot be loaded', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${svc.url}/catalogue.html?asOf=2026-02-30`);
    // An impossible date in a link is ignored: the page shows today, and the URL says so.
    await shownAsOf(page, today);
    expect(new URL(page.url()).searchParams.has('asOf')).toBe(false);
    await page.route('**/v1/catalogue?*', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ error: 'unavailable', message: 'down' }),
      }),
    );
    await page.getByLabel('查询日期').fill('2015-01-01');
    await page.locator('[data-testid="catalogue"][data-state="error"]').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('无法加载收费目录（503）');
    await context.close();
  });
});
