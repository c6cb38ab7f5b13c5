import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetPublicKeyCommand, KMSClient, SignCommand, type SignCommandInput } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { PDFName, PDFString } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CmsSignError } from '../../../lambdas/adapters/pdf/cms.js';
import { readReceiptInfo } from '../../../lambdas/adapters/pdf/info.js';
import { PdfSignError, signPdfDocument } from '../../../lambdas/adapters/pdf/pades.js';
import { renderReceiptDocument } from '../../../lambdas/adapters/pdf/render.js';
import {
  extractSignature,
  PDF_SIGNATURE_CHECKS,
  verifyPdfSignature,
} from '../../../lambdas/adapters/pdf/verify.js';
import { createSelfSignedCertificate } from '../../../lambdas/adapters/signing/certificate.js';
import { createKmsSigner } from '../../../lambdas/adapters/signing/kms-signer.js';
import { openLocalSigner } from '../../../lambdas/adapters/signing/local-signer.js';
import { p256KeyFromPem, signP256Digest } from '../../../lambdas/adapters/signing/p256.js';
import type { ReceiptContent } from '../../../lambdas/core/receipt.js';
import type { Signer } from '../../../lambdas/core/signer.js';
import { BUREAU, blueReceipt, redReceipt, urlOf } from '../../support/sample-receipts.js';
import { renderUnsigned, run, signSaved } from './tools.js';

let dir: string;
let signer: Signer;
let certificate: Uint8Array;
let blue: Uint8Array;
let red: Uint8Array;

const DAY = 86_400_000;
const certificateFor = (s: Signer, commonName = 'feeproof 电子票据签名') =>
  createSelfSignedCertificate(s, {
    commonName,
    organization: BUREAU,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 3650 * DAY),
  });

/** As the service makes a receipt's PDF: rendered, then signed as it is saved. */
async function renderAndSign(content: ReceiptContent, s = signer, cert = certificate): Promise<Uint8Array> {
  const doc = await renderReceiptDocument({ content, verifyUrl: urlOf(content), bureauName: BUREAU });
  return signPdfDocument(doc, s, cert, {
    signingTime: new Date(content.issuedAt),
    reason: '非税收入电子票据',
    location: '某市',
    name: 'feeproof',
  });
}

async function save(name: string, pdf: Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, pdf);
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'feeproof-pades-'));
  signer = await openLocalSigner(join(dir, 'keys', 'signing-key.pem'));
  certificate = await certificateFor(signer);
  blue = await renderAndSign(blueReceipt);
  red = await renderAndSign(redReceipt);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Flips one bit of the byte at `offset`. */
function flipped(pdf: Uint8Array, offset: number): Uint8Array {
  const copy = pdf.slice();
  copy[offset]! ^= 0x01;
  return copy;
}

