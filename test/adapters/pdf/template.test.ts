import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import fontkit from '@pdf-lib/fontkit';
import { PDFArray, PDFDict, PDFDocument, PDFName, type PDFRawStream, PDFStream, rgb } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { CjkGlyphs, embedCjkSubset, makeCjkSubset } from '../../../lambdas/adapters/pdf/cid-font.js';
import { Content } from '../../../lambdas/adapters/pdf/content.js';
import { nodeDeflate } from '../../../lambdas/adapters/pdf/deflate.js';
import { cjkFontPath, fontFor } from '../../../lambdas/adapters/pdf/fonts.js';
import { templateDraws } from '../../../lambdas/adapters/pdf/template.js';
import type { ReceiptContent } from '../../../lambdas/core/receipt.js';
import { BUREAU, blueReceipt, urlOf } from '../../support/sample-receipts.js';
import { inkCount, rasterPage, renderUnsigned, run, withTempDir } from './tools.js';

const render = (content: ReceiptContent) =>
  renderUnsigned({ content, verifyUrl: urlOf(content), bureauName: BUREAU });

/** The raw (still compressed) bytes of the objects a receipt's page refers to, by role. */
async function parts(pdf: Uint8Array) {
  const doc = await PDFDocument.load(pdf);
  const resources = doc.getPage(0).node.Resources()!;
  const dict = (d: PDFDict, key: string) => d.lookup(PDFName.of(key), PDFDict);
  const stream = (d: PDFDict, key: string) =>
    (d.lookup(PDFName.of(key), PDFStream) as PDFRawStream).getContents();
  const font = (name: string) => {
    const type0 = dict(dict(resources, 'Font'), name);
    const cid = type0.lookup(PDFName.of('DescendantFonts'), PDFArray).lookup(0, PDFDict);
    return { file: stream(dict(cid, 'FontDescriptor'), 'FontFile2'), toUnicode: stream(type0, 'ToUnicode') };
  };
  const xobjects = dict(resources, 'XObject');
  return {
    header: stream(xobjects, 'Head'),
    columns: stream(xobjects, 'Cols'),
    template: font('Tpl'),
    own: font('Rcp'),
  };
}

/** The characters a font's ToUnicode map gives text for (its bfchar entries). */
const mapped = (toUnicode: Uint8Array) =>
  new Set(
    [
      ...inflateSync(toUnicode)
        .toString('latin1')
        .matchAll(/beginbfchar([\s\S]*?)endbfchar/g),
    ].flatMap((block) =>
      [...block[1]!.matchAll(/<[0-9a-f]{4}> <([0-9a-f]{4,8})>/g)].map((m) =>
        Buffer.from(m[1]!, 'hex').swap16().toString('utf16le'),
      ),
    ),
  );

async function textOf(pdf: Uint8Array): Promise<string> {
  return withTempDir(async (dir) => {
    await writeFile(join(dir, 'r.pdf'), pdf);
    const r = await run('pdftotext', ['-enc', 'UTF-8', join(dir, 'r.pdf'), '-']);
    expect(r.code).toBe(0);
    return r.stdout;
  });
}

