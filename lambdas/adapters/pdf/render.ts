import { PDFDocument, PDFName, type PDFRef } from 'pdf-lib';
import { formatYuan, toChineseCapital } from '../../core/money.js';
import type { ReceiptContent } from '../../core/receipt.js';
import { CjkGlyphs, embedCjkSubset, makeCjkSubset, makeLatinSubset, subsetTag } from './cid-font.js';
import { type Color, Content } from './content.js';
import { fastDeflate } from './deflate.js';
import { MissingGlyphsError, missingGlyphs } from './fonts.js';
import { writeReceiptInfo } from './info.js';
import { PdfBytesStream } from './pdf-bytes.js';
import { writePdfA } from './pdfa.js';
import { type QrMatrix, qrMatrix, qrOperators, qrSide } from './qr.js';
import {
  BOTTOM,
  type Cell,
  centered,
  DEFAULT_TITLE,
  drawRow,
  FORM,
  type Form,
  GREY,
  HEADER_FILL,
  INK,
  LABELS,
  LEFT,
  layRow,
  MARGIN,
  META_VALUE_X,
  metaBaseline,
  PAGE,
  type PageTemplate,
  pageTemplate,
  RED,
  RESOURCES,
  RIGHT,
  TOP,
  text,
} from './template.js';
import { type CjkFace, LATIN_FONT } from './text.js';

export interface ReceiptPdfInput {
  content: ReceiptContent;
  /** What the QR code carries, exactly. */
  verifyUrl: string;
  /** The finance bureau that supervises the receipts (监制). */
  bureauName: string;
  /** Defaults to 非税收入通用票据（电子）; a region may prefix its name. */
  title?: string;
  /** The receipt's national XML (core/einvoice.ts), embedded as its associated file (PDF/A-3). */
  einvoiceXml?: string;
  /** The salt of its transparency log commitment (base64): in the XMP and printed in the footer. */
  logSalt?: string;
}

/** The embedded XML's file name in a receipt's PDF. */
export const einvoiceFileName = (ref: { code: string; number: string }) =>
  `einvoice-${ref.code}-${ref.number}.xml`;

/**
 * Every piece of text the receipt prints that is not fixed in the layout, each with where it
 * comes from: the renderer refuses to draw and the issuing path refuses, before a number is
 * taken, the same list. Before a number is taken the code, number and QR URL are not known
 * yet; they are digits and URL characters, which the font always has.
 */
export function printedTexts(
  c: Omit<ReceiptContent, 'code' | 'number'> & Partial<Pick<ReceiptContent, 'code' | 'number'>>,
  frame: { bureauName: string; title?: string; verifyUrl?: string },
): [path: string, text: string][] {
  return [
    ['title', frame.title ?? DEFAULT_TITLE],
    ['bureauName', frame.bureauName],
    ['verifyUrl', frame.verifyUrl ?? ''],
    ['code', c.code ?? ''],
    ['number', c.number ?? ''],
    ['checkCode', c.checkCode],
    ['issueDate', c.issueDate],
    ['payer.name', c.payer.name],
    ['payer.idNumber', c.payer.idNumber ?? ''],
    ['collectingUnit', c.collectingUnit],
    ['handledBy', c.handledBy],
    ['remark', c.remark ?? ''],
    ['reason', c.reason ?? ''],
    ['reverses.code', c.reverses?.code ?? ''],
    ['reverses.number', c.reverses?.number ?? ''],
    ...c.lines.flatMap((l, i): [string, string][] => [
      [`lines[${i}].itemCode`, l.itemCode],
      [`lines[${i}].name`, l.name],
      [`lines[${i}].unit`, l.unit],
      [`lines[${i}].standard`, l.standard],
      [`lines[${i}].exemption`, l.exemption ?? ''],
    ]),
  ];
}

/**
 * Renders a receipt on A4 in the layout of a fiscal electronic receipt. All text is real
 * text (subsets of the Latin and the CJK TrueType fonts). The fixed parts come from the page
 * template (template.ts), made once per process; the receipt adds its own texts, in a subset
 * of just their characters, and its QR code. Throws MissingGlyphsError when a character cannot
 * be drawn; the issuing path checks missingGlyphs() first. The document is not yet saved:
 * signing it saves it once (signPdfDocument).
 */
