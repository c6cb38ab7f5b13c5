import { createHash } from 'node:crypto';
import './deflate.js';
import { PDFDocument, type PDFPage, type RGB, rgb } from 'pdf-lib';
import { formatYuan, toChineseCapital } from '../../core/money.js';
import type { ReceiptContent } from '../../core/receipt.js';
import { embedReceiptFonts, MissingGlyphsError, missingGlyphs } from './fonts.js';
import { writeReceiptInfo } from './info.js';
import { drawQrCode, qrMatrix, qrSide } from './qr.js';
import { TextDrawer } from './text.js';

export interface ReceiptPdfInput {
  content: ReceiptContent;
  /** What the QR code carries, exactly. */
  verifyUrl: string;
  /** The finance bureau that supervises the receipts (监制). */
  bureauName: string;
  /** Defaults to 非税收入通用票据（电子）; a region may prefix its name. */
  title?: string;
}

const DEFAULT_TITLE = '非税收入通用票据（电子）';

const PAGE: [number, number] = [595.28, 841.89]; // A4 portrait
const MARGIN = 42;
const LEFT = MARGIN;
const RIGHT = PAGE[0] - MARGIN;
const TOP = PAGE[1] - MARGIN;
const BOTTOM = MARGIN + 24; // room for the page number
const META_X = 432;

const INK = rgb(0, 0, 0);
const FORM = rgb(0.13, 0.25, 0.45); // the printed template: labels and rules
const RED = rgb(0.8, 0.05, 0.05);
const GREY = rgb(0.4, 0.4, 0.4);
const HEADER_FILL = rgb(0.93, 0.95, 0.98);

const BODY = 9; // text size inside the table
const LEADING = 12;
const PAD = 4;

type Align = 'left' | 'center' | 'right';
interface Cell {
  text: string;
  /** How many of the six columns the cell spans. */
  span?: number;
  align?: Align;
  color?: RGB;
  fill?: RGB;
}

const COLUMNS: { title: string; width: number; align: Align }[] = [
  { title: '项目编码', width: 86, align: 'left' },
  { title: '项目名称', width: 165, align: 'left' },
  { title: '单位', width: 40, align: 'center' },
  { title: '数量', width: 48, align: 'right' },
  { title: '标准', width: 90, align: 'right' },
  { title: '金额（元）', width: RIGHT - LEFT - 429, align: 'right' },
];

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
 * text (Helvetica + a subset of the CJK TrueType font). Throws MissingGlyphsError when a
 * character cannot be drawn; the issuing path checks missingGlyphs() first. The document is
 * not yet saved: signing it saves it once (signPdfDocument).
 */
export async function renderReceiptDocument(input: ReceiptPdfInput): Promise<PDFDocument> {
  const missing = missingGlyphs(printedTexts(input.content, input).map(([, text]) => text));
  if (missing.length > 0) throw new MissingGlyphsError(missing);
  const issuedAt = new Date(input.content.issuedAt);
  if (Number.isNaN(issuedAt.getTime())) throw new RangeError(`bad issuedAt ${input.content.issuedAt}`);

  const doc = await PDFDocument.create({ updateMetadata: false });
  const title = input.title ?? DEFAULT_TITLE;
  writeReceiptInfo(doc, input.content, {
    title: `${title} ${input.content.code} ${input.content.number}`,
    author: input.bureauName,
    date: issuedAt,
  });
  const fonts = await embedReceiptFonts(doc, subsetTag(input.content));
  new ReceiptLayout(doc, new TextDrawer(fonts), input, title).draw();
  return doc;
}

/** Six capital letters derived from the receipt, so the same receipt renders the same bytes. */
function subsetTag(c: ReceiptContent): string {
  const hash = createHash('sha256').update(`${c.code}/${c.number}`).digest();
  return Array.from(hash.subarray(0, 6), (b) => String.fromCharCode(65 + (b % 26))).join('');
}

class ReceiptLayout {
  private page!: PDFPage;
  private y = TOP;
  private readonly c: ReceiptContent;
  private readonly red: boolean;

  constructor(
    private readonly doc: PDFDocument,
    private readonly text: TextDrawer,
    private readonly input: ReceiptPdfInput,
    private readonly title: string,
  ) {
    this.c = input.content;
    this.red = input.content.kind === 'red';
  }

