/**
 * The naive peer of issue 14: the receipt PDF as most Node projects would make it. pdf-lib
 * with @pdf-lib/fontkit embedding the same CJK font with `subset: true` (fontkit as published,
 * without the project's patch), a QR code from `qrcode` as a PNG image, and a signature by
 * @signpdf/signpdf over a placeholder from @signpdf/placeholder-pdf-lib, with a new
 * `P12Signer` per document as its README shows (node-forge inside, RSA: forge has no ECDSA).
 * It draws the same receipt content as lambdas/adapters/pdf/render.ts (labels, payer, lines,
 * totals, signatures, footer, QR code).
 *
 * Run as its own process (bench/run.ts does), so that its CPU is its own:
 *   echo '<PeerInput JSON>' | node --import tsx bench/peer-pipeline.ts
 * prints a PeerResult as JSON.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import fontkit from '@pdf-lib/fontkit';
import { pdflibAddPlaceholder } from '@signpdf/placeholder-pdf-lib';
import { P12Signer } from '@signpdf/signer-p12';
import { SignPdf } from '@signpdf/signpdf';
import { PDFDict, PDFDocument, type PDFFont, PDFName, type PDFPage, type PDFRawStream, rgb } from 'pdf-lib';
import QRCode from 'qrcode';
import { formatYuan, toChineseCapital } from '../lambdas/core/money.js';
import type { ReceiptContent } from '../lambdas/core/receipt.js';
import { percentile } from './stats.js';

export interface PeerInput {
  content: ReceiptContent;
  verifyUrl: string;
  bureauName: string;
  fontPath: string;
  count: number;
  /** Where the sample PDF and its page image go. */
  outDir: string;
}

export interface PeerResult {
  cpuMsPerPdf: number;
  p50Ms: number;
  bytes: number;
  pdf: string;
  png: string;
  /** Of the receipt's Chinese strings, those pdftotext finds in the sample, and those it does not. */
  textFound: string[];
  textMissing: string[];
  /** The glyphs of the embedded font subsets, and those without an outline or unreadable. */
  glyphs: { total: number; blank: number };
}

/** A P12 (PKCS#12) bundle made once with node-forge, as such a project would keep one. */
function makeP12(): Buffer {
  // node-forge ships no types, and is here only as @signpdf/signer-p12's peer dependency.
  // biome-ignore lint/suspicious/noExplicitAny: untyped library
  const forge = createRequire(import.meta.url)('node-forge') as any;
  const keys = forge.pki.rsa.generateKeyPair(2048);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date();
  cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
  const attrs = [{ name: 'commonName', value: 'peer pipeline' }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  const p12 = forge.pkcs12.toPkcs12Asn1(keys.privateKey, [cert], '', { algorithm: '3des' });
  return Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary');
}

const INK = rgb(0.1, 0.1, 0.1);
const FORM = rgb(0.13, 0.25, 0.45);
const COLUMNS = [
  ['项目编码', 86],
  ['项目名称', 165],
  ['单位', 40],
  ['数量', 48],
  ['标准', 90],
  ['金额（元）', 86],
] as const;

function cell(page: PDFPage, font: PDFFont, text: string, x: number, y: number, width: number) {
  page.drawRectangle({ x, y: y - 22, width, height: 22, borderColor: FORM, borderWidth: 0.6 });
  page.drawText(text, { x: x + 4, y: y - 15, size: 9, font, color: INK, maxWidth: width - 8 });
}

/** One receipt PDF, signed: what the peer does per document. */
async function renderAndSign(input: PeerInput, fontBytes: Uint8Array, p12: Buffer): Promise<Buffer> {
  const c = input.content;
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit);
  const font = await doc.embedFont(fontBytes, { subset: true });
  const page = doc.addPage([595.28, 841.89]);
  const left = 40;
  let y = 800;
  page.drawText(c.kind === 'red' ? '非税收入通用票据（电子）红字' : '非税收入通用票据（电子）', {
    x: 170,
    y,
    size: 18,
    font,
    color: FORM,
  });
  y -= 20;
  page.drawText(`${input.bureauName}监制`, { x: 250, y, size: 9, font, color: FORM });
  const qr = await doc.embedPng(await QRCode.toBuffer(input.verifyUrl, { margin: 1 }));
  page.drawImage(qr, { x: left, y: 700, width: 90, height: 90 });
  page.drawText('扫码查验', { x: left + 25, y: 690, size: 7, font, color: FORM });
  const meta: [string, string][] = [
    ['票据代码：', c.code],
    ['票据号码：', c.number],
    ['校验码：', c.checkCode],
    ['开票日期：', c.issueDate],
  ];
  meta.forEach(([label, value], i) => {
    page.drawText(`${label}${value}`, { x: 400, y: 780 - i * 16, size: 9, font, color: INK });
  });
  y = 670;
  page.drawText(`交款人：${c.payer.name}`, { x: left, y, size: 10, font, color: INK });
  if (c.payer.idNumber)
    page.drawText(`${c.payer.type === 'unit' ? '统一社会信用代码：' : '证件号码：'}${c.payer.idNumber}`, {
      x: 300,
      y,
      size: 10,
      font,
      color: INK,
    });
  y -= 14;
  let x = left;
  for (const [title, width] of COLUMNS) {
    cell(page, font, title, x, y, width);
    x += width;
  }
  y -= 22;
  for (const line of c.lines) {
    x = left;
    const values = [
      line.itemCode,
      line.name,
      line.unit,
      String(line.quantity),
      line.standard,
      formatYuan(line.amount),
    ];
    COLUMNS.forEach(([, width], i) => {
      cell(page, font, values[i]!, x, y, width);
      x += width;
    });
    y -= 22;
  }
  const full = COLUMNS.reduce((w, [, width]) => w + width, 0);
  cell(
    page,
    font,
    `金额合计（大写）${toChineseCapital(c.total)}（小写）${formatYuan(c.total)}`,
    left,
    y,
    full,
  );
  y -= 22;
  if (c.reverses) {
    cell(
      page,
      font,
      `原票据 ${c.reverses.code} ${c.reverses.number} 冲红原因 ${c.reason ?? ''}`,
      left,
      y,
      full,
    );
    y -= 22;
  }
  cell(page, font, `备注 ${c.remark ?? ''}`, left, y, full);
  y -= 40;
  page.drawText(`收款单位（章）：${c.collectingUnit}`, { x: left, y, size: 10, font, color: INK });
  page.drawText(`收款人：${c.handledBy}`, { x: 380, y, size: 10, font, color: INK });
  page.drawText(`查验地址：${input.verifyUrl}`, { x: left, y: 60, size: 7, font, color: FORM });
  page.drawText(
    '本电子票据附有数字签名；扫描左上角二维码或访问查验地址，输入票据代码、号码和校验码可核验真伪。',
    {
      x: left,
      y: 48,
      size: 7,
      font,
      color: FORM,
    },
  );
  pdflibAddPlaceholder({
    pdfDoc: doc,
    reason: '电子票据',
    contactInfo: 'peer@example.cn',
    name: input.bureauName,
    location: 'CN',
  });
  const unsigned = Buffer.from(await doc.save());
  return new SignPdf().sign(unsigned, new P12Signer(p12));
}

