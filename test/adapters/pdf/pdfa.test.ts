/**
 * Issue 17: the receipt PDF as the standard shapes it. Each PDF/A-3b requirement is read back
 * from the PDF's objects (qpdf --json) and checked with the tools this machine has (qpdf
 * --check, pdffonts, pdfsig, pdfdetach, pdfinfo); there is no veraPDF here (docs/einvoice.md,
 * "PDF/A-3b conformance"). Then the two PAdES signatures (the unit's, the supervision one in an
 * incremental update), the embedded XML against the signed data, and the log salt.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyResolverOf } from '../../../lambdas/adapters/dynamo/keyring.js';
import { checkEmbeddedData, readEmbeddedData } from '../../../lambdas/adapters/pdf/embedded.js';
import { type PdfSignatureSpec, signPdfRevisions } from '../../../lambdas/adapters/pdf/pades.js';
import { iccProfilePath } from '../../../lambdas/adapters/pdf/pdfa.js';
import { einvoiceFileName, renderReceiptDocument } from '../../../lambdas/adapters/pdf/render.js';
import { verifyPdfSignature } from '../../../lambdas/adapters/pdf/verify.js';
import {
  certificateToPem,
  createSelfSignedCertificate,
} from '../../../lambdas/adapters/signing/certificate.js';
import { p256MessageSigner } from '../../../lambdas/adapters/signing/department-keys.js';
import { openLocalSigner } from '../../../lambdas/adapters/signing/local-signer.js';
import { receiptLogEntry } from '../../../lambdas/adapters/tlog/ledger-entries.js';
import { einvoiceXml } from '../../../lambdas/core/einvoice.js';
import { canonicalReceipt, type ReceiptContent } from '../../../lambdas/core/receipt.js';
import type { Signer } from '../../../lambdas/core/signer.js';
import { receiptCommitment } from '../../../lambdas/core/tlog/entries.js';
import { signTwice, type TwoSignatures } from '../../../lambdas/core/two-signatures.js';
import { BUREAU, blueReceipt, urlOf } from '../../support/sample-receipts.js';
import { run } from './tools.js';

const SALT = 'q83vEjRWeJCrze8SNFZ4kA==';
const DAY = 86_400_000;

let dir: string;
let unit: Signer;
let bureau: Signer;
let unitCert: Uint8Array;
let bureauCert: Uint8Array;
let keys: { keyId: string; certificatePem: string; role: 'unit' | 'supervision'; department?: string }[];
let trusted: { certificateDer: Uint8Array; role: 'unit' | 'supervision'; department?: string }[];
let signatures: TwoSignatures;
let pdf: Uint8Array;
let path: string;
/** qpdf --json of the issued PDF: its objects by "obj:N 0 R". */
let objects: Record<string, { value?: Record<string, unknown>; stream?: { dict: Record<string, unknown> } }>;

const certificateFor = (s: Signer, commonName: string) =>
  createSelfSignedCertificate(s, {
    commonName,
    organization: BUREAU,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 3650 * DAY),
  });

const specs = (): PdfSignatureSpec[] => [
  {
    signer: unit,
    certificateDer: unitCert,
    fieldName: 'feeproof-unit-signature',
    signingTime: new Date(blueReceipt.issuedAt),
    name: blueReceipt.collectingUnit,
  },
  {
    signer: bureau,
    certificateDer: bureauCert,
    fieldName: 'feeproof-supervision-signature',
    signingTime: new Date(blueReceipt.issuedAt),
    name: BUREAU,
  },
];

/** As completion.ts makes it: rendered with the XML and the salt, then signed twice. */
async function issue(
  content: ReceiptContent,
  extra: { einvoiceXml?: string; logSalt?: string },
): Promise<Uint8Array> {
  const doc = await renderReceiptDocument({
    content,
    verifyUrl: urlOf(content),
    bureauName: BUREAU,
    ...extra,
  });
  return signPdfRevisions(doc, specs());
}

async function save(name: string, bytes: Uint8Array): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, bytes);
  return file;
}

const catalog = () =>
  Object.values(objects).find((o) => o.value?.['/Type'] === '/Catalog')!.value as Record<string, unknown>;
