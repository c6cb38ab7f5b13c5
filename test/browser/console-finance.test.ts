/**
 * The finance bureau's console screens in headless Chromium against the local server and
 * DynamoDB Local: the finance officer signs in through the local sign-in, creates an item
 * (the API's field errors first show next to their fields), revises its price from a future
 * date (the timeline and the diff show it), suspends it; previews an import with an error row
 * (nothing written) and then imports a good file; allocates a range and closes it with a
 * reason; reads the departments. axe-core finds no serious or critical violation on any
 * screen. Screenshots: test/artifacts/web-console-finance-*.png.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dateInZone } from '../../lambdas/core/dates.js';
import { startTestService, type TestService } from '../support/service.js';
import { expectAccessible, signedInPage } from './console-support.js';
import { addDays, buildWeb, launchBrowser, PHONE, screenshot, tableFit } from './support.js';

const today = dateInZone(new Date());
const tomorrow = addDays(today, 1);

let svc: TestService;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  buildWeb();
  [svc, browser] = await Promise.all([startTestService(), launchBrowser()]);
});
afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()));
  await browser?.close();
  await svc?.stop();
});

/** A fresh page signed in as the finance officer through the local sign-in page. */
async function signedIn(): Promise<{ page: Page; errors: string[] }> {
  const signed = await signedInPage(browser, svc.url, 'finance', contexts);
  await signed.page.getByTestId('tab-catalogue').waitFor();
  return signed;
}

/** A date and time as every screen shows it: 2026-12-03 18:30. */
const LOCAL_TIME = /\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?!:)/;

/** After a refused submit, the keyboard is on the form's error summary, and it is in view. */
async function expectFocusOnErrors(page: Page) {
  await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'form-error');
  const box = await page.evaluate(() => document.activeElement!.getBoundingClientRect().toJSON());
  expect(box.top).toBeGreaterThanOrEqual(0);
  expect(box.bottom).toBeLessThanOrEqual(page.viewportSize()!.height);
}

/** The error shown next to a field (the API's violation of that path). */
const fieldError = (page: Page, path: string) =>
  page.locator(`[data-testid="field-error"][data-path="${path}"]`);

async function fillBasis(page: Page, prefix: string) {
  await page.locator(`#${prefix}-title`).fill('关于浏览器测试收费的通知');
  await page.locator(`#${prefix}-number`).fill('测价〔2025〕12号');
  await page.locator(`#${prefix}-issuer`).fill('某市财政局');
  await page.locator(`#${prefix}-date`).fill('2025-06-01');
}

