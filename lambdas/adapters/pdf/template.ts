import { BoundedCache } from '../../core/bounded-cache.js';
import { CjkGlyphs, type CjkSubset, makeCjkSubset, subsetTag } from './cid-font.js';
import { type Color, Content } from './content.js';
import { nodeDeflate } from './deflate.js';
import { fontFor, receiptMetrics } from './fonts.js';
import { type CjkFace, TextDrawer } from './text.js';

/**
 * The printed form of a receipt: page geometry, colours, the table's columns, the fixed
 * texts, and the template made of them once per process. The template is a CJK font subset
 * of the fixed texts' characters and two form XObjects drawn with it (the header: title,
 * rules, the bureau's line, the identifiers' labels, the QR code's caption; and the table's
 * column headings); a receipt draws its own texts with a subset of only their characters,
 * places the forms, and writes the fixed labels whose position depends on its content
 * (a row's height, say) with the template's font.
 */

export const DEFAULT_TITLE = '非税收入通用票据（电子）';

export const PAGE: [number, number] = [595.28, 841.89]; // A4 portrait
export const MARGIN = 42;
export const LEFT = MARGIN;
export const RIGHT = PAGE[0] - MARGIN;
export const TOP = PAGE[1] - MARGIN;
export const BOTTOM = MARGIN + 24; // room for the page number
const META_X = 432;
export const META_VALUE_X = META_X + 46;

export const INK: Color = [0, 0, 0];
export const FORM: Color = [0.13, 0.25, 0.45]; // the printed template: labels and rules
export const RED: Color = [0.8, 0.05, 0.05];
export const GREY: Color = [0.4, 0.4, 0.4];
export const HEADER_FILL: Color = [0.93, 0.95, 0.98];

export const BODY = 9; // text size inside the table
export const LEADING = 12;
const PAD = 4;

export type Align = 'left' | 'center' | 'right';

export const COLUMNS: { title: string; width: number; align: Align }[] = [
  { title: '项目编码', width: 86, align: 'left' },
  { title: '项目名称', width: 165, align: 'left' },
  { title: '单位', width: 40, align: 'center' },
  { title: '数量', width: 48, align: 'right' },
  { title: '标准', width: 90, align: 'right' },
  { title: '金额（元）', width: RIGHT - LEFT - 429, align: 'right' },
];

/** The fixed texts drawn outside the forms, where the receipt's content puts them. */
export const LABELS = {
  payer: '交款人：',
  personId: '证件号码：',
  unitId: '统一社会信用代码：',
  totalInWords: '金额合计（大写）',
  totalInFigures: '（小写）',
  reverses: '原票据',
  reason: '冲红原因',
  remark: '备注',
  collectingUnit: '收款单位（章）：',
  handledBy: '收款人：',
  verifyAt: '查验地址：',
  logSalt: '公开日志盐 / log salt: ',
  notice: '本电子票据附有数字签名；扫描左上角二维码或访问查验地址，输入票据代码、号码和校验码可核验真伪。',
} as const;

const QR_CAPTION = '扫码查验';
const RED_MARK = '红字';
const META_LABELS = ['票据代码：', '票据号码：', '校验码：', '开票日期：'];
const META_SIZE = 9;

/** Baseline of the i-th identifier (code, number, check code, date) at the top right. */
export const metaBaseline = (i: number) => TOP - 10 - i * 16;

/** Resource names shared by every page and form of a receipt. */
export const RESOURCES = {
  templateFont: 'Tpl',
  receiptFont: 'Rcp',
  header: 'Head',
  tableHeader: 'Cols',
} as const;

export const text = new TextDrawer(receiptMetrics);

export interface Cell {
  text: string;
  /** How many of the six columns the cell spans. */
  span?: number;
  align?: Align;
  color?: Color;
  fill?: Color;
  /** A fixed label: drawn with the template's font. */
  label?: boolean;
}

export interface LaidRow {
  cells: (Cell & { x: number; width: number; align: Align; lines: string[] })[];
  height: number;
}

/** Places a row's cells in the columns and wraps their text. */
export function layRow(cells: Cell[]): LaidRow {
  let column = 0;
  const laid = cells.map((cell) => {
    const span = cell.span ?? 1;
    const width = COLUMNS.slice(column, column + span).reduce((w, c) => w + c.width, 0);
    const x = LEFT + COLUMNS.slice(0, column).reduce((w, c) => w + c.width, 0);
    const align = cell.align ?? COLUMNS[column]!.align;
    column += span;
    return { ...cell, x, width, align, lines: text.wrap(cell.text, width - 2 * PAD, BODY) };
  });
  const height = Math.max(22, Math.max(...laid.map((c) => c.lines.length)) * LEADING + 10);
  return { cells: laid, height };
}

/** Draws a bordered row whose top edge is at `top`; labels with `fixed`, the rest with `own`. */
export function drawRow(out: Content, row: LaidRow, top: number, fixed: CjkFace, own: CjkFace): void {
  const { height } = row;
  for (const cell of row.cells) {
    if (cell.fill) out.rect(cell.x, top - height, cell.width, height, { fill: cell.fill });
    out.rect(cell.x, top - height, cell.width, height, { stroke: FORM, lineWidth: 0.6 });
    // Vertically centred block of lines; the baseline sits about 0.35 em below the line's middle.
    const blockTop = top - (height - cell.lines.length * LEADING) / 2;
    cell.lines.forEach((line, i) => {
      const baseline = blockTop - i * LEADING - LEADING / 2 - BODY * 0.35;
      const w = text.width(line, BODY);
      const x =
        cell.align === 'left'
          ? cell.x + PAD
          : cell.align === 'right'
            ? cell.x + cell.width - PAD - w
            : cell.x + (cell.width - w) / 2;
      text.draw(out, cell.label ? fixed : own, line, x, baseline, BODY, cell.color ?? INK);
    });
  }
}