/**
 * How many glyphs of a PDF's embedded TrueType subsets draw nothing: pdftotext reads the text
 * from the ToUnicode map and finds it even when the glyphs themselves are blank, so the fonts
 * are read back with fontkit (a space is legitimately empty).
 */
export async function glyphCensus(pdf: Uint8Array): Promise<{ total: number; blank: number }> {
  const doc = await PDFDocument.load(pdf);
  let total = 0;
  let blank = 0;
  for (const [, obj] of doc.context.enumerateIndirectObjects()) {
    const file = obj instanceof PDFDict ? obj.get(PDFName.of('FontFile2')) : undefined;
    if (!file) continue;
    const stream = doc.context.lookup(file) as PDFRawStream;
    const bytes = stream.dict.get(PDFName.of('Filter')) ? inflateSync(stream.contents) : stream.contents;
    const font = fontkit.create(Buffer.from(bytes));
    for (let gid = 1; gid < font.numGlyphs; gid++) {
      total++;
      try {
        if ((font.getGlyph(gid).path as unknown as { commands: unknown[] }).commands.length === 0) blank++;
      } catch {
        blank++; // read from the wrong offset
      }
    }
  }
  return { total, blank };
}

export async function runPeer(input: PeerInput): Promise<PeerResult> {
  const fontBytes = readFileSync(input.fontPath); // read once, as a server would
  const p12 = makeP12();
  await renderAndSign(input, fontBytes, p12); // warm-up: module loading, first compilation
  const latencies: number[] = [];
  let sample: Uint8Array = new Uint8Array();
  const before = process.cpuUsage();
  for (let i = 0; i < input.count; i++) {
    const t0 = performance.now();
    sample = await renderAndSign(input, fontBytes, p12);
    latencies.push(performance.now() - t0);
  }
  const used = process.cpuUsage(before);
  latencies.sort((a, b) => a - b);

  const pdf = join(input.outDir, 'peer-pipeline.pdf');
  writeFileSync(pdf, sample);
  const png = join(input.outDir, 'peer-pipeline.png');
  execFileSync('pdftoppm', ['-png', '-r', '80', '-singlefile', pdf, png.replace(/\.png$/, '')]);
  const text = execFileSync('pdftotext', ['-layout', pdf, '-']).toString('utf8').replace(/\s+/g, '');
  const c = input.content;
  const expected = [
    '非税收入通用票据',
    '交款人',
    c.payer.name,
    c.collectingUnit,
    c.lines[0]!.name,
    '金额合计',
  ];
  return {
    cpuMsPerPdf: (used.user + used.system) / 1000 / input.count,
    p50Ms: percentile(latencies, 50),
    bytes: sample.length,
    pdf,
    png,
    textFound: expected.filter((s) => text.includes(s.replace(/\s+/g, ''))),
    textMissing: expected.filter((s) => !text.includes(s.replace(/\s+/g, ''))),
    glyphs: await glyphCensus(sample),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const input = JSON.parse(readFileSync(0, 'utf8')) as PeerInput;
  process.stdout.write(`${JSON.stringify(await runPeer(input))}\n`);
}
