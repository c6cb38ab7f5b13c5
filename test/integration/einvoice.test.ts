/**
 * Issue 17: GET /v1/receipts/{code}/{number}/einvoice.xml answers the receipt as the national
 * EInvoice XML with both signatures (collector of the department, any for an auditor), and
 * `feeproof verify receipt.xml` checks both signatures offline against the published keys,
 * naming the one that fails.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEInvoiceXml, receiptOfEInvoice } from '../../lambdas/core/einvoice.js';
import { runCli as cli } from '../support/cli.js';
import { issue } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
let collector: string;
// biome-ignore lint/suspicious/noExplicitAny: API answers
let receipt: any;
let xml: string;
const dir = mkdtempSync(join(tmpdir(), 'feeproof-einvoice-'));

beforeAll(async () => {
  svc = await startTestService();
  collector = await svc.token({ role: 'collector', department: 'ZRZY' });
  receipt = (await issue(svc, collector)).body;
}, 120_000);
afterAll(async () => svc?.stop());

const path = () => `/v1/receipts/${receipt.code}/${receipt.number}/einvoice.xml`;

describe('GET /v1/receipts/{code}/{number}/einvoice.xml', () => {
  it('answers the EInvoice XML with both signatures, as stored, that reads back to the receipt', async () => {
    const res = await svc.api('GET', path(), { token: collector });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/xml; charset=utf-8');
    xml = res.bytes.toString('utf8');
    const { content, signatures } = receiptOfEInvoice(parseEInvoiceXml(xml));
    expect(content).toMatchObject({ code: receipt.code, number: receipt.number, department: 'ZRZY' });
    const stored = (
      await svc.api('GET', `/v1/receipts/${receipt.code}/${receipt.number}`, { token: collector })
    ).body;
    expect(signatures).toEqual(stored.signatures);
  });

  it('an auditor reads any department’s; a collector of another department is refused', async () => {
    const auditor = await svc.token({ role: 'auditor' });
    expect((await svc.api('GET', path(), { token: auditor })).status).toBe(200);
    const other = await svc.token({ role: 'collector', department: 'GA' });
    expect((await svc.api('GET', path(), { token: other })).status).toBe(403);
  });
});

describe('feeproof verify receipt.xml', () => {
  /** The XML with one signature's value changed in one base64 character. */
  const altered = (element: 'InvoicingPartySignature' | 'SupervisorPartySignature') =>
    xml.replace(
      new RegExp(`(<${element}>.*?<SignatureValue>.{20})(.)`),
      (_, head: string, c: string) => head + (c === 'A' ? 'B' : 'A'),
    );

  it('exits 0 for the genuine XML and 1 naming the altered signature, 2 for something else', async () => {
    const keys = join(dir, 'keys.json');
    writeFileSync(keys, JSON.stringify((await svc.api('GET', '/v1/keys')).body));
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };

    const genuine = await cli(['verify', file('genuine.xml', xml), '--keys', keys]);
    expect(genuine.stdout).toContain('pass  unit signature');
    expect(genuine.stdout).toContain('pass  supervision signature');
    expect(genuine.status).toBe(0);

    const unit = await cli(['verify', file('unit.xml', altered('InvoicingPartySignature')), '--keys', keys]);
    expect(unit.status).toBe(1);
    expect(unit.stdout).toMatch(/FAIL {2}unit signature .*SIGNATURE_INVALID.*开票单位签章/);

    const supervision = await cli([
      'verify',
      file('supervision.xml', altered('SupervisorPartySignature')),
      '--keys',
      keys,
    ]);
    expect(supervision.status).toBe(1);
    expect(supervision.stdout).toContain('pass  unit signature');
    expect(supervision.stdout).toMatch(/FAIL {2}supervision signature .*SIGNATURE_INVALID.*财政部门监制签章/);

    const missing = await cli([
      'verify',
      file('missing.xml', xml.replace(/<SupervisorPartySignature>.*?<\/SupervisorPartySignature>/, '')),
      '--keys',
      keys,
    ]);
    expect(missing.status).toBe(2); // no longer a document of the format: refused as unusable
    expect(missing.stderr).toContain('SupervisorPartySignature: is required');

    expect((await cli(['verify', file('garbage.xml', 'not xml'), '--keys', keys])).status).toBe(2);
  }, 120_000);
});
