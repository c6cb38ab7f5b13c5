import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import pako from 'pako';
import { PDFDocument } from 'pdf-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { MissingGlyphsError } from '../../../lambdas/adapters/pdf/fonts.js';
import { readReceiptInfo } from '../../../lambdas/adapters/pdf/info.js';
import { type ReceiptContent, verifyUrl } from '../../../lambdas/core/receipt.js';
import { BUREAU, blueReceipt, PUBLIC_URL, redReceipt, urlOf } from '../../support/sample-receipts.js';
import { renderUnsigned, run, withTempDir } from './tools.js';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'artifacts');
const render = (content: ReceiptContent) =>
  renderUnsigned({ content, verifyUrl: urlOf(content), bureauName: BUREAU });

let blue: Uint8Array;
let red: Uint8Array;
beforeAll(async () => {
  blue = await render(blueReceipt);
  red = await render(redReceipt);
});

/** pdftotext of the PDF, with runs of whitespace squeezed so that assertions read naturally. */
async function textOf(pdf: Uint8Array): Promise<string> {
  return withTempDir(async (dir) => {
    await writeFile(join(dir, 'r.pdf'), pdf);
    const r = await run('pdftotext', ['-enc', 'UTF-8', join(dir, 'r.pdf'), '-']);
    expect(r.code).toBe(0);
    return r.stdout.replace(/[ \t]+/g, ' ');
  });
}

async function decodeQr(pdf: Uint8Array, dpi = 150): Promise<string> {
  return withTempDir(async (dir) => {
    await writeFile(join(dir, 'r.pdf'), pdf);
    const ppm = await run('pdftoppm', [
      '-png',
      '-r',
      String(dpi),
      '-f',
      '1',
      '-l',
      '1',
      '-singlefile',
      join(dir, 'r.pdf'),
      join(dir, 'page'),
    ]);
    expect(ppm.code).toBe(0);
    const zbar = await run('zbarimg', ['--raw', '-q', join(dir, 'page.png')]);
    expect(zbar.code).toBe(0);
    return zbar.stdout.replace(/\n$/, '');
  });
}