describe('the finance console', () => {
  it('creates an item, revises its price from a future date (timeline and diff), and suspends it', async () => {
    const { page, errors } = await signedIn();
    const table = page.getByTestId('catalogue-table');
    await page.locator('[data-testid="catalogue-row"][data-code="ZRZY-001"]').waitFor();
    await screenshot(page, 'console-finance-catalogue');
    await expectAccessible(page, 'catalogue');

    // Filters: one department; then a state no demo item is in.
    await page.getByTestId('filter-department').selectOption('GA');
    const departments = await table
      .locator('[data-testid="catalogue-row"] td:nth-child(3)')
      .allTextContents();
    expect(departments.length).toBeGreaterThan(0);
    expect(new Set(departments)).toEqual(new Set(['GA']));
    await page.getByTestId('filter-status').selectOption('abolished');
    expect(await table.locator('[data-testid="catalogue-row"]').count()).toBe(0);

    // A new item: the API's errors land next to their fields, and nothing is created.
    await page.getByTestId('new-item').click();
    await page.getByTestId('item-form').waitFor();
    await page.locator('#item-code').fill('FIN-001');
    await page.locator('#item-department').fill('FIN');
    await page.locator('#item-unit').fill('件');
    await page.locator('#item-amount').fill('-5');
    await page.getByTestId('item-submit').click();
    await fieldError(page, 'standard.amount').waitFor();
    await expectFocusOnErrors(page);
    // In Chinese (the code's headline; each field and rule) beside the server's English.
    expect(await page.getByTestId('refusal-headline').textContent()).toMatch(
      /^请求内容有误 \/ the body is invalid/,
    );
    expect(await fieldError(page, 'name').textContent()).toMatch(/^名称：为空或不足下限 \/ name /);
    expect(await fieldError(page, 'basis[0].title').textContent()).toMatch(
      /^依据1 标题：为空或不足下限 \/ basis\[0\]\.title /,
    );
    expect(await fieldError(page, 'standard.amount').textContent()).toMatch(
      /^收费标准 金额 \/ standard\.amount /,
    );
    expect(await page.locator('#item-amount').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#item-amount').getAttribute('aria-describedby')).toContain(
      'item-amount-error',
    );
    await screenshot(page, 'console-finance-item-errors');
    await expectAccessible(page, 'item form with errors');
    expect((await svc.api('GET', '/v1/catalogue/FIN-001')).status).toBe(404);

    await page.locator('#item-name').fill('浏览器测试收费');
    await page.locator('#item-amount').fill('20.00');
    await fillBasis(page, 'item-basis-0');
    await page.getByTestId('item-submit').click();
    await page.getByTestId('item-page').waitFor();
    expect(new URL(page.url()).hash).toBe('#catalogue/FIN-001');
    expect(await page.getByTestId('timeline-entry').count()).toBe(1);

    // The revision: 25.00 from tomorrow, with its reason; a date in the past is refused first.
    await page.getByTestId('revise-item').click();
    await page.getByTestId('item-form').waitFor();
    expect(await page.locator('#item-name').inputValue()).toBe('浏览器测试收费');
    await page.locator('#item-amount').fill('25.00');
    await page.locator('#item-effective-from').fill(addDays(today, -1));
    await page.locator('#item-reason').fill('成本调查后调整标准');
    await page.getByTestId('item-submit').click();
    await fieldError(page, 'effectiveFrom').waitFor();
    expect(await fieldError(page, 'effectiveFrom').textContent()).toContain('is before today');
    await page.locator('#item-effective-from').fill(tomorrow);
    await page.getByTestId('item-submit').click();
    await page.getByTestId('item-page').waitFor();
    const newest = page.locator('[data-testid="timeline-entry"][data-version="2"]');
    await newest.waitFor();
    expect(await newest.textContent()).toContain('25.00');
    expect(await newest.textContent()).toContain(tomorrow);
    expect(await newest.textContent()).toContain('成本调查后调整标准');
    expect(await newest.textContent()).toContain('finance');
    const changed = await page
      .locator('[data-testid="diff-changed"]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-field')));
    expect(changed).toEqual(expect.arrayContaining(['standard', 'effectiveFrom', 'reason']));
    expect(changed).not.toContain('name');
    const standardRow = page.locator('[data-testid="diff-changed"][data-field="standard"]');
    expect(await standardRow.locator('td').allTextContents()).toEqual(['20.00 元', '25.00 元']);
    await screenshot(page, 'console-finance-item');
    await expectAccessible(page, 'item page');

    // Still 20.00 today, 25.00 from tomorrow.
    const on = async (date: string) =>
      (await svc.api('GET', `/v1/catalogue?asOf=${date}&department=FIN`)).body.items[0].standard.amount;
    expect(await on(today)).toBe('20.00');
    expect(await on(tomorrow)).toBe('25.00');

    // Suspension: the reason is required (shown at its field); from today the revision scheduled
    // for tomorrow would lift it (a 409, in Chinese too), and the form offers the way through:
    // from the revision's date on, where it takes effect.
    await page.getByTestId('change-status').click();
    await page.getByTestId('status-form').waitFor();
    await fillBasis(page, 'status-basis');
    await page.getByTestId('status-submit').click();
    await fieldError(page, 'reason').waitFor();
    await expectFocusOnErrors(page);
    await screenshot(page, 'console-finance-status');
    await expectAccessible(page, 'status form');
    await page.locator('#status-reason').fill('暂停收费');
    await page.getByTestId('status-submit').click();
    await fieldError(page, 'effectiveFrom').waitFor();
    expect(await page.getByTestId('refusal-headline').textContent()).toMatch(
      /^与已有记录冲突，未作更改 \/ item FIN-001: version 2 .* would undo this change/,
    );
    expect(await fieldError(page, 'effectiveFrom').textContent()).toMatch(
      /^生效日期：此日期之后已排定的版本会撤销这一变更。.* \/ effectiveFrom \S+ is before version 2 /,
    );
    await screenshot(page, 'console-finance-status-conflict');
    const suggestion = page.getByTestId('status-effective-from-suggestion');
    expect(await suggestion.textContent()).toBe(`改用 ${tomorrow} Use ${tomorrow}`);
    await suggestion.click();
    expect(await page.locator('#status-effective-from').inputValue()).toBe(tomorrow);
    await page.getByTestId('status-submit').click();
    const third = page.locator('[data-testid="timeline-entry"][data-version="3"]');
    await third.waitFor();
    expect(await third.textContent()).toContain(tomorrow);
    expect(await third.textContent()).toContain('测价〔2025〕12号');
    expect(await third.textContent()).toContain('暂停收费');
    expect(errors).toEqual([]);
  });

  it('previews an import with an error row, writes nothing, then imports a good file', async () => {
    const { page, errors } = await signedIn();
    await page.getByTestId('tab-import').click();
    const header =
      'code,name,department,unit,standard_type,amount,min,max,fund_management,valid_from,valid_to,basis_title,basis_number,basis_issuer,basis_date,exemptions,status,effective_from,reason';
    const row = (code: string, amount: string) =>
      `${code},导入测试收费,FIN,次,fixed,${amount},,,treasury,${today},,关于导入的通知,导〔2025〕1号,某市财政局,2025-01-01,,active,,`;
    const file = (name: string, rows: string[]) => ({
      name,
      mimeType: 'text/csv',
      buffer: Buffer.from([header, ...rows].join('\n')),
    });

    await page
      .getByTestId('import-file')
      .setInputFiles(file('bad.csv', [row('FIN-IMP-1', '8.00'), row('FIN-IMP-2', 'abc')]));
    await page.getByTestId('import-preview').waitFor();
    const rows = page.getByTestId('preview-row');
    expect(await rows.count()).toBe(2);
    expect(await page.locator('[data-testid="preview-row"][data-row="2"]').getAttribute('data-state')).toBe(
      'ok',
    );
    const bad = page.locator('[data-testid="preview-row"][data-row="3"]');
    expect(await bad.getAttribute('data-state')).toBe('error');
    expect(await bad.textContent()).toContain('金额 / amount must be');
    expect(await page.getByTestId('import-submit').isDisabled()).toBe(true);
    await screenshot(page, 'console-finance-import');
    await expectAccessible(page, 'import preview');
    expect((await svc.api('GET', '/v1/catalogue/FIN-IMP-1')).status).toBe(404);

    await page
      .getByTestId('import-file')
      .setInputFiles(file('good.csv', [row('FIN-IMP-1', '8.00'), row('FIN-IMP-2', '9.50')]));
    await page.locator('[data-testid="preview-row"][data-row="3"][data-state="ok"]').waitFor();
    await page.getByTestId('import-submit').click();
    await page.getByTestId('import-result').waitFor();
    expect(await page.getByTestId('import-result').textContent()).toContain('2');
    expect((await svc.api('GET', '/v1/catalogue/FIN-IMP-2')).body.standard.amount).toBe('9.50');
    expect(errors).toEqual([]);
  });

  it('allocates a range and closes it with a reason, and lists the departments as receipts print them', async () => {
    const { page, errors } = await signedIn();
    await page.getByTestId('tab-ranges').click();
    await page.getByTestId('allocate-form').waitFor();

    // Numbers go only to a department of the catalogue: FINR has none yet.
    await page.locator('#allocate-department').fill('FINR');
    await page.locator('#allocate-size').fill('50');
    await page.getByTestId('allocate-submit').click();
    await fieldError(page, 'department').waitFor();
    expect(await fieldError(page, 'department').textContent()).toContain('FINR');
    const created = await svc.api('POST', '/v1/catalogue/items', {
      token: await svc.token({ role: 'finance' }),
      json: {
        code: 'FINR-001',
        name: '号段测试收费',
        department: 'FINR',
        unit: '次',
        standard: { type: 'fixed', amount: '1.00' },
        basis: [
          { title: '关于号段测试的通知', number: '测〔2025〕5号', issuer: '某市财政局', date: '2025-06-01' },
        ],
        fundManagement: 'treasury',
        validFrom: today,
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    await page.locator('#allocate-size').fill('zero');
    await page.getByTestId('allocate-submit').click();
    await fieldError(page, 'size').waitFor();
    await page.locator('#allocate-size').fill('50');
    await page.locator('#allocate-name').fill('某市浏览器测试局');
    await page.getByTestId('allocate-submit').click();
    await page.getByTestId('allocated').waitFor();
    // Both languages name the range.
    expect(await page.locator('[data-testid="allocated"] [lang="en"]').textContent()).toMatch(
      /^Allocated FINR \d{8} \d{10}–\d{10}/,
    );
    const range = page.locator('[data-testid="range-row"][data-department="FINR"]');
    await range.waitFor();
    expect(await range.getAttribute('data-status')).toBe('open');
    expect(await range.getByTestId('range-unused').textContent()).toContain('50');
    expect(await range.getByTestId('range-issued').textContent()).toBe('0');

    await range.getByTestId('close-range').click();
    await page.waitForFunction(() => document.activeElement?.id === 'close-reason');
    await page.getByTestId('close-submit').click();
    await fieldError(page, 'reason').waitFor();
    await expectFocusOnErrors(page);
    await page.getByTestId('close-reason').fill('试点结束，停用号段');
    await page.getByTestId('close-submit').click();
    await page.locator('[data-testid="range-row"][data-department="FINR"][data-status="closed"]').waitFor();
    expect(await range.getByTestId('range-closed').textContent()).toContain('试点结束，停用号段');
    expect(await range.getByTestId('range-closed').textContent()).toMatch(LOCAL_TIME);
    await screenshot(page, 'console-finance-ranges');
    await expectAccessible(page, 'ranges');

    await page.getByTestId('tab-departments').click();
    const department = page.locator('[data-testid="department-row"][data-code="FINR"]');
    await department.waitFor();
    expect(await department.getByTestId('department-printed').textContent()).toBe('某市浏览器测试局');
    expect(
      await page
        .locator('[data-testid="department-row"][data-code="ZRZY"] [data-testid="department-printed"]')
        .textContent(),
    ).toBe('某市自然资源和规划局');
    // Renaming: a refusal names the field; then the new name is what the table shows.
    await page.getByTestId('rename-department').selectOption('FINR');
    await page.getByTestId('rename-name').fill('某市浏览器测试局（更名后）');
    await page.getByTestId('rename-submit').click();
    await fieldError(page, 'reason').waitFor();
    await expectFocusOnErrors(page);
    await page.getByTestId('rename-reason').fill('机构改革');
    await page.getByTestId('rename-submit').click();
    await page.getByTestId('renamed').waitFor();
    expect(await page.getByTestId('renamed').textContent()).toContain(
      'FINR 已更名为 某市浏览器测试局（更名后）',
    );
    await page
      .locator('[data-testid="department-row"][data-code="FINR"] [data-testid="department-printed"]', {
        hasText: '某市浏览器测试局（更名后）',
      })
      .waitFor();
    await screenshot(page, 'console-finance-departments');
    await expectAccessible(page, 'departments');
    expect(errors).toEqual([]);
  });

  it('fits a phone: the ranges table keeps its headers, its numbers whole, and scrolls sideways', async () => {
    const allocated = await svc.api('POST', '/v1/ranges', {
      token: await svc.token({ role: 'finance' }),
      json: { department: 'ZRZY', size: 10 },
    });
    expect(allocated.status, JSON.stringify(allocated.body)).toBe(201);
    const { page, errors } = await signedInPage(browser, svc.url, 'finance', contexts, PHONE);
    await page.getByTestId('tab-ranges').click();
    const row = page.locator(`[data-testid="range-row"][data-id="${allocated.body.id}"]`);
    await row.waitFor();
    // The column headers label the figures (no card layout whose labels the cells lack).
    const header = page.locator('[data-testid="ranges-table"] thead th', { hasText: 'Issued' });
    expect((await header.boundingBox())!.width).toBeGreaterThan(20);
    expect(await tableFit(row.getByTestId('range-numbers'))).toEqual({
      oneLine: true,
      wrapScrolls: true,
      pageOverflow: 0,
    });
    expect(await page.getByRole('region', { name: '号段 Ranges' }).getAttribute('tabindex')).toBe('0');
    await screenshot(page, 'console-finance-ranges-phone');
    await expectAccessible(page, 'ranges on a phone');

    // A refused allocation takes the keyboard to what is wrong.
    await page.locator('#allocate-department').fill('NONE');
    await page.locator('#allocate-size').fill('10');
    await page.getByTestId('allocate-submit').click();
    await fieldError(page, 'department').waitFor();
    await expectFocusOnErrors(page);
    expect(errors).toEqual([]);
  });
});
