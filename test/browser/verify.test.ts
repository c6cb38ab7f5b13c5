import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PDF_CHECK_NAMES } from '../../lambdas/adapters/pdf/verify.js';
import { CONTENT_SECURITY_POLICY } from '../../lib/web.js';
import { issue, newKey, registrationCharge } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';
import { buildWeb, colours, contrastRatio, launchBrowser, newPage, PHONE, screenshot } from './support.js';

// biome-ignore lint/suspicious/noExplicitAny: API answers
type Issued = any;

let svc: TestService;
let browser: Browser;
let zrzy: string;
let receipt: Issued;
let pdf: Buffer;

beforeAll(async () => {
  buildWeb();
  [svc, browser] = await Promise.all([startTestService(), launchBrowser()]);
  zrzy = await svc.token({ role: 'collector', department: 'ZRZY', username: 'clerk-li' });
  const issued = await issue(svc, zrzy);
  expect(issued.status).toBe(201);
  receipt = issued.body;
  const got = await svc.api('GET', `/v1/receipts/${receipt.code}/${receipt.number}/pdf`, { token: zrzy });
  expect(got.status).toBe(200);
  pdf = got.bytes;
});
afterAll(async () => {
  await browser?.close();
  await svc?.stop();
});

/** The page's address for a receipt's verification URL (the service's own origin, whatever the public URL). */
function qrPage(verifyUrl: string, change: Record<string, string> = {}): string {
  const url = new URL(verifyUrl);
  for (const [k, v] of Object.entries(change)) url.searchParams.set(k, v);
  return `${svc.url}/verify.html${url.search}`;
}

/** Waits for the final verdict and answers its state. */
async function verdict(page: Page): Promise<string> {
  const box = page.locator('[data-testid="verdict"]:not([data-state="checking"]):not([data-state="idle"])');
  await box.waitFor();
  return (await box.getAttribute('data-state'))!;
}

async function fillAndVerify(page: Page, r: { code: string; number: string; checkCode: string }) {
  await page.getByLabel('票据代码').fill(r.code);
  await page.getByLabel('票据号码').fill(r.number);
  await page.getByLabel('校验码').fill(r.checkCode);
  await page.getByRole('button', { name: /查验/ }).click();
}

async function choosePdf(page: Page, bytes: Buffer, name = 'receipt.pdf') {
  await page.getByLabel(/选择 PDF 文件/).setInputFiles({ name, mimeType: 'application/pdf', buffer: bytes });
}

/** Checks that the verdict's text is readable on its colour (WCAG AA for large text is 3, for body text 4.5). */
async function expectReadableVerdict(page: Page) {
  const { color, background } = await colours(page, '[data-testid="verdict"]');
  expect(contrastRatio(color, background)).toBeGreaterThanOrEqual(4.5);
}

async function reverse(r: Issued): Promise<Issued> {
  const red = await svc.api('POST', `/v1/receipts/${r.code}/${r.number}/reversal`, {
    token: zrzy,
    json: { reason: '重复缴费退费' },
    headers: { 'idempotency-key': newKey() },
  });
  expect(red.status).toBe(201);
  return red.body;
}