describe('renderReceiptDocument', () => {
  it('is a small A4 PDF', async () => {
    expect(Buffer.from(blue.subarray(0, 5)).toString()).toBe('%PDF-');
    expect(blue.length).toBeLessThan(60_000);
    expect(red.length).toBeLessThan(60_000);
    const doc = await PDFDocument.load(blue);
    expect(doc.getPageCount()).toBe(1);
    const { width, height } = doc.getPage(0).getSize();
    expect([Math.round(width), Math.round(height)]).toEqual([595, 842]);
  });

  it('carries real text: code, number, check code, payer, unit, lines and totals', async () => {
    const text = await textOf(blue);
    for (const expected of [
      '非税收入通用票据（电子）',
      '票据代码',
      '11010126',
      '0000001234',
      'K7PQ2M',
      '2026-03-05',
      '欧阳晓明',
      '110101199003071234',
      '某市自然资源和规划局不动产登记中心',
      'ZRZY-001',
      '不动产登记费（住宅）',
      '证书工本费',
      '550.00',
      '陆佰陆拾元整',
      '¥660.00',
      '李娜',
      'BDC-2026-000123',
      '某市财政局监制',
    ])
      expect(text).toContain(expected);
    expect(text).not.toContain('红字');
  });

  it('marks a red receipt and names the receipt it reverses', async () => {
    const text = await textOf(red);
    for (const expected of [
      '红字',
      '0000001240',
      '负陆佰陆拾元整',
      '¥-660.00',
      '-80.00',
      '原票据',
      '冲红原因',
    ])
      expect(text).toContain(expected);
    expect(text).toContain('票据号码 0000001234');
    expect(text).toContain('申请人撤回登记申请，全额退费');
  });

  it('has a QR code that decodes to exactly the verify URL', async () => {
    expect(await decodeQr(blue)).toBe(urlOf(blueReceipt));
    expect(await decodeQr(red)).toBe(urlOf(redReceipt));
  });

  it('keeps a long QR payload (a KMS key ARN and a signature) readable', async () => {
    const url = verifyUrl(PUBLIC_URL, blueReceipt, {
      d: blueReceipt.issueDate,
      t: '660.00',
      kid: 'arn:aws-cn:kms:cn-north-1:111122223333:key/0b8f1c2e-1234-4abc-9def-1234567890ab',
      sig: 'q'.repeat(86),
    });
    expect(url.length).toBeGreaterThan(300);
    const pdf = await renderUnsigned({ content: blueReceipt, verifyUrl: url, bureauName: BUREAU });
    expect(await decodeQr(pdf, 100)).toBe(url);
  });

  it('says in its document information which receipt it is, dated at issue, made by feeproof', async () => {
    expect(await readReceiptInfo(blue)).toEqual({ code: '11010126', number: '0000001234', kind: 'blue' });
    expect(await readReceiptInfo(red)).toEqual({ code: '11010126', number: '0000001240', kind: 'red' });
    const doc = await PDFDocument.load(blue, { updateMetadata: false });
    expect(doc.getProducer()).toBe('feeproof');
    expect(doc.getCreator()).toBe('feeproof');
    expect(doc.getCreationDate()).toEqual(new Date(blueReceipt.issuedAt.replace('.000', '')));
    expect(doc.getModificationDate()).toEqual(doc.getCreationDate());
  });

  it('renders the same bytes for the same receipt', async () => {
    expect(Buffer.from(await render(blueReceipt)).equals(Buffer.from(blue))).toBe(true);
  });

  it("compresses its streams with node's zlib: pdf-lib's pako.deflate is replaced (deflate.ts)", async () => {
    // Through render.ts's import, as in the issuing path.
    expect(pako.deflate.name).toBe('nodeDeflate');
    const content = new TextEncoder().encode('BT /F1 9 Tf 42 700 Td (feeproof) Tj ET\n'.repeat(50));
    const stream = (await PDFDocument.create()).context.flateStream(content);
    expect(inflateSync(stream.getContents())).toEqual(Buffer.from(content));
  });

  it('refuses text the font cannot draw', async () => {
    const content = { ...blueReceipt, payer: { type: 'person' as const, name: '王𠀀😀' } };
    const error = await render(content).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingGlyphsError);
    expect((error as MissingGlyphsError).characters).toEqual(['𠀀', '😀']);
  });

  it('continues a long receipt on a second page', async () => {
    const line = blueReceipt.lines[0]!;
    const lines = Array.from({ length: 40 }, (_, i) => ({
      ...line,
      itemCode: `ZRZY-${String(i + 1).padStart(3, '0')}`,
    }));
    const content = { ...blueReceipt, lines, total: 40 * line.amount };
    const pdf = await render(content);
    expect((await PDFDocument.load(pdf)).getPageCount()).toBe(2);
    const text = await textOf(pdf);
    expect(text).toContain('ZRZY-040');
    expect(text).toContain('叁仟贰佰元整');
    expect(text.replace(/\s+/g, '')).toContain('第2页/共2页');
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'long.pdf'), pdf);
      expect((await run('qpdf', ['--check', join(dir, 'long.pdf')])).code).toBe(0);
    });
  });

  it('writes page images to test/artifacts for a human to look at', async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    for (const [name, pdf] of [
      ['receipt-blue', blue],
      ['receipt-red', red],
    ] as const) {
      await writeFile(join(ARTIFACTS, `${name}.pdf`), pdf);
      const r = await run('pdftoppm', [
        '-png',
        '-r',
        '100',
        '-singlefile',
        join(ARTIFACTS, `${name}.pdf`),
        join(ARTIFACTS, name),
      ]);
      expect(r.code).toBe(0);
    }
  });
});
