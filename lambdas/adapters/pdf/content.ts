/**
 * A PDF content stream written as text: the receipt's few operators (text, rectangles,
 * lines, placed forms) appended to one string. pdf-lib builds an object per operator and per
 * number and serialises them again at save, which cost more than the drawing itself.
 */

/** An RGB colour, each component 0..1. */
export type Color = readonly [number, number, number];

/** A number as PDF writes it: at most three decimals (a thousandth of a point), no exponent. */
export function num(v: number): string {
  const rounded = Math.round(v * 1000) / 1000;
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

const colorOps = (c: Color) => `${num(c[0])} ${num(c[1])} ${num(c[2])}`;

export class Content {
  private readonly ops: string[] = [];

  /** One run of text in one font, already encoded as the font's hex codes. */
  text(font: string, size: number, x: number, y: number, hex: string, color: Color): void {
    this.ops.push(`BT ${colorOps(color)} rg /${font} ${num(size)} Tf ${num(x)} ${num(y)} Td <${hex}> Tj ET`);
  }

  /** A rectangle, filled and/or outlined (the outline centred on its edges, as pdf-lib draws). */
  rect(
    x: number,
    y: number,
    width: number,
    height: number,
    style: { fill?: Color; stroke?: Color; lineWidth?: number },
  ): void {
    const path = `${num(x)} ${num(y)} ${num(width)} ${num(height)} re`;
    if (style.fill) this.ops.push(`${colorOps(style.fill)} rg ${path} f`);
    if (style.stroke) this.ops.push(`${colorOps(style.stroke)} RG ${num(style.lineWidth ?? 1)} w ${path} S`);
  }

  line(x1: number, y1: number, x2: number, y2: number, color: Color, width: number): void {
    this.ops.push(`${colorOps(color)} RG ${num(width)} w ${num(x1)} ${num(y1)} m ${num(x2)} ${num(y2)} l S`);
  }

  /** Draws the form XObject `name` moved by (dx, dy). */
  form(name: string, dx = 0, dy = 0): void {
    this.ops.push(dx || dy ? `q 1 0 0 1 ${num(dx)} ${num(dy)} cm /${name} Do Q` : `/${name} Do`);
  }

  /** Operators written elsewhere (a QR path), kept in their own graphics state. */
  raw(ops: string): void {
    this.ops.push(`q\n${ops}\nQ`);
  }

  bytes(): Uint8Array {
    return Buffer.from(this.ops.join('\n'), 'latin1');
  }
}