export async function renderReceiptDocument(input: ReceiptPdfInput): Promise<PDFDocument> {
  const missing = missingGlyphs(printedTexts(input.content, input).map(([, text]) => text));
  if (missing.length > 0) throw new MissingGlyphsError(missing);
  const issuedAt = new Date(input.content.issuedAt);
  if (Number.isNaN(issuedAt.getTime())) throw new RangeError(`bad issuedAt ${input.content.issuedAt}`);

  const title = input.title ?? DEFAULT_TITLE;
  const template = pageTemplate(title, input.bureauName);
  const own: CjkFace = { name: RESOURCES.receiptFont, glyphs: new CjkGlyphs(), latin: new Set() };
  const layout = new ReceiptLayout(input, title, template, own);
  const pages = layout.draw();

  const doc = await PDFDocument.create({ updateMetadata: false });
  const info = writeReceiptInfo(doc, input.content, {
    title: `${title} ${input.content.code} ${input.content.number}`,
    author: input.bureauName,
    date: issuedAt,
  });
  writePdfA(
    doc,
    {
      ...info,
      idSeed: `feeproof:${input.content.code}/${input.content.number}`,
      ...(input.logSalt ? { logSalt: input.logSalt } : {}),
    },
    input.einvoiceXml === undefined
      ? []
      : [
          {
            name: einvoiceFileName(input.content),
            bytes: new TextEncoder().encode(input.einvoiceXml),
            mimeType: 'application/xml',
            description: '财政电子票据 EInvoice XML (the receipt data and both signatures)',
            relationship: 'Data',
            date: issuedAt,
          },
        ],
  );
  const { context } = doc;
  const latin = embedCjkSubset(context, makeLatinSubset(new Set([...template.face.latin, ...own.latin])));
  const templateFont = embedCjkSubset(context, template.font);
  const formResources = context.register(
    context.obj({ Font: { [LATIN_FONT]: latin, [RESOURCES.templateFont]: templateFont } }),
  );
  const form = (f: Form): PDFRef =>
    context.register(
      PdfBytesStream.of(
        context.obj({
          Type: 'XObject',
          Subtype: 'Form',
          BBox: f.bbox,
          Resources: formResources,
          Filter: 'FlateDecode',
        }),
        f.content,
      ),
    );
  const pageFonts = context.obj({ [LATIN_FONT]: latin, [RESOURCES.templateFont]: templateFont });
  if (own.glyphs.codePoints.length > 0) {
    const subset = makeCjkSubset(
      subsetTag(`${input.content.code}/${input.content.number}`),
      own.glyphs,
      fastDeflate,
    );
    pageFonts.set(PDFName.of(RESOURCES.receiptFont), embedCjkSubset(context, subset));
  }
  const resources = context.register(
    context.obj({
      Font: pageFonts,
      XObject: {
        [RESOURCES.header]: form(layout.header),
        [RESOURCES.tableHeader]: form(template.tableHeader),
      },
    }),
  );
  for (const content of pages) {
    const page = doc.addPage(PAGE);
    page.node.set(PDFName.of('Resources'), resources);
    const stream = PdfBytesStream.of(context.obj({ Filter: 'FlateDecode' }), fastDeflate(content.bytes()));
    page.node.set(PDFName.Contents, context.register(stream));
  }
  return doc;
}

class ReceiptLayout {
  private readonly pages: Content[] = [];
  private out!: Content;
  private y = TOP;
  private readonly c: ReceiptContent;
  private readonly red: boolean;
  private readonly qr: QrMatrix;
  /** The template's header for this receipt's colour and QR code size. */
  readonly header: Form & { bottom: number };

  constructor(
    private readonly input: ReceiptPdfInput,
    private readonly title: string,
    private readonly template: PageTemplate,
    private readonly own: CjkFace,
  ) {
    this.c = input.content;
    this.red = input.content.kind === 'red';
    this.qr = qrMatrix(input.verifyUrl);
    this.header = template.header(this.red, qrSide(this.qr));
  }

  draw(): Content[] {
    this.addPage();
    this.head();
    this.payer();
    this.table();
    this.signatures();
    this.footer();
    this.pageNumbers();
    return this.pages;
  }

  private addPage(): void {
    this.out = new Content();
    this.pages.push(this.out);
  }

  /** The template's header, the QR code and the receipt's identifiers. */
  private head(): void {
    this.out.form(RESOURCES.header);
    this.out.raw(qrOperators(this.qr, LEFT, TOP, qrSide(this.qr)));
    [this.c.code, this.c.number, this.c.checkCode, this.c.issueDate].forEach((value, i) => {
      this.value(value, META_VALUE_X, metaBaseline(i), 10, INK);
    });
    this.y = this.header.bottom;
  }

  private payer(): void {
    const half = (RIGHT - LEFT) / 2;
    const idLabel = this.c.payer.type === 'unit' ? LABELS.unitId : LABELS.personId;
    const rows = [
      this.labelled(LABELS.payer, this.c.payer.name, LEFT, half - 8),
      this.c.payer.idNumber ? this.labelled(idLabel, this.c.payer.idNumber, LEFT + half, half) : 0,
    ];
    this.y -= Math.max(...rows) * 14 + 6;
  }

  /** Draws "label value" with the value wrapped under itself; returns the number of lines. */
  private labelled(label: string, value: string, x: number, width: number, size = 10): number {
    const labelWidth = text.width(label, size - 1);
    this.label(label, x, this.y, size - 1, FORM);
    const lines = text.wrap(value, width - labelWidth, size);
    lines.forEach((line, i) => {
      this.value(line, x + labelWidth, this.y - i * 14, size, INK);
    });
    return lines.length;
  }