describe('signPdfDocument', () => {
  it.each([
    ['blue', () => blue],
    ['red', () => red],
  ])('makes a %s receipt that pdfsig finds valid and covering the whole document', async (name, pdf) => {
    const r = await run('pdfsig', [await save(`${name}.pdf`, pdf())]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Signature Type: ETSI.CAdES.detached');
    expect(r.stdout).toContain('Signing Hash Algorithm: SHA-256');
    expect(r.stdout).toContain('Signature Validation: Signature is Valid.');
    expect(r.stdout).toContain('Total document signed');
    expect(r.stdout).toContain('Signer Certificate Common Name: feeproof 电子票据签名');
    // Self-signed: poppler 22.12 says "Certificate issuer is unknown." That is expected.
    expect(r.stdout).toMatch(
      /Certificate Validation: (Certificate issuer is unknown|Certificate is Trusted)\./,
    );
  });

  it('keeps the PDF well-formed (qpdf --check), readable (pdftotext) and small', async () => {
    for (const [name, pdf] of [
      ['blue', blue],
      ['red', red],
    ] as const) {
      const path = await save(`${name}-q.pdf`, pdf);
      const check = await run('qpdf', ['--check', path]);
      expect(check.code).toBe(0);
      expect(check.stdout).toContain('No syntax or stream encoding errors found');
      expect(check.stderr).toBe('');
      expect(pdf.length).toBeLessThan(60_000);
    }
    const text = await run('pdftotext', ['-enc', 'UTF-8', await save('t.pdf', blue), '-']);
    for (const expected of ['11010126', '0000001234', '欧阳晓明', '陆佰陆拾元整'])
      expect(text.stdout).toContain(expected);
  });

  it('still has a QR code that decodes to the verify URL', async () => {
    const path = await save('qr.pdf', red);
    expect((await run('pdftoppm', ['-png', '-r', '150', '-singlefile', path, join(dir, 'qr')])).code).toBe(0);
    const zbar = await run('zbarimg', ['--raw', '-q', join(dir, 'qr.png')]);
    expect(zbar.stdout.trim()).toBe(urlOf(redReceipt));
  });

  it('passes every check of verifyPdfSignature and says which receipt it is', async () => {
    const report = await verifyPdfSignature(blue, [{ certificateDer: certificate }]);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.checks.map((c) => c.name)).toEqual([...PDF_SIGNATURE_CHECKS]);
    expect(report.ok).toBe(true);
    expect(report.receipt).toEqual({ code: '11010126', number: '0000001234', kind: 'blue' });
    expect(report.signingTime).toEqual(new Date('2026-03-05T06:30:12Z'));
    expect(report.signer?.subject).toContain('CN=feeproof 电子票据签名');
    expect(report.signer?.certificateSha256).toBe(createHash('sha256').update(certificate).digest('hex'));
    expect(await readReceiptInfo(red)).toEqual({ code: '11010126', number: '0000001240', kind: 'red' });
  });

  it('has a byte range that is the whole file but the /Contents hex string', () => {
    const { byteRange, cms } = extractSignature(blue);
    const [a, b, c, d] = byteRange;
    expect(a).toBe(0);
    expect(c + d).toBe(blue.length);
    expect(String.fromCharCode(blue[b]!, blue[c - 1]!)).toBe('<>');
    expect(cms[0]).toBe(0x30);
    expect(cms.length).toBeLessThan(2000);
  });

  it('is detected when one byte inside the signed range changes', async () => {
    const info = Buffer.from(blue).indexOf('/FeeproofNumber (0000001234)');
    expect(info).toBeGreaterThan(0);
    const renumbered = blue.slice();
    renumbered[info + '/FeeproofNumber (000000123'.length] = '5'.charCodeAt(0); // claims to be another receipt
    const { byteRange } = extractSignature(blue);
    for (const tampered of [
      renumbered,
      flipped(blue, Math.floor(byteRange[1] / 2)),
      flipped(blue, blue.length - 10),
    ]) {
      const r = await run('pdfsig', [await save('tampered.pdf', tampered)]);
      expect(r.stdout).not.toContain('Signature is Valid');
      const report = await verifyPdfSignature(tampered, [{ certificateDer: certificate }]);
      expect(report.ok).toBe(false);
      expect(
        report.checks.some((c) => !c.ok && ['message_digest', 'byte_range', 'readable'].includes(c.name)),
      ).toBe(true);
    }
    const digest = await verifyPdfSignature(renumbered, [{ certificateDer: certificate }]);
    expect(digest.checks.find((c) => c.name === 'message_digest')).toMatchObject({ ok: false });
    expect(digest.receipt?.number).toBe('0000001235');
  });

  it('is detected when the signature itself changes', async () => {
    const { byteRange, cms } = extractSignature(blue);
    // The last bytes of the CMS are the ECDSA signature value.
    const hexOffset = byteRange[1] + 1 + (cms.length - 5) * 2;
    const tampered = blue.slice();
    tampered[hexOffset] = tampered[hexOffset] === 0x30 ? 0x31 : 0x30;
    const r = await run('pdfsig', [await save('badsig.pdf', tampered)]);
    expect(r.stdout).not.toContain('Signature is Valid');
    const report = await verifyPdfSignature(tampered, [{ certificateDer: certificate }]);
    expect(report.checks.find((c) => c.name === 'signature')).toMatchObject({ ok: false });
    expect(report.checks.find((c) => c.name === 'message_digest')).toMatchObject({ ok: true });
  });

  it('fails only the trust check for a valid signature by an unknown certificate', async () => {
    const other = await openLocalSigner(join(dir, 'keys', 'other.pem'));
    const pdf = await renderAndSign(blueReceipt, other, await certificateFor(other, 'someone else'));
    const report = await verifyPdfSignature(pdf, [{ certificateDer: certificate }]);
    expect(report.ok).toBe(false);
    expect(report.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['trusted_certificate']);
  });

  it('never throws on garbage, and says what is wrong', async () => {
    const unsigned = await renderUnsigned({
      content: blueReceipt,
      verifyUrl: urlOf(blueReceipt),
      bureauName: BUREAU,
    });
    const cases: [Uint8Array, string][] = [
      [new Uint8Array(0), 'readable'],
      [new TextEncoder().encode('hello world'), 'readable'],
      [new Uint8Array(4096).map((_, i) => (i * 7919) % 256), 'readable'],
      [unsigned, 'has_signature'],
      [blue.subarray(0, blue.length - 100), 'byte_range'],
      [new TextEncoder().encode('%PDF-1.7\n/ByteRange [0 5 10 3] /Contents <3082>'), 'byte_range'],
      [new TextEncoder().encode('%PDF-1.7\n/Contents <3082ZZ>/ByteRange [0 16 22 24]\n'), 'byte_range'],
      [Buffer.concat([blue, Buffer.from('\n%%EOF\n')]), 'byte_range'],
    ];
    for (const [input, failed] of cases) {
      const report = await verifyPdfSignature(input, [{ certificateDer: certificate }]);
      expect(report.ok).toBe(false);
      expect(report.checks.at(-1)).toMatchObject({ name: failed, ok: false, reason: expect.any(String) });
    }
    // A well-formed byte range whose hole holds garbage instead of CMS.
    const pad = (n: number) => String(n).padStart(10, '0');
    const prefix = '%PDF-1.7\n<< /Contents ';
    const hole = '<DEADBEEF>';
    const suffixLength = ` /ByteRange [0 ${pad(0)} ${pad(0)} ${pad(0)}] >>\n`.length;
    const b = prefix.length;
    const c = b + hole.length;
    const text = `${prefix}${hole} /ByteRange [0 ${pad(b)} ${pad(c)} ${pad(suffixLength)}] >>\n`;
    const report = await verifyPdfSignature(new TextEncoder().encode(text), []);
    expect(report.checks.at(-1)).toMatchObject({ name: 'cms', ok: false });
    expect(await readReceiptInfo(new Uint8Array([1, 2, 3]))).toBeNull();
  });

  it('makes room for a certificate of a long name, which the CMS carries three times', async () => {
    // As a department's certificate is named after it: a name of 100 characters, the most a
    // department's printed name may have (the reserve of certificate + 1 KB did not hold it).
    const long = await certificateFor(signer, `${'某'.repeat(100)} (ZRZY) 开票单位签章`);
    const pdf = await renderAndSign(blueReceipt, signer, long);
    const r = await run('pdfsig', [await save('long-name.pdf', pdf)]);
    expect(r.stdout).toContain('Signature Validation: Signature is Valid.');
    expect(r.stdout).toContain('Total document signed');
  });

  it('refuses to sign twice, and a certificate for another key', async () => {
    await expect(signSaved(blue, signer, certificate, { signingTime: new Date() })).rejects.toThrow(
      PdfSignError,
    );
    const other = await openLocalSigner(join(dir, 'keys', 'other2.pem'));
    const unsigned = await renderUnsigned({
      content: blueReceipt,
      verifyUrl: urlOf(blueReceipt),
      bureauName: BUREAU,
    });
    await expect(signSaved(unsigned, other, certificate, { signingTime: new Date() })).rejects.toThrow(
      CmsSignError,
    );
  });

  it('refuses a document that already holds the byte range placeholder, rather than patch the wrong one', async () => {
    // The placeholder is found by searching the saved bytes: a second one (here a literal
    // string in the catalog, written before the signature) must stop signing, not be patched.
    const doc = await renderReceiptDocument({
      content: blueReceipt,
      verifyUrl: urlOf(blueReceipt),
      bureauName: BUREAU,
    });
    doc.catalog.set(
      PDFName.of('Decoy'),
      PDFString.of('/ByteRange [ 0 /********** /********** /********** ]'),
    );
    await expect(signPdfDocument(doc, signer, certificate, { signingTime: new Date() })).rejects.toThrow(
      /expected one \/ByteRange placeholder, found 2/,
    );
  });

  it('signs through the KMS adapter just the same', async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      format: 'pem',
      type: 'pkcs8',
    });
    const key = p256KeyFromPem(pem.toString());
    const client = new KMSClient({
      region: 'cn-north-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' },
    });
    const kms = mockClient(client);
    kms
      .on(GetPublicKeyCommand)
      .resolves({ PublicKey: key.spki, KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    kms
      .on(SignCommand)
      .callsFake((input: SignCommandInput) => ({ Signature: signP256Digest(input.Message!, key.secretKey) }));
    const kmsSigner = createKmsSigner({ client, keyId: 'alias/feeproof-receipts' });
    const kmsCertificate = await certificateFor(kmsSigner);
    const pdf = await renderAndSign(redReceipt, kmsSigner, kmsCertificate);
    expect((await verifyPdfSignature(pdf, [{ certificateDer: kmsCertificate }])).ok).toBe(true);
    expect((await run('pdfsig', [await save('kms.pdf', pdf)])).stdout).toContain('Signature is Valid.');
  });

  it('renders and signs in well under a second', async () => {
    const started = performance.now();
    const rounds = 5;
    let size = 0;
    for (let i = 0; i < rounds; i++) size = (await renderAndSign(blueReceipt)).length;
    const ms = (performance.now() - started) / rounds;
    console.info(`render+sign: ${ms.toFixed(0)} ms per receipt, ${size} bytes`);
    expect(ms).toBeLessThan(1000);
  });
});
