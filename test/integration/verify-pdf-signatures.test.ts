/**
 * Issue 17 over HTTP: an issued receipt's PDF has the collecting unit's PAdES signature and the
 * supervision signature in an incremental update, carries its EInvoice XML, and the PDF check
 * explains each signature; a PDF whose embedded XML was swapped (re-signed with the service's
 * own keys, so both PAdES signatures hold) or removed fails `embedded_data` with its reason.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PdfSignatureSpec, signPdfRevisions } from '../../lambdas/adapters/pdf/pades.js';
import { renderReceiptDocument } from '../../lambdas/adapters/pdf/render.js';
import { certificateFromPem } from '../../lambdas/adapters/signing/certificate.js';
import { getDeps } from '../../lambdas/app/deps.js';
import { einvoiceXml } from '../../lambdas/core/einvoice.js';
import { contentOf, type ReceiptContent } from '../../lambdas/core/receipt.js';
import { run, withTempDir } from '../adapters/pdf/tools.js';
import { issue } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
let zrzy: string;
// biome-ignore lint/suspicious/noExplicitAny: API answers
let receipt: any;
let pdf: Buffer;

const postPdf = (bytes: Uint8Array) =>
  svc.api('POST', '/v1/verify/pdf', { body: bytes, contentType: 'application/pdf' });

beforeAll(async () => {
  svc = await startTestService();
  zrzy = await svc.token({ role: 'collector', department: 'ZRZY' });
  receipt = (await issue(svc, zrzy)).body;
  pdf = (await svc.api('GET', `/v1/receipts/${receipt.code}/${receipt.number}/pdf`, { token: zrzy })).bytes;
});
afterAll(async () => svc?.stop());

/** The issued receipt re-rendered with another XML (or none) and signed with the service's own two keys. */
async function resigned(einvoice: string | undefined): Promise<Uint8Array> {
  const deps = getDeps();
  const stored = (await deps.receipts.getReceipt(receipt))!;
  const content = contentOf(stored);
  const bureau = await deps.signer();
  const bureauCert = await deps.keys.certificateFor(bureau);
  const unit = await deps.departmentKeys!.keyFor('ZRZY');
  const unitCert = await deps.keys.departmentCertificateFor(unit, stored.collectingUnit);
  const doc = await renderReceiptDocument({
    content,
    verifyUrl: 'https://example.gov.cn/verify',
    bureauName: deps.config.bureauName,
    ...(einvoice ? { einvoiceXml: einvoice } : {}),
  });
  const time = new Date(content.issuedAt);
  const specs: PdfSignatureSpec[] = [
    {
      signer: unit.p256!,
      certificateDer: certificateFromPem(unitCert.certificatePem),
      fieldName: 'u',
      signingTime: time,
    },
    {
      signer: bureau,
      certificateDer: certificateFromPem(bureauCert.certificatePem),
      fieldName: 's',
      signingTime: time,
    },
  ];
  return signPdfRevisions(doc, specs);
}

describe('the issued PDF', () => {
  it('has two valid PAdES signatures: the unit first, the supervision one over the whole file', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'r.pdf'), pdf);
      const r = await run('pdfsig', [join(dir, 'r.pdf')]);
      const [first, second] = r.stdout.split(/Signature #\d:/).slice(1);
      expect(first).toContain('Signature Field Name: feeproof-unit-signature');
      expect(first).toContain('(ZRZY) 开票单位签章');
      expect(first).toContain('Signature is Valid.');
      expect(second).toContain('Signature Field Name: feeproof-supervision-signature');
      expect(second).toContain('Signature is Valid.');
      expect(second).toContain('Total document signed');
      const list = await run('pdfdetach', ['-list', join(dir, 'r.pdf')]);
      expect(list.stdout).toContain(`einvoice-${receipt.code}-${receipt.number}.xml`);
    });
  });

  it('is explained by the PDF check: whose each signature is and what it covers', async () => {
    const res = await postPdf(pdf);
    expect(res.status).toBe(200);
    expect(res.body.valid).toBe(true);
    expect(res.body.checks.find((c: { name: string }) => c.name === 'embedded_data')).toEqual({
      name: 'embedded_data',
      ok: true,
    });
    const [unit, supervision] = res.body.pdfSignatures;
    expect(unit).toMatchObject({
      index: 1,
      expectedRole: 'unit',
      role: 'unit',
      department: 'ZRZY',
      coversWholeFile: false,
      ok: true,
    });
    expect(supervision).toMatchObject({
      index: 2,
      expectedRole: 'supervision',
      role: 'supervision',
      coversWholeFile: true,
      signedBytes: pdf.length,
      ok: true,
    });
    expect(unit.signedBytes).toBeLessThan(supervision.byteRange[1]);
  });
});

describe('a PDF whose embedded XML is not the signed data', () => {
  it('swapped: both PAdES signatures hold, embedded_data fails naming the data signatures', async () => {
    const stored = (await getDeps().receipts.getReceipt(receipt))!;
    const edited: ReceiptContent = { ...contentOf(stored), handledBy: '别人' };
    const swapped = await resigned(einvoiceXml(edited, stored.signatures!));
    const res = await postPdf(swapped);
    expect(res.status).toBe(200);
    expect(res.body.valid).toBe(false);
    const byName = Object.fromEntries(
      res.body.checks.map((c: { name: string; ok: boolean; reason?: string }) => [c.name, c]),
    );
    expect(byName.signature.ok).toBe(true);
    expect(byName.trusted_certificate.ok).toBe(true);
    expect(byName.embedded_data.ok).toBe(false);
    expect(byName.embedded_data.reason).toMatch(/data signatures do not hold.*SIGNATURE_INVALID/);
  });

  it('removed: embedded_data fails, saying the two signatures require it', async () => {
    const res = await postPdf(await resigned(undefined));
    expect(res.body.valid).toBe(false);
    const check = res.body.checks.find((c: { name: string }) => c.name === 'embedded_data');
    expect(check.ok).toBe(false);
    expect(check.reason).toContain('no embedded EInvoice XML');
  });
});