export function centered(
  out: Content,
  face: CjkFace,
  s: string,
  cx: number,
  y: number,
  size: number,
  color: Color,
): void {
  text.draw(out, face, s, cx - text.width(s, size) / 2, y, size, color);
}

/** A form XObject's content, deflated, with its bounding box. */
export interface Form {
  content: Uint8Array;
  bbox: [number, number, number, number];
}

export interface PageTemplate {
  /** The fixed texts' subset (made once), and its numbering for the labels drawn on a page. */
  font: CjkSubset;
  face: CjkFace;
  /** The column headings, a row whose top edge is at 0: place it at the row's top. */
  tableHeader: Form & { height: number };
  /** The header and where the content below it starts, for a red or blue receipt whose QR code is `qrSide` wide. */
  header(red: boolean, qrSide: number): Form & { bottom: number };
}

/** How many forms templates have drawn in this process: a test proves receipts reuse them. */
export const templateDraws = { count: 0 };

const templates = new BoundedCache<string, PageTemplate>(16); // one per title and bureau, in practice one

export function pageTemplate(title: string, bureauName: string): PageTemplate {
  return templates.getOrCompute(`${title}\u0000${bureauName}`, () => makeTemplate(title, bureauName));
}

function makeTemplate(title: string, bureauName: string): PageTemplate {
  const supervised = `${bureauName}监制`;
  const fixedTexts = [
    title,
    supervised,
    QR_CAPTION,
    RED_MARK,
    ...META_LABELS,
    ...COLUMNS.map((c) => c.title),
    ...Object.values(LABELS),
  ];
  const codePoints = fixedTexts.flatMap((s) => [...s].map((ch) => ch.codePointAt(0)!));
  const glyphs = new CjkGlyphs(
    codePoints.filter((cp) => fontFor(cp) === 'cjk'),
    true,
  );
  // All of it up front (the forms are drawn lazily), so every receipt's Latin subset is the same function of its own texts.
  const latin = new Set(codePoints.filter((cp) => fontFor(cp) === 'latin'));
  const face: CjkFace = { name: RESOURCES.templateFont, glyphs, latin };
  const font = makeCjkSubset(subsetTag(String.fromCodePoint(...glyphs.codePoints)), glyphs, nodeDeflate);

  const columns = layRow(
    COLUMNS.map((col) => ({ text: col.title, align: 'center', color: FORM, fill: HEADER_FILL, label: true })),
  );
  // The box leaves room for the half of the borders' width that lies outside the cells.
  const tableHeader = drawForm([LEFT - 1, -columns.height - 1, RIGHT + 1, 1], (out) =>
    drawRow(out, columns, 0, face, face),
  );

  const headers = new Map<string, Form & { bottom: number }>();
  return {
    font,
    face,
    tableHeader: { ...tableHeader, height: columns.height },
    header(red, qrSide) {
      const key = `${red}/${qrSide}`;
      let header = headers.get(key);
      if (!header) {
        header = drawHeader(face, title, supervised, red, qrSide);
        headers.set(key, header);
      }
      return header;
    },
  };
}

/** Everything in the page's head that does not depend on the receipt, given the QR code's size. */
function drawHeader(
  face: CjkFace,
  title: string,
  supervised: string,
  red: boolean,
  qrSide: number,
): Form & { bottom: number } {
  let bottom = 0;
  const form = drawForm([0, 0, PAGE[0], PAGE[1]], (out) => {
    const top = TOP;
    centered(out, face, QR_CAPTION, LEFT + qrSide / 2, top - qrSide - 10, 7, GREY);

    // Title, centred between the QR code and the receipt identifiers, over a double rule.
    const left = LEFT + qrSide + 16;
    const right = META_X - 16;
    const size = text.fit(title, right - left, 20, 11);
    const titleColor = red ? RED : FORM;
    const width = text.width(title, size);
    const x = (left + right - width) / 2;
    const baseline = top - 26;
    text.draw(out, face, title, x, baseline, size, titleColor);
    out.line(x, baseline - 7, x + width, baseline - 7, titleColor, 0.8);
    out.line(x, baseline - 9.5, x + width, baseline - 9.5, titleColor, 0.4);

    let below = baseline - 28;
    if (red) {
      const w = text.width(RED_MARK, 12) + 12;
      const cx = (left + right) / 2;
      out.rect(cx - w / 2, below - 5, w, 18, { stroke: RED, lineWidth: 1 });
      centered(out, face, RED_MARK, cx, below, 12, RED);
      below -= 24;
    }
    centered(out, face, supervised, (left + right) / 2, below, 8, GREY);
    META_LABELS.forEach((label, i) => {
      text.draw(out, face, label, META_X, metaBaseline(i), META_SIZE, FORM);
    });
    bottom = Math.min(top - qrSide - 36, below - 24);
  });
  return { ...form, bottom };
}

function drawForm(bbox: Form['bbox'], draw: (out: Content) => void): Form {
  const out = new Content();
  draw(out);
  templateDraws.count++;
  return { content: nodeDeflate(out.bytes()), bbox };
}