  draw(): void {
    this.page = this.doc.addPage(PAGE);
    this.header();
    this.payer();
    this.table();
    this.signatures();
    this.footer();
    this.pageNumbers();
  }

  private header(): void {
    const top = TOP;
    const qr = qrMatrix(this.input.verifyUrl);
    const qrSize = qrSide(qr);
    drawQrCode(this.page, qr, LEFT, top, qrSize);
    this.centered('扫码查验', LEFT + qrSize / 2, top - qrSize - 10, 7, GREY);

    // Title, centred between the QR code and the receipt identifiers, over a double rule.
    const left = LEFT + qrSize + 16;
    const right = META_X - 16;
    const size = this.text.fit(this.title, right - left, 20, 11);
    const titleColor = this.red ? RED : FORM;
    const width = this.text.width(this.title, size);
    const x = (left + right - width) / 2;
    const baseline = top - 26;
    this.text.draw(this.page, this.title, x, baseline, size, titleColor);
    this.rule(x, baseline - 7, x + width, baseline - 7, titleColor, 0.8);
    this.rule(x, baseline - 9.5, x + width, baseline - 9.5, titleColor, 0.4);

    let below = baseline - 28;
    if (this.red) {
      const mark = '红字';
      const w = this.text.width(mark, 12) + 12;
      const cx = (left + right) / 2;
      this.page.drawRectangle({
        x: cx - w / 2,
        y: below - 5,
        width: w,
        height: 18,
        borderColor: RED,
        borderWidth: 1,
      });
      this.centered(mark, cx, below, 12, RED);
      below -= 24;
    }
    this.centered(`${this.input.bureauName}监制`, (left + right) / 2, below, 8, GREY);

    const meta: [string, string][] = [
      ['票据代码：', this.c.code],
      ['票据号码：', this.c.number],
      ['校验码：', this.c.checkCode],
      ['开票日期：', this.c.issueDate],
    ];
    meta.forEach(([label, value], i) => {
      const y = top - 10 - i * 16;
      this.text.draw(this.page, label, META_X, y, 9, FORM);
      this.text.draw(this.page, value, META_X + 46, y, 10, INK);
    });
    this.y = Math.min(top - qrSize - 36, below - 24);
  }

  private payer(): void {
    const half = (RIGHT - LEFT) / 2;
    const idLabel = this.c.payer.type === 'unit' ? '统一社会信用代码：' : '证件号码：';
    const rows = [
      this.labelled('交款人：', this.c.payer.name, LEFT, half - 8),
      this.c.payer.idNumber ? this.labelled(idLabel, this.c.payer.idNumber, LEFT + half, half) : 0,
    ];
    this.y -= Math.max(...rows) * 14 + 6;
  }