const object = (ref: unknown) => objects[`obj:${ref as string}`]!;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'feeproof-pdfa-'));
  unit = await openLocalSigner(join(dir, 'unit.pem'));
  bureau = await openLocalSigner(join(dir, 'bureau.pem'));
  unitCert = await certificateFor(unit, '某市自然资源和规划局 (ZRZY) 开票单位签章');
  bureauCert = await certificateFor(bureau, '某市财政局 财政部门监制签章');
  keys = [
    { keyId: unit.keyId, certificatePem: certificateToPem(unitCert), role: 'unit', department: 'ZRZY' },
    { keyId: bureau.keyId, certificatePem: certificateToPem(bureauCert), role: 'supervision' },
  ];
  trusted = [
    { certificateDer: unitCert, role: 'unit', department: 'ZRZY' },
    { certificateDer: bureauCert, role: 'supervision' },
  ];
  signatures = await signTwice(
    canonicalReceipt(blueReceipt),
    p256MessageSigner(unit),
    p256MessageSigner(bureau),
  );
  pdf = await issue(blueReceipt, { einvoiceXml: einvoiceXml(blueReceipt, signatures), logSalt: SALT });
  path = await save('receipt.pdf', pdf);
  const json = await run('qpdf', ['--json', path]);
  expect(json.code).toBe(0);
  objects = JSON.parse(json.stdout).qpdf[1];
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('PDF/A-3b', () => {
  it('is well-formed for qpdf and small', async () => {
    const check = await run('qpdf', ['--check', path]);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('No syntax or stream encoding errors found');
    expect(pdf.length).toBeLessThan(60_000);
  });

  it('embeds every font: no standard 14 font, no Type1 font object anywhere', async () => {
    const fonts = await run('pdffonts', [path]);
    const rows = fonts.stdout.trim().split('\n').slice(2);
    expect(rows.length).toBe(3); // Latin subset, the template's CJK subset, the receipt's own CJK subset
    for (const row of rows) expect(row).toMatch(/CID TrueType\s+Identity-H\s+yes yes yes/);
    expect(rows.some((r) => r.includes('LiberationSans'))).toBe(true);
    const fontObjects = Object.values(objects).filter((o) => o.value?.['/Type'] === '/Font');
    expect(fontObjects.length).toBeGreaterThan(0);
    for (const f of fontObjects) {
      expect(f.value!['/Subtype']).not.toBe('/Type1');
      expect(String(f.value!['/BaseFont'])).not.toMatch(/Helvetica|Times|Courier|Symbol|ZapfDingbats/);
    }
    // Every CID font has its program embedded.
    for (const d of Object.values(objects).filter((o) => o.value?.['/Type'] === '/FontDescriptor'))
      expect(d.value!['/FontFile2']).toBeDefined();
    // The signature widgets have no appearance and no default appearance naming a font.
    const form = object(catalog()['/AcroForm']).value!;
    expect(form['/DA']).toBeUndefined();
    expect(form['/DR']).toBeUndefined();
    const widgets = Object.values(objects).filter((o) => o.value?.['/Subtype'] === '/Widget');
    expect(widgets).toHaveLength(2);
    for (const w of widgets) {
      expect(w.value).toMatchObject({ '/FT': '/Sig', '/Rect': [0, 0, 0, 0], '/F': 132 });
      expect(w.value!['/DA']).toBeUndefined();
    }
  });

  it('has an sRGB output intent whose profile is the committed ICC file', () => {
    const intents = catalog()['/OutputIntents'] as Record<string, unknown>[];
    expect(intents).toHaveLength(1);
    const [intent] = intents;
    expect(intent).toMatchObject({
      '/Type': '/OutputIntent',
      '/S': '/GTS_PDFA1',
      '/OutputConditionIdentifier': 'u:sRGB IEC61966-2.1',
    });
    const profile = object(intent!['/DestOutputProfile']);
    expect(profile.stream?.dict['/N']).toBe(3);
    const raw = /stream\r?\n/.exec(Buffer.from(pdf).toString('latin1'));
    expect(raw).not.toBeNull();
    const icc = readFileSync(iccProfilePath());
    expect(icc.subarray(12, 20).toString('latin1')).toBe('mntrRGB '); // a display RGB profile
    // The stream holds exactly the profile (deflated).
    const start = Buffer.from(pdf).indexOf(`${String(intent!['/DestOutputProfile']).replace(' R', '')} obj`);
    const body = Buffer.from(pdf).subarray(start);
    const from = body.indexOf('stream\n') + 'stream\n'.length;
    const length = profile.stream!.dict['/Length'] as number;
    expect(inflateSync(body.subarray(from, from + length)).equals(icc)).toBe(true);
  });

  it('has XMP metadata claiming PDF/A-3B that repeats the document information', async () => {
    const metadata = object(catalog()['/Metadata']);
    expect(metadata.stream?.dict).toMatchObject({ '/Type': '/Metadata', '/Subtype': '/XML' });
    expect(metadata.stream?.dict['/Filter']).toBeUndefined();
    const meta = await run('pdfinfo', ['-meta', path]);
    const xmp = meta.stdout;
    expect(xmp).toContain('<pdfaid:part>3</pdfaid:part>');
    expect(xmp).toContain('<pdfaid:conformance>B</pdfaid:conformance>');
    const info = await run('pdfinfo', ['-isodates', path]);
    const field = (name: string) => new RegExp(`^${name}:\\s+(.*)$`, 'm').exec(info.stdout)?.[1];
    expect(xmp).toContain(`<rdf:li xml:lang="x-default">${field('Title')}</rdf:li>`);
    expect(xmp).toContain(`<dc:creator><rdf:Seq><rdf:li>${field('Author')}</rdf:li>`);
    expect(xmp).toContain(`<rdf:li xml:lang="x-default">${field('Subject')}</rdf:li>`);
    expect(xmp).toContain(`<pdf:Keywords>${field('Keywords')}</pdf:Keywords>`);
    expect(xmp).toContain(`<pdf:Producer>${field('Producer')}</pdf:Producer>`);
    expect(xmp).toContain(`<xmp:CreatorTool>${field('Creator')}</xmp:CreatorTool>`);
    expect(field('CreationDate')).toBe('2026-03-05T06:30:12Z');
    expect(xmp).toContain('<xmp:CreateDate>2026-03-05T06:30:12Z</xmp:CreateDate>');
    expect(field('ModDate')).toBe('2026-03-05T06:30:12Z');
    expect(xmp).toContain('<xmp:ModifyDate>2026-03-05T06:30:12Z</xmp:ModifyDate>');
    // feeproof's own property is declared in a PDF/A extension schema.
    expect(xmp).toContain(`<feeproof:LogSalt>${SALT}</feeproof:LogSalt>`);
    expect(xmp).toMatch(/<pdfaSchema:prefix>feeproof<\/pdfaSchema:prefix>[\s\S]*<pdfaProperty:name>LogSalt</);
  });

  it('has a document ID, the same in both revisions', () => {
    const trailer = objects.trailer!.value!;
    const id = trailer['/ID'] as string[];
    expect(id).toHaveLength(2);
    for (const part of id) expect(part).toMatch(/^b:[0-9a-f]{32}$/);
    const ids = [
      ...Buffer.from(pdf)
        .toString('latin1')
        .matchAll(/\/ID \[ <([0-9A-F]{32})> <([0-9A-F]{32})> \]/g),
    ];
    expect(ids).toHaveLength(2);
    expect(ids[0]![1]).toBe(ids[1]![1]);
  });

  it('carries the EInvoice XML as an associated file of the data', async () => {
    const list = await run('pdfdetach', ['-list', path]);
    expect(list.stdout).toContain(`1: ${einvoiceFileName(blueReceipt)}`);
    const af = catalog()['/AF'] as string[];
    expect(af).toHaveLength(1);
    const spec = object(af[0]).value!;
    expect(spec).toMatchObject({
      '/Type': '/Filespec',
      '/AFRelationship': '/Data',
      '/F': `u:${einvoiceFileName(blueReceipt)}`,
      '/UF': `u:${einvoiceFileName(blueReceipt)}`,
    });
    const names = (catalog()['/Names'] as Record<string, Record<string, unknown[]>>)['/EmbeddedFiles']![
      '/Names'
    ]!;
    expect(names).toEqual([`u:${einvoiceFileName(blueReceipt)}`, af[0]]);
    const file = object((spec['/EF'] as Record<string, string>)['/F']);
    expect(file.stream!.dict).toMatchObject({
      '/Type': '/EmbeddedFile',
      '/Subtype': '/application/xml',
      '/Params': { '/CreationDate': 'u:D:20260305063012Z', '/ModDate': 'u:D:20260305063012Z' },
    });
    expect(Buffer.from(pdf).includes('/Subtype /application#2Fxml')).toBe(true);
    const xml = einvoiceXml(blueReceipt, signatures);
    expect((file.stream!.dict['/Params'] as Record<string, number>)['/Size']).toBe(Buffer.byteLength(xml));
    const out = join(dir, 'extracted.xml');
    expect((await run('pdfdetach', ['-save', '1', '-o', out, path])).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(xml);
  });

  it('prints the log salt in the footer', async () => {
    const text = await run('pdftotext', ['-enc', 'UTF-8', path, '-']);
    expect(text.stdout).toContain(`公开日志盐 / log salt: ${SALT}`);
  });
});

describe('two PAdES signatures', () => {
  it('pdfsig finds both valid: the unit first, then the supervision signature over the whole document', async () => {
    const r = await run('pdfsig', [path]);
    expect(r.code).toBe(0);
    const [first, second] = r.stdout.split(/Signature #\d:/).slice(1);
    expect(first).toContain('Signature Field Name: feeproof-unit-signature');
    expect(first).toContain('开票单位签章');
    expect(first).toContain('Signature Validation: Signature is Valid.');
    expect(first).toContain('Not total document signed');
    expect(second).toContain('Signature Field Name: feeproof-supervision-signature');
    expect(second).toContain('财政部门监制签章');
    expect(second).toContain('Signature Validation: Signature is Valid.');
    expect(second).toContain('Total document signed');
  });

  it('verifyPdfSignature explains each: whose, which certificate, which bytes', async () => {
    const report = await verifyPdfSignature(pdf, trusted, { department: 'ZRZY' });
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    const [u, s] = report.signatures;
    expect(u).toMatchObject({ index: 1, expectedRole: 'unit', role: 'unit', department: 'ZRZY', ok: true });
    expect(s).toMatchObject({ index: 2, expectedRole: 'supervision', role: 'supervision', ok: true });
    expect(u!.signer?.subject).toContain('开票单位签章');
    expect(u!.coversWholeFile).toBe(false);
    expect(s!.coversWholeFile).toBe(true);
    expect(s!.signedLength).toBe(pdf.length);
    // The unit's revision is a prefix of the file, ending with its %%EOF, inside the supervision's range.
    const prefix = pdf.subarray(0, u!.signedLength);
    expect(Buffer.from(prefix.subarray(-6)).toString('latin1')).toMatch(/%%EOF\n?$/);
    expect(u!.signedLength).toBeLessThan(s!.byteRange[1]);
    // Cut back to that prefix, the file is the unit's signed revision alone, and still valid.
    const revision1 = await save('revision1.pdf', prefix);
    const r = await run('pdfsig', [revision1]);
    expect(r.stdout).toContain('Signature is Valid.');
    expect(r.stdout).toContain('Total document signed');
    expect(r.stdout).not.toContain('Signature #2');
  });

  it('refuses keys in the wrong places: the supervision key first, or another department', async () => {
    const swapped = await verifyPdfSignature(
      pdf,
      [
        { certificateDer: unitCert, role: 'supervision' },
        { certificateDer: bureauCert, role: 'unit', department: 'ZRZY' },
      ],
      { department: 'ZRZY' },
    );
    expect(swapped.checks.find((c) => c.name === 'trusted_certificate')).toMatchObject({ ok: false });
    const otherDepartment = await verifyPdfSignature(pdf, trusted, { department: 'GAJ' });
    expect(otherDepartment.checks.find((c) => c.name === 'trusted_certificate')?.reason).toContain(
      'not of GAJ',
    );
  });

  it('one byte altered in the first revision breaks both signatures', async () => {
    const report0 = await verifyPdfSignature(pdf, trusted);
    const [u] = report0.signatures;
    const altered = pdf.slice();
    const at = Math.floor(u!.byteRange[1] / 2);
    altered[at]! ^= 0x01;
    const report = await verifyPdfSignature(altered, trusted);
    expect(report.ok).toBe(false);
    expect(report.signatures.map((s) => s.ok)).toEqual([false, false]);
    expect(report.checks.find((c) => c.name === 'message_digest')?.reason).toMatch(
      /signature 1 of 2 \(unit\).*signature 2 of 2 \(supervision\)/,
    );
    const r = await run('pdfsig', [await save('altered.pdf', altered)]);
    expect(r.stdout).not.toContain('Signature is Valid.');
  });

  it('an update appended after the supervision signature, or a third signature, is refused', async () => {
    const appended = Buffer.concat([pdf, Buffer.from('\n1 0 obj\n<< >>\nendobj\n%%EOF\n')]);
    const report = await verifyPdfSignature(appended, trusted);
    expect(report.checks.find((c) => c.name === 'byte_range')).toMatchObject({ ok: false });
  });
});

describe('the embedded data', () => {
  it('is read back and matches both data signatures and the register', async () => {
    const embedded = await readEmbeddedData(pdf);
    expect(embedded.logSalt).toBe(SALT);
    expect(embedded.einvoice.found).toBe(true);
    const check = await checkEmbeddedData(embedded.einvoice, {
      pdfSignatures: 2,
      receipt: blueReceipt,
      resolver: keyResolverOf(keys),
      stored: { ...blueReceipt, signatures },
    });
    expect(check).toEqual({ ok: true });
  });

  it('a swapped XML (other data, signed by the same keys into the PDF) fails with the reason', async () => {
    // The XML of other data with the original signatures: as if its holder had edited the XML.
    const edited = { ...blueReceipt, total: 1, lines: [{ ...blueReceipt.lines[0]!, amount: 1 }] };
    const swapped = await issue(blueReceipt, { einvoiceXml: einvoiceXml(edited, signatures), logSalt: SALT });
    expect((await verifyPdfSignature(swapped, trusted, { department: 'ZRZY' })).ok).toBe(true);
    const embedded = await readEmbeddedData(swapped);
    const offline = await checkEmbeddedData(embedded.einvoice, {
      pdfSignatures: 2,
      receipt: blueReceipt,
      resolver: keyResolverOf(keys),
    });
    expect(offline.ok).toBe(false);
    expect(offline.reason).toContain('SIGNATURE_INVALID');
    // Re-signed data that differs from the register: the register check names it.
    const other = await signTwice(
      canonicalReceipt(edited),
      p256MessageSigner(unit),
      p256MessageSigner(bureau),
    );
    const resigned = await readEmbeddedData(
      await issue(blueReceipt, { einvoiceXml: einvoiceXml(edited, other), logSalt: SALT }),
    );
    const registered = await checkEmbeddedData(resigned.einvoice, {
      pdfSignatures: 2,
      receipt: blueReceipt,
      resolver: keyResolverOf(keys),
      stored: { ...blueReceipt, signatures },
    });
    expect(registered).toEqual({
      ok: false,
      reason: "the embedded XML's data differs from the issued receipt's",
    });
  });

  it('a removed XML fails when the PDF has two signatures, and is not asked of a bureau-only PDF', async () => {
    const bare = await readEmbeddedData(await issue(blueReceipt, { logSalt: SALT }));
    expect(bare.einvoice.found).toBe(false);
    const removed = await checkEmbeddedData(bare.einvoice, {
      pdfSignatures: 2,
      receipt: blueReceipt,
      resolver: keyResolverOf(keys),
    });
    expect(removed.ok).toBe(false);
    expect(removed.reason).toContain('no embedded EInvoice XML');
    expect(
      await checkEmbeddedData(bare.einvoice, {
        pdfSignatures: 1,
        receipt: blueReceipt,
        resolver: keyResolverOf(keys),
      }),
    ).toEqual({ ok: true });
  });

  it('gives the holder what recomputes the log commitment: the salt and the data, from the PDF alone', async () => {
    const embedded = await readEmbeddedData(pdf);
    if (!embedded.einvoice.found) throw new Error('no XML');
    const salt = Uint8Array.from(Buffer.from(embedded.logSalt!, 'base64'));
    const recomputed = receiptCommitment(salt, canonicalReceipt(embedded.einvoice.content));
    expect(recomputed).toBe(receiptLogEntry(blueReceipt, salt).commitment);
  });
});