  private table(): void {
    this.y -= 4;
    this.tableHeader();
    const amountColor = this.red ? RED : INK;
    for (const line of this.c.lines) {
      const name = line.exemption ? `${line.name}（减免：${line.exemption}）` : line.name;
      this.row([
        { text: line.itemCode },
        { text: name },
        { text: line.unit },
        { text: String(line.quantity) },
        { text: line.standard },
        { text: formatYuan(line.amount), color: amountColor },
      ]);
    }
    const label = (s: string, align?: Cell['align']): Cell => ({
      text: s,
      color: FORM,
      fill: HEADER_FILL,
      align,
      label: true,
    });
    this.row([
      label(LABELS.totalInWords),
      { text: toChineseCapital(this.c.total), span: 3, color: amountColor },
      label(LABELS.totalInFigures, 'center'),
      { text: `¥${formatYuan(this.c.total)}`, color: amountColor },
    ]);
    if (this.c.reverses) {
      const ref = `票据代码 ${this.c.reverses.code}    票据号码 ${this.c.reverses.number}`;
      this.row([label(LABELS.reverses), { text: ref, span: 5 }]);
      this.row([label(LABELS.reason), { text: this.c.reason ?? '', span: 5 }]);
    }
    this.row([label(LABELS.remark), { text: this.c.remark ?? '', span: 5 }]);
  }

  /** The template's column headings, on a new page when they do not fit. */
  private tableHeader(): void {
    const { height } = this.template.tableHeader;
    this.ensure(height);
    this.out.form(RESOURCES.tableHeader, 0, this.y);
    this.y -= height;
  }

  /** One bordered table row; starts a new page (and repeats the header) when it does not fit. */
  private row(cells: Cell[]): void {
    const laid = layRow(cells);
    if (this.y - laid.height < BOTTOM) {
      this.newPage();
      this.tableHeader();
    }
    drawRow(this.out, laid, this.y, this.template.face, this.own);
    this.y -= laid.height;
  }

  private signatures(): void {
    this.ensure(40);
    this.y -= 22;
    const half = (RIGHT - LEFT) / 2;
    const rows = [
      this.labelled(LABELS.collectingUnit, this.c.collectingUnit, LEFT, half + 60),
      this.labelled(LABELS.handledBy, this.c.handledBy, LEFT + half + 90, half - 90),
    ];
    this.y -= (Math.max(...rows) - 1) * 14;
  }

  /** The verify address (its label from the template), the template's notice and the log salt. */
  private footer(): void {
    const lines = text.wrap(`${LABELS.verifyAt}${this.input.verifyUrl}`, RIGHT - LEFT, 7);
    const salt = this.input.logSalt;
    this.ensure(24 + (lines.length + (salt ? 2 : 1)) * 10);
    this.y -= 24;
    lines.forEach((line, i) => {
      if (i === 0 && line.startsWith(LABELS.verifyAt)) {
        this.label(LABELS.verifyAt, LEFT, this.y, 7, GREY);
        const rest = line.slice(LABELS.verifyAt.length);
        if (rest) this.value(rest, LEFT + text.width(LABELS.verifyAt, 7), this.y, 7, GREY);
      } else this.value(line, LEFT, this.y, 7, GREY);
      this.y -= 10;
    });
    this.label(LABELS.notice, LEFT, this.y, 7, GREY);
    this.y -= 10;
    if (salt) {
      // Whoever holds the receipt recomputes its log commitment with it (docs/transparency-log.md).
      this.label(LABELS.logSalt, LEFT, this.y, 7, GREY);
      this.value(salt, LEFT + text.width(LABELS.logSalt, 7), this.y, 7, GREY);
      this.y -= 10;
    }
  }

  private pageNumbers(): void {
    if (this.pages.length === 1) return;
    this.pages.forEach((page, i) => {
      const label = `第 ${i + 1} 页 / 共 ${this.pages.length} 页`;
      centered(page, this.own, label, PAGE[0] / 2, MARGIN, 8, GREY);
    });
  }

  private ensure(height: number): void {
    if (this.y - height < BOTTOM) this.newPage();
  }

  /** A continuation page: a one-line heading naming the receipt, then the layout goes on. */
  private newPage(): void {
    this.addPage();
    const heading = `${this.title}（续）  票据代码 ${this.c.code}  票据号码 ${this.c.number}`;
    this.value(heading, LEFT, TOP - 10, 10, this.red ? RED : FORM);
    this.y = TOP - 28;
  }

  /** A fixed text of the template, where this receipt puts it. */
  private label(s: string, x: number, y: number, size: number, color: Color): void {
    text.draw(this.out, this.template.face, s, x, y, size, color);
  }

  /** A text of this receipt. */
  private value(s: string, x: number, y: number, size: number, color: Color): void {
    text.draw(this.out, this.own, s, x, y, size, color);
  }
}
