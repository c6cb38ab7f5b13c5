import { AppError } from '../core/errors.js';

/**
 * The receipt font's rule, in one place: a text with a character the fonts cannot draw is
 * refused (422, `unprintable_character` naming where it is) before anything is written, never
 * printed blank. Issuing checks every text a receipt prints, the charge check (its dry run) the
 * same, and finance a department's name before a receipt may print it.
 * The font loads (4 MB, once per process) on the first check.
 */
export async function refuseUnprintable(texts: readonly (readonly [path: string, text: string])[]) {
  const { missingGlyphs } = await import('../adapters/pdf/fonts.js');
  const missing = missingGlyphs(texts.map(([, t]) => t));
  if (missing.length)
    throw new AppError(
      'unprocessable',
      `the receipt font cannot print: ${missing.join(' ')}`,
      missing.map((c) => ({
        path: texts.find(([, t]) => t.includes(c))![0],
        rule: 'unprintable_character',
        message: `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} ${c} cannot be printed on the receipt`,
      })),
    );
}
