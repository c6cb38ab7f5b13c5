/**
 * How a function is bundled: the one definition, read by the stack (NodejsFunction, which
 * runs the local esbuild CLI) and by test/cdk/bundles.test.ts (esbuild's JavaScript API, to
 * get a metafile and write bundles where the test wants them). That test also checks that
 * both produce the same bytes, so the bundle the tests invoke is the bundle that is deployed.
 */
import * as path from 'node:path';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/** The bundle's file name (ESM), so the handler is `index.handler`. */
export const BUNDLE_FILE = 'index.mjs';

export const FONT_FILE = 'DroidSansFallbackFull.ttf';
const FONT_LICENSE_FILE = 'DroidSansFallback.LICENSE.txt';
/** The Latin font (PDF/A embeds every font) and the sRGB profile of the PDF/A output intent, with their licences. */
const LATIN_FONT_FILES = ['LiberationSans-Regular.ttf', 'LiberationSans.LICENSE.txt'];
const ICC_FILES = ['sRGB.icc', 'sRGB.LICENSE.txt'];
/** assets/icc in the repository, icc/ in the package: next to fonts/ in both (lambdas/adapters/pdf/pdfa.ts). */
const ICC_DIR = 'icc';
/** Where the font sits in the repository and, relative to the bundle, in the deployment package. */
const FONT_SOURCE_DIR = 'assets/fonts';
const FONT_PACKAGE_DIR = 'fonts';
/** Where the font is inside the deployment package (LAMBDA_TASK_ROOT is /var/task). */
export const LAMBDA_FONT_PATH = `/var/task/${FONT_PACKAGE_DIR}/${FONT_FILE}`;

/** Defines `require` in the ESM bundle so bundled CommonJS dependencies can require built-ins. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __feeproofCreateRequire } from 'node:module'; const require = __feeproofCreateRequire(import.meta.url);";

/**
 * The esbuild settings of every function. Each one is passed to NodejsFunction through the
 * prop that renders it as the same CLI flag (see `nodejsBundling`).
 */
export const ESBUILD_SETTINGS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  banner: { js: ESM_REQUIRE_BANNER },
  minify: true,
  // No source maps shipped: stack traces name minified frames, and the code's structure is
  // not handed to whoever can download the function package.
  sourcemap: false,
  // Chinese text as UTF-8 rather than \u escapes (esbuild's default is ASCII output).
  charset: 'utf8',
  // Bundle the AWS SDK too: the versions tested are the versions deployed.
  external: [],
  logLevel: 'warning',
} as const satisfies BuildOptions;

/**
 * Commands run after esbuild, in the bundle's output directory, as NodejsFunction runs its
 * `afterBundling` hook (`bash -c` in the project root): functions that render PDFs get the
 * CJK and Latin fonts (and their licences) next to the bundle, at `fonts/`, and the sRGB
 * profile at `icc/`.
 */
export function afterBundlingCommands(rendersPdf: boolean, inputDir: string, outputDir: string): string[] {
  if (!rendersPdf) return [];
  const copy = (file: string) =>
    `cp "${inputDir}/${FONT_SOURCE_DIR}/${file}" "${outputDir}/${FONT_PACKAGE_DIR}/${file}"`;
  const copyIcc = (file: string) =>
    `cp "${inputDir}/assets/${ICC_DIR}/${file}" "${outputDir}/${ICC_DIR}/${file}"`;
  return [
    `mkdir -p "${outputDir}/${FONT_PACKAGE_DIR}" "${outputDir}/${ICC_DIR}"`,
    copy(FONT_FILE),
    copy(FONT_LICENSE_FILE),
    ...LATIN_FONT_FILES.map(copy),
    ...ICC_FILES.map(copyIcc),
  ];
}

/** `ESBUILD_SETTINGS` as NodejsFunction bundling options (local esbuild, no Docker). */
export function nodejsBundling(rendersPdf: boolean): nodejs.BundlingOptions {
  const s = ESBUILD_SETTINGS;
  return {
    format: nodejs.OutputFormat.ESM,
    target: s.target,
    mainFields: [...s.mainFields],
    banner: s.banner.js,
    minify: s.minify,
    sourceMap: s.sourcemap,
    // NodejsFunction's `charset` prop never reaches the esbuild command line (aws-cdk-lib
    // 2.276), so the flag is passed as it is.
    esbuildArgs: { '--charset': s.charset },
    externalModules: [...s.external],
    logLevel: nodejs.LogLevel.WARNING,
    forceDockerBundling: false,
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (inputDir, outputDir) => afterBundlingCommands(rendersPdf, inputDir, outputDir),
    },
  };
}

/**
 * `ESBUILD_SETTINGS` as options of esbuild's `build()`: the entry bundled into
 * `<outputDir>/index.mjs` from the project root, as NodejsFunction's esbuild command does.
 */
export function esbuildOptions(projectRoot: string, entry: string, outputDir: string): BuildOptions {
  return {
    ...ESBUILD_SETTINGS,
    mainFields: [...ESBUILD_SETTINGS.mainFields],
    external: [...ESBUILD_SETTINGS.external],
    absWorkingDir: projectRoot,
    entryPoints: [path.resolve(entry)],
    outfile: path.join(outputDir, BUNDLE_FILE),
  };
}