  /** Draws "label value" with the value wrapped under itself; returns the number of lines. */
  private labelled(label: string, value: string, x: number, width: number, size = 10): number {
    const labelWidth = this.text.width(label, size - 1);
    this.text.draw(this.page, label, x, this.y, size - 1, FORM);
    const lines = this.text.wrap(value, width - labelWidth, size);
    lines.forEach((line, i) => {
      this.text.draw(this.page, line, x + labelWidth, this.y - i * 14, size, INK);
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
    this.row([
      { text: '金额合计（大写）', color: FORM, fill: HEADER_FILL },
      { text: toChineseCapital(this.c.total), span: 3, color: amountColor },
      { text: '（小写）', align: 'center', color: FORM, fill: HEADER_FILL },
      { text: `¥${formatYuan(this.c.total)}`, color: amountColor },
    ]);
    if (this.c.reverses) {
      const ref = `票据代码 ${this.c.reverses.code}    票据号码 ${this.c.reverses.number}`;
      this.row([
        { text: '原票据', color: FORM, fill: HEADER_FILL },
        { text: ref, span: 5 },
      ]);
      this.row([
        { text: '冲红原因', color: FORM, fill: HEADER_FILL },
        { text: this.c.reason ?? '', span: 5 },
      ]);
    }
    this.row([
      { text: '备注', color: FORM, fill: HEADER_FILL },
      { text: this.c.remark ?? '', span: 5 },
    ]);
  }

  private tableHeader(): void {
    this.row(
      COLUMNS.map((col) => ({ text: col.title, align: 'center' as const, color: FORM, fill: HEADER_FILL })),
      false,
    );
  }

  /** One bordered table row; starts a new page (and repeats the header) when it does not fit. */
  private row(cells: Cell[], repeatHeaderOnBreak = true): void {
    let column = 0;
    const laid = cells.map((cell) => {
      const span = cell.span ?? 1;
      const width = COLUMNS.slice(column, column + span).reduce((w, c) => w + c.width, 0);
      const x = LEFT + COLUMNS.slice(0, column).reduce((w, c) => w + c.width, 0);
      const align = cell.align ?? COLUMNS[column]!.align;
      column += span;
      return { ...cell, x, width, align, lines: this.text.wrap(cell.text, width - 2 * PAD, BODY) };
    });
    const height = Math.max(22, Math.max(...laid.map((c) => c.lines.length)) * LEADING + 10);
    if (this.y - height < BOTTOM) {
      this.newPage();
      if (repeatHeaderOnBreak) this.tableHeader();
    }
    const top = this.y;
    for (const cell of laid) {
      if (cell.fill)
        this.page.drawRectangle({ x: cell.x, y: top - height, width: cell.width, height, color: cell.fill });
      this.page.drawRectangle({
        x: cell.x,
        y: top - height,
        width: cell.width,
        height,
        borderColor: FORM,
        borderWidth: 0.6,
      });
      // Vertically centred block of lines; the baseline sits about 0.35 em below the line's middle.
      const blockTop = top - (height - cell.lines.length * LEADING) / 2;
      cell.lines.forEach((line, i) => {
        const baseline = blockTop - i * LEADING - LEADING / 2 - BODY * 0.35;
        const w = this.text.width(line, BODY);
        const x =
          cell.align === 'left'
            ? cell.x + PAD
            : cell.align === 'right'
              ? cell.x + cell.width - PAD - w
              : cell.x + (cell.width - w) / 2;
        this.text.draw(this.page, line, x, baseline, BODY, cell.color ?? INK);
      });
    }
    this.y = top - height;
  }

  private signatures(): void {
    this.ensure(40);
    this.y -= 22;
    const half = (RIGHT - LEFT) / 2;
    const rows = [
      this.labelled('收款单位（章）：', this.c.collectingUnit, LEFT, half + 60),
      this.labelled('收款人：', this.c.handledBy, LEFT + half + 90, half - 90),
    ];
    this.y -= (Math.max(...rows) - 1) * 14;
  }

  private footer(): void {
    const lines = this.text.wrap(`查验地址：${this.input.verifyUrl}`, RIGHT - LEFT, 7);
    lines.push(
      '本电子票据附有数字签名；扫描左上角二维码或访问查验地址，输入票据代码、号码和校验码可核验真伪。',
    );
    this.ensure(24 + lines.length * 10);
    this.y -= 24;
    for (const line of lines) {
      this.text.draw(this.page, line, LEFT, this.y, 7, GREY);
      this.y -= 10;
    }
  }

  private pageNumbers(): void {
    const pages = this.doc.getPages();
    if (pages.length === 1) return;
    pages.forEach((page, i) => {
      const label = `第 ${i + 1} 页 / 共 ${pages.length} 页`;
      this.text.draw(page, label, (PAGE[0] - this.text.width(label, 8)) / 2, MARGIN, 8, GREY);
    });
  }

  private ensure(height: number): void {
    if (this.y - height < BOTTOM) this.newPage();
  }

  /** A continuation page: a one-line heading naming the receipt, then the layout goes on. */
  private newPage(): void {
    this.page = this.doc.addPage(PAGE);
    const heading = `${this.title}（续）  票据代码 ${this.c.code}  票据号码 ${this.c.number}`;
    this.text.draw(this.page, heading, LEFT, TOP - 10, 10, this.red ? RED : FORM);
    this.y = TOP - 28;
  }

  private centered(text: string, cx: number, y: number, size: number, color: RGB): void {
    this.text.draw(this.page, text, cx - this.text.width(text, size) / 2, y, size, color);
  }

  private rule(x1: number, y1: number, x2: number, y2: number, color: RGB, thickness: number): void {
    this.page.drawLine({ start: { x: x1, y: y1 }, end: { x: x2, y: y2 }, color, thickness });
  }
}
