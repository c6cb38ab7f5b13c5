import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tamper } from '../security/support.js';
import { issue } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';
import { buildWeb, launchBrowser, newPage, screenshot } from './support.js';

/**
 * The verification page's transparency-log line (issue 13): the page fetches the checkpoint and
 * tiles itself and checks the receipt's inclusion in the browser. The service's log timer is
 * stopped so that "waiting for the next checkpoint" is seen before svc.log.run().
 */
type Issued = { code: string; number: string; checkCode: string };

let svc: TestService;
let browser: Browser;
let zrzy: string;

beforeAll(async () => {
  buildWeb();
  [svc, browser] = await Promise.all([startTestService(), launchBrowser()]);
  await svc.log.stop();
  zrzy = await svc.token({ role: 'collector', department: 'ZRZY' });
});
afterAll(async () => {
  await browser?.close();
  await svc?.stop();
});

async function issueOne(): Promise<Issued> {
  const r = await issue(svc, zrzy);
  expect(r.status).toBe(201);
  return r.body;
}

async function check(page: Page, r: Issued) {
  await page.getByLabel('票据代码').fill(r.code);
  await page.getByLabel('票据号码').fill(r.number);
  await page.getByLabel('校验码').fill(r.checkCode);
  await page.getByRole('button', { name: /查验/ }).click();
}

/** The log line once it has an outcome (not while checking), and its state. */
async function logLine(page: Page) {
  const line = page.locator('[data-testid="log-check"]:not([data-log="checking"])');
  await line.waitFor();
  return { state: await line.getAttribute('data-log'), text: (await line.textContent()) ?? '' };
}

describe('the verification page checks the receipt in the public log', () => {
  it('says a new receipt waits for the next checkpoint, then shows its checked inclusion and the proof link', async () => {
    const r = await issueOne();
    const { context, page, errors } = await newPage(browser);
    await page.goto(`${svc.url}/verify.html`);
    await check(page, r);
    const waiting = await logLine(page);
    expect(waiting.state).toBe('pending');
    expect(waiting.text).toMatch(/等待记入公开日志的下一个检查点/);
    expect(waiting.text).toMatch(/waiting for the next checkpoint/);

    await svc.log.run();
    const index = (
      await svc.api('GET', `/v1/verify?code=${r.code}&number=${r.number}&checkCode=${r.checkCode}`)
    ).body.log.index as number;
    const size = Number((await (await fetch(`${svc.url}/log/checkpoint`)).text()).split('\n')[1]);
    // The page reads the checkpoint and tiles itself: record that it does.
    const fetched: string[] = [];
    page.on('request', (req) => fetched.push(new URL(req.url()).pathname));
    await check(page, r);
    const shown = await logLine(page);
    expect(shown.state).toBe('valid');
    expect(shown.text).toContain(`已记入公开日志第 ${index} 条；检查点大小 ${size}，由日志及 0 个见证方签署`);
    expect(shown.text).toContain(
      `Recorded in the public log at index ${index}; checkpoint of size ${size}, signed by the log and 0 witnesses`,
    );
    expect(fetched).toContain('/log/checkpoint');
    expect(fetched.some((p) => p.startsWith('/log/tile/0/'))).toBe(true);
    expect(fetched.some((p) => p.startsWith('/log/tile/entries/'))).toBe(true);
    expect(fetched).toContain('/v1/keys');
    const link = page.getByTestId('log-proof-link');
    expect(await link.getAttribute('download')).toBe(`${r.code}-${r.number}.tlog-proof`);
    const download = await fetch(new URL((await link.getAttribute('href'))!, `${svc.url}/verify.html`));
    expect(download.status).toBe(200);
    expect(await download.text()).toMatch(/^c2sp\.org\/tlog-proof@v1\nindex \d+\n/);
    await screenshot(page, 'verify-log-included');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('says plainly, in red, when a served tile does not hash to the signed root', async () => {
    const r = await issueOne();
    await svc.log.run();
    const { context, page, errors } = await newPage(browser);
    // The network serves a tampered hash tile: one flipped bit in the first hash.
    await page.route('**/log/tile/0/**', async (route) => {
      const res = await route.fetch();
      const body = Buffer.from(await res.body());
      body[0] = body[0]! ^ 0x01;
      await route.fulfill({ response: res, body });
    });
    await page.goto(`${svc.url}/verify.html`);
    await check(page, r);
    const shown = await logLine(page);
    expect(shown.state).toBe('invalid');
    expect(shown.text).toMatch(/公开日志核对未通过/);
    expect(await page.getByTestId('log-failure').textContent()).toMatch(/^bad_inclusion_proof: /);
    expect(await page.getByTestId('log-check').getAttribute('data-state')).toBe('invalid');
    await screenshot(page, 'verify-log-tampered-tile');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('an altered record: the verdict says tampered and the log line that its commitment does not match', async () => {
    const r = await issueOne();
    await svc.log.run();
    await tamper(r, 'CHECKS', (copy) => {
      copy.payer.name = `${copy.payer.name}改`;
    });
    const { context, page, errors } = await newPage(browser);
    await page.goto(`${svc.url}/verify.html`);
    await check(page, r);
    const shown = await logLine(page);
    expect(await page.getByTestId('verdict').getAttribute('data-state')).toBe('invalid');
    expect(shown.state).toBe('invalid');
    expect(await page.getByTestId('log-failure').textContent()).toMatch(/^commitment_mismatch: /);
    expect(errors).toEqual([]);
    await context.close();
  });
});