describe('the page template', () => {
  it('is drawn once per process: two receipts share it and differ only in their own texts', async () => {
    const first = await render(blueReceipt);
    const drawn = templateDraws.count;
    expect(drawn).toBeGreaterThan(0);
    const other: ReceiptContent = {
      ...blueReceipt,
      number: '0000007777',
      checkCode: 'QW12ER',
      payer: { type: 'person', name: '司马相如', idNumber: '110101199003079999' },
    };
    const second = await render(other);
    expect(templateDraws.count).toBe(drawn);

    const [a, b] = [await parts(first), await parts(second)];
    expect(Buffer.from(b.header).equals(Buffer.from(a.header))).toBe(true);
    expect(Buffer.from(b.columns).equals(Buffer.from(a.columns))).toBe(true);
    expect(Buffer.from(b.template.file).equals(Buffer.from(a.template.file))).toBe(true);
    expect(Buffer.from(b.template.toUnicode).equals(Buffer.from(a.template.toUnicode))).toBe(true);
    expect(Buffer.from(b.own.file).equals(Buffer.from(a.own.file))).toBe(false);

    // The extracted texts are the same once each receipt's own values are blanked out.
    const blank = (text: string, c: ReceiptContent) =>
      [c.number, c.checkCode, c.payer.name, c.payer.idNumber!, urlOf(c)].reduce(
        (t, value) => t.replaceAll(value, '#'),
        text.replace(/\s+/g, ''),
      );
    const [textA, textB] = [await textOf(first), await textOf(second)];
    expect(textB).toContain('司马相如');
    expect(blank(textB, other)).toBe(blank(textA, blueReceipt));
  });

  it("holds the fixed texts' characters; a receipt's own subset holds only its own", async () => {
    const { template, own } = await parts(await render(blueReceipt));
    const fixed = mapped(template.toUnicode);
    const mine = mapped(own.toUnicode);
    for (const ch of '扫码查验票据代码校监制交款人项目编金额合计大写小备注收章本电子签名')
      expect(fixed).toContain(ch);
    for (const ch of '欧阳晓明李娜陆佰拾整窗') {
      expect(mine).toContain(ch);
      expect(fixed).not.toContain(ch);
    }
    // Characters that only labels print are not in the receipt's own subset.
    for (const ch of '扫校监查项编签') expect(mine).not.toContain(ch);
  });

  it("extracts every character of a receipt's own texts", async () => {
    // 150 characters spread over the CJK block, with the font's composite glyphs among them.
    const spread = Array.from({ length: 150 }, (_, i) => String.fromCodePoint(0x4e00 + i * 137)).filter(
      (ch) => fontFor(ch.codePointAt(0)!) === 'cjk',
    );
    const remark = spread.join('');
    const content: ReceiptContent = {
      ...blueReceipt,
      remark,
      payer: { type: 'person', name: spread.slice(0, 6).join('') },
    };
    const text = (await textOf(await render(content))).replace(/\s+/g, '');
    for (const ch of spread) expect(text).toContain(ch);
    expect(text).toContain(spread.slice(0, 6).join(''));
  });
});

describe('the TrueType subsetter', () => {
  // The same check as fonts.test.ts makes of fontkit's subset: a subset draws exactly what the
  // whole font draws, here over characters whose glyphs are composite and odd-length too.
  it('draws every glyph as the whole font does', async () => {
    const chars = Array.from({ length: 240 }, (_, i) => String.fromCodePoint(0x4e00 + i * 83)).filter(
      (ch) => fontFor(ch.codePointAt(0)!) === 'cjk',
    );
    const lines = Array.from({ length: Math.ceil(chars.length / 24) }, (_, i) =>
      chars.slice(i * 24, i * 24 + 24).join(''),
    );
    const page = async (draw: (doc: PDFDocument) => Promise<void>) => {
      const doc = await PDFDocument.create();
      await draw(doc);
      return doc.save();
    };
    const subset = await page(async (doc) => {
      const glyphs = new CjkGlyphs();
      const content = new Content();
      lines.forEach((line, i) => {
        content.text('F', 20, 40, 800 - i * 26, glyphs.hex(line), [0, 0, 0]);
      });
      const font = embedCjkSubset(doc.context, makeCjkSubset('AAAAAA', glyphs, nodeDeflate));
      const p = doc.addPage([595.28, 841.89]);
      p.node.set(PDFName.of('Resources'), doc.context.obj({ Font: { F: font } }));
      p.node.set(PDFName.Contents, doc.context.register(doc.context.flateStream(content.bytes())));
    });
    const full = await page(async (doc) => {
      doc.registerFontkit(fontkit);
      const font = await doc.embedFont(await readFile(cjkFontPath()), { subset: false });
      const p = doc.addPage([595.28, 841.89]);
      lines.forEach((line, i) => {
        p.drawText(line, { x: 40, y: 800 - i * 26, size: 20, font, color: rgb(0, 0, 0) });
      });
    });
    expect(subset.length).toBeLessThan(200_000);
    await withTempDir(async (dir) => {
      const ink: Record<string, number> = {};
      for (const [name, pdf] of Object.entries({ subset, full })) {
        await writeFile(join(dir, `${name}.pdf`), pdf);
        ink[name] = inkCount((await rasterPage(join(dir, `${name}.pdf`), 72)).pixels);
      }
      expect(ink.full).toBeGreaterThan(10_000);
      expect(Math.abs(ink.subset! - ink.full!) / ink.full!).toBeLessThan(0.005);
    });
  });
});
