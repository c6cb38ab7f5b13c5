import { AppError } from '../core/errors.js';

/**
 * The fonts module, imported on first use (functions that never print do not load it) and
 * held: an `import()` per call costs a trip through the module loader each time (under tsx,
 * a message to its loader thread: about 2 % of a server worker's CPU while issuing).
 */
let fontsModule: Promise<typeof import('../adapters/pdf/fonts.js')> | undefined;
const fonts = () => (fontsModule ??= import('../adapters/pdf/fonts.js'));

/**
 * The receipt font's rule, in one place: a text with a character the fonts cannot draw is
 * refused (422, `unprintable_character` naming where it is) before anything is written, never
 * printed blank. Issuing checks every text a receipt prints, the charge check (its dry run) the
 * same, and finance a department's name before a receipt may print it.
 * The font loads (4 MB, once per process) on the first check.
 */
export async function refuseUnprintable(texts: readonly (readonly [path: string, text: string])[]) {
  const { missingGlyphs } = await fonts();
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