describe('verify by code, number and check code', () => {
  it('shows a genuine receipt: big green state, masked payer, total and words, lines, collecting unit', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(`${svc.url}/verify.html`);
    await fillAndVerify(page, receipt);
    expect(await verdict(page)).toBe('genuine');
    expect(await page.getByTestId('verdict-title').textContent()).toContain('真票');
    // Focus moves to the verdict so that it is read out.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('verdict');
    await expectReadableVerdict(page);

    const details = page.getByTestId('receipt');
    expect(await details.getByTestId('total').textContent()).toBe('80.00 元');
    expect(await details.getByTestId('total-in-words').textContent()).toContain('捌拾元整');
    expect(await details.getByTestId('payer').textContent()).toContain('张*');
    expect(await details.getByTestId('payer-id').textContent()).toBe('110***********1234');
    expect(await details.getByTestId('collecting-unit').textContent()).toContain('自然资源');
    expect(await details.getByTestId('receipt-number').textContent()).toBe(receipt.number);
    expect(await details.getByTestId('check-count').textContent()).toMatch(/\d+ 次/);
    const line = details.getByTestId('line');
    expect(await line.count()).toBe(1);
    expect(await line.textContent()).toContain('ZRZY-001');
    expect(await line.textContent()).toContain('不动产登记费（住宅）');
    expect(await page.content()).not.toContain('张三');
    // Typed by hand: no QR signature to check.
    expect(await page.getByTestId('offline-signature').isHidden()).toBe(true);
    await screenshot(page, 'verify-genuine-desktop');
    expect(errors).toEqual([]);
    await context.close();
  });

  it("shows a line's exemption under the item's name, as the PDF prints it", async () => {
    const waived = await issue(
      svc,
      zrzy,
      registrationCharge({
        payer: { type: 'unit', name: '某某科技有限公司' },
        lines: [{ itemCode: 'ZRZY-001', quantity: 1, amount: '0.00', exemption: '小微企业' }],
      }),
    );
    expect(waived.status).toBe(201);
    const { context, page, errors } = await newPage(browser);
    await page.goto(`${svc.url}/verify.html`);
    await fillAndVerify(page, waived.body);
    expect(await verdict(page)).toBe('genuine');
    const line = page.getByTestId('line');
    expect(await line.getByTestId('line-exemption').textContent()).toContain('减免：小微企业');
    expect(await line.getByRole('rowheader').textContent()).toContain('不动产登记费（住宅）');
    expect(await page.getByTestId('total').textContent()).toBe('0.00 元');
    await screenshot(page, 'verify-exemption-desktop');
    // A line charged in full says nothing of an exemption.
    await fillAndVerify(page, receipt);
    await page.getByTestId('receipt-number').filter({ hasText: receipt.number }).waitFor();
    expect(await page.getByTestId('line-exemption').count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('refuses malformed fields before asking, and says not genuine for a wrong check code', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${svc.url}/verify.html`);
    const asked: string[] = [];
    page.on('request', (req) => asked.push(req.url()));
    await fillAndVerify(page, { ...receipt, code: receipt.code.slice(0, 7) });
    expect(await page.getByTestId('code-error').textContent()).toContain('8 位数字');
    expect(await page.getByLabel('票据代码').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('code');
    expect(asked.filter((u) => u.includes('/v1/verify'))).toEqual([]);

    // Full-width digits (as Chinese input methods type them), spaces and lower case are accepted.
    const wide = receipt.number.replace(/\d/g, (d: string) => String.fromCharCode(0xff10 + Number(d)));
    await fillAndVerify(page, {
      code: receipt.code,
      number: ` ${wide} `,
      checkCode: receipt.checkCode.toLowerCase(),
    });
    expect(await verdict(page)).toBe('genuine');

    // A number mistyped after a genuine answer: the field says so, and that answer goes.
    await fillAndVerify(page, { ...receipt, number: receipt.number.slice(1) });
    expect(await page.getByTestId('number-error').textContent()).toContain('10 位数字');
    expect(await page.locator('#result').isHidden()).toBe(true);
    expect(await page.getByTestId('verdict').isVisible()).toBe(false);

    const wrong = receipt.checkCode === '222222' ? '333333' : '222222';
    await fillAndVerify(page, { ...receipt, checkCode: wrong });
    expect(await verdict(page)).toBe('not_found');
    expect(await page.getByTestId('verdict-title').textContent()).toContain('非真票');
    expect(await page.getByTestId('verdict').textContent()).toContain('查无此票');
    expect(await page.getByTestId('receipt').isHidden()).toBe(true);
    await expectReadableVerdict(page);
    await screenshot(page, 'verify-not-found-desktop');
    await context.close();
  });

  it('shows a reversed receipt in amber naming its red receipt, and the red one as genuine, naming the original', async () => {
    const original = (await issue(svc, zrzy)).body;
    const red = await reverse(original);
    const { context, page } = await newPage(browser, PHONE);
    await page.goto(`${svc.url}/verify.html`);
    await fillAndVerify(page, original);
    expect(await verdict(page)).toBe('reversed');
    expect(await page.getByTestId('verdict-title').textContent()).toContain('已冲红');
    expect(await page.getByTestId('reversed-by').textContent()).toContain(
      `代码 ${red.code} 号码 ${red.number}`,
    );
    await expectReadableVerdict(page);
    await screenshot(page, 'verify-reversed-phone');

    await page.goto(qrPage(red.verifyUrl));
    expect(await verdict(page)).toBe('genuine');
    expect(await page.getByTestId('reverses').textContent()).toContain(`号码 ${original.number}`);
    expect(await page.getByTestId('total').textContent()).toBe('-80.00 元');
    expect(await page.getByTestId('kind').textContent()).toContain('红字');
    await context.close();
  });

  it('says when checks come too fast (429), with the wait from Retry-After', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${svc.url}/verify.html`);
    const before = process.env.FEEPROOF_RATE_LIMIT_PER_MINUTE;
    process.env.FEEPROOF_RATE_LIMIT_PER_MINUTE = '1';
    try {
      await fillAndVerify(page, receipt);
      await verdict(page);
      await fillAndVerify(page, receipt);
      await page.locator('[data-testid="verdict"][data-state="rate_limited"]').waitFor();
    } finally {
      if (before === undefined) delete process.env.FEEPROOF_RATE_LIMIT_PER_MINUTE;
      else process.env.FEEPROOF_RATE_LIMIT_PER_MINUTE = before;
    }
    expect(await page.getByTestId('verdict').textContent()).toMatch(/请 \d+ 秒后再试/);
    await context.close();
  });
});

describe('verify by QR code URL', () => {
  it('checks the compact signature offline with the published key before asking the server, then shows genuine', async () => {
    expect(receipt.verifyUrl).toMatch(/[?&]sig=/);
    const { context, page, errors } = await newPage(browser, PHONE);
    const order: string[] = [];
    page.on('request', (req) => {
      const path = new URL(req.url()).pathname;
      if (path.startsWith('/v1/')) order.push(path);
    });
    await page.goto(qrPage(receipt.verifyUrl));
    expect(await verdict(page)).toBe('genuine');
    const offline = page.getByTestId('offline-signature');
    expect(await offline.getAttribute('data-state')).toBe('valid');
    expect(await offline.textContent()).toContain('离线签名有效');
    expect(order).toEqual(['/v1/keys', '/v1/verify']);
    // The fields are filled from the URL.
    expect(await page.getByLabel('票据代码').inputValue()).toBe(receipt.code);
    expect(await page.getByLabel('票据号码').inputValue()).toBe(receipt.number);
    expect(await page.getByLabel('校验码').inputValue()).toBe(receipt.checkCode);
    expect(await page.getByTestId('total').textContent()).toBe('80.00 元');
    await screenshot(page, 'verify-qr-phone');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('works under the content security policy that CloudFront sends (no inline script or style)', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.route(/\/verify\.html/, async (route) => {
      const response = await route.fetch();
      await route.fulfill({
        response,
        headers: { ...response.headers(), 'content-security-policy': CONTENT_SECURITY_POLICY },
      });
    });
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(qrPage(receipt.verifyUrl));
    expect(await verdict(page)).toBe('genuine');
    expect(await page.getByTestId('offline-signature').getAttribute('data-state')).toBe('valid');
    expect(violations).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('says not genuine when the QR content was altered or signed by an unknown key', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(qrPage(receipt.verifyUrl, { t: '8.00' }));
    expect(await verdict(page)).toBe('invalid');
    const offline = page.getByTestId('offline-signature');
    expect(await offline.getAttribute('data-state')).toBe('invalid');
    expect(await offline.textContent()).toContain('离线签名无效');
    expect(await page.getByTestId('reasons').textContent()).toContain('二维码签名无效');
    // The record as registered is still shown, to compare against.
    expect(await page.getByTestId('total').textContent()).toBe('80.00 元');
    await screenshot(page, 'verify-qr-altered-desktop');

    await page.goto(qrPage(receipt.verifyUrl, { kid: 'no-such-key' }));
    expect(await verdict(page)).toBe('invalid');
    expect(await page.getByTestId('offline-signature').textContent()).toContain('不是本系统公布的密钥');

    const sig = new URL(receipt.verifyUrl).searchParams.get('sig')!;
    const flipped = (sig[10] === 'A' ? 'B' : 'A') + '';
    await page.goto(qrPage(receipt.verifyUrl, { sig: sig.slice(0, 10) + flipped + sig.slice(11) }));
    expect(await verdict(page)).toBe('invalid');
    expect(await page.getByTestId('offline-signature').getAttribute('data-state')).toBe('invalid');
    await context.close();
  });
});

describe('verify a PDF', () => {
  it('says genuine for the issued PDF chosen with the file input, every check passed', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(`${svc.url}/verify.html`);
    await choosePdf(page, pdf);
    expect(await verdict(page)).toBe('genuine');
    const checks = page.getByTestId('check');
    expect(await checks.evaluateAll((els) => els.map((el) => el.getAttribute('data-name')))).toEqual([
      ...PDF_CHECK_NAMES,
    ]);
    expect(await checks.evaluateAll((els) => els.map((el) => el.getAttribute('data-ok')))).not.toContain(
      'false',
    );
    expect(await page.getByTestId('receipt-number').textContent()).toBe(receipt.number);
    expect(await page.getByTestId('file-name').textContent()).toBe('receipt.pdf');
    await screenshot(page, 'verify-pdf-genuine-desktop');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('says genuine for the PDF dropped on the page', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${svc.url}/verify.html`);
    await page.evaluate(
      ({ b64 }) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const data = new DataTransfer();
        data.items.add(new File([bytes], 'dropped.pdf', { type: 'application/pdf' }));
        const zone = document.getElementById('dropzone')!;
        for (const type of ['dragenter', 'dragover', 'drop'])
          zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: data }));
      },
      { b64: pdf.toString('base64') },
    );
    expect(await verdict(page)).toBe('genuine');
    expect(await page.getByTestId('file-name').textContent()).toBe('dropped.pdf');
    await context.close();
  });

  it('says not genuine, with the reason, for a PDF altered by one byte inside the signed range', async () => {
    const text = pdf.toString('latin1');
    const range = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)/.exec(text)!;
    // A byte of the binary comment under the header: the file still reads, but is no longer what was signed.
    const at = text.indexOf('\n%', 5) + 2;
    expect(at).toBeGreaterThan(2);
    expect(at).toBeLessThan(Number(range[2]));
    const altered = Buffer.from(pdf);
    altered[at] = altered[at]! ^ 0x01;

    for (const viewport of [undefined, PHONE]) {
      const { context, page } = await newPage(browser, viewport);
      await page.goto(`${svc.url}/verify.html`);
      await choosePdf(page, altered, 'altered.pdf');
      expect(await verdict(page)).toBe('invalid');
      expect(await page.getByTestId('verdict-title').textContent()).toContain('非真票');
      const failed = page.locator('[data-testid="check"][data-ok="false"]');
      expect(await failed.count()).toBeGreaterThan(0);
      expect(await failed.first().getAttribute('data-name')).toBe('message_digest');
      expect((await failed.first().getByTestId('check-reason').textContent())?.length).toBeGreaterThan(0);
      expect((await page.getByTestId('reasons').textContent())?.length).toBeGreaterThan(0);
      expect(await page.getByTestId('receipt').isHidden()).toBe(true);
      await expectReadableVerdict(page);
      await screenshot(page, viewport ? 'verify-pdf-altered-phone' : 'verify-pdf-altered-desktop');
      await context.close();
    }
  });

  it('says not genuine for a file that is not a PDF', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${svc.url}/verify.html`);
    await choosePdf(page, Buffer.from('hello, not a receipt'), 'note.pdf');
    expect(await verdict(page)).toBe('invalid');
    expect(await page.getByTestId('verdict').textContent()).toContain('无法识别');
    await context.close();
  });

  it('can be used from the keyboard: the file chooser is reachable and its focus visible', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${svc.url}/verify.html`);
    await page.getByLabel('校验码').focus();
    await page.keyboard.press('Tab'); // the submit button
    await page.keyboard.press('Tab'); // the file input, shown through its label
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('pdf-file');
    const outline = await page
      .locator('label[for="pdf-file"]')
      .evaluate((el) => getComputedStyle(el).outlineStyle);
    expect(outline).toBe('solid');
    // Space on the focused input opens the file chooser (activation is a click on the input).
    await page.evaluate(() => {
      const input = document.getElementById('pdf-file')!;
      input.addEventListener('click', () => input.setAttribute('data-activated', ''), { once: true });
    });
    await page.keyboard.press('Space');
    await page.locator('#pdf-file[data-activated]').waitFor({ state: 'attached' });
    await page
      .locator('#pdf-file')
      .setInputFiles({ name: 'kb.pdf', mimeType: 'application/pdf', buffer: pdf });
    expect(await verdict(page)).toBe('genuine');
    await context.close();
  });
});
