#!/usr/bin/env node
/**
 * Builds the pages' scripts: every page entry under web/src is bundled by esbuild into
 * web/assets/<page>.js (ES2020, minified, no source maps). Deterministic, so
 * running it twice gives the same bytes; files that did not change are not rewritten, and
 * stale outputs are removed. Takes a few tens of milliseconds.
 *
 *   node scripts/build-web.mjs           build once
 *   node scripts/build-web.mjs --watch   rebuild on change (development)
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'web/src');
const OUT = join(ROOT, 'web/assets');

/**
 * Page entries: one script per HTML page (web/assets/<name>.js). Other modules under web/src
 * are shared imports. The staff console is an entry of its own (Preact, TSX) that no public
 * page imports, so the public pages never load its code.
 */
export const ENTRIES = {
  catalogue: 'catalogue.ts',
  verify: 'verify.ts',
  // Issue 15: the open-data page and the complaint form (public, no console code).
  stats: 'stats.ts',
  complaint: 'complaint.ts',
  console: 'console/main.tsx',
};

/**
 * The console is built on its own with code splitting: what it imports dynamically (the
 * auditors' charts) becomes a `console-*` chunk loaded when first needed, so its first load
 * stays small; the public pages are built without it and share no chunk with the console.
 * The open-data page (issue 15) likewise loads its charts as a `stats-*` chunk, in a build of
 * its own so that it shares no chunk with the console either.
 */
const SPLIT = new Set(['console', 'stats']);

const options = {
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: OUT,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
};

const entryPoints = (names) => names.map((out) => ({ out, in: join(SRC, ENTRIES[out]) }));
const names = Object.keys(ENTRIES);
export const BUILDS = [
  { ...options, entryPoints: entryPoints(names.filter((n) => !SPLIT.has(n))) },
  ...[...SPLIT].map((name) => ({
    ...options,
    entryPoints: entryPoints([name]),
    splitting: true,
    chunkNames: `${name}-[name]-[hash]`,
  })),
];

/**
 * Writes only what changed (through a temporary file and a rename, so that a server or a
 * concurrent build never reads half a file) and removes what is no longer produced.
 */
async function writeOutputs(outputFiles) {
  await mkdir(OUT, { recursive: true });
  const produced = new Set();
  let written = 0;
  for (const file of outputFiles) {
    produced.add(file.path);
    const old = await readFile(file.path).catch(() => null);
    if (old && Buffer.compare(old, Buffer.from(file.contents)) === 0) continue;
    const temporary = `${file.path}.tmp-${process.pid}`;
    await writeFile(temporary, file.contents);
    await rename(temporary, file.path);
    written++;
  }
  for (const name of await readdir(OUT)) {
    const path = join(OUT, name);
    if (!produced.has(path) && !name.includes('.tmp-')) await rm(path, { recursive: true, force: true });
  }
  return written;
}

export async function buildWeb() {
  const started = performance.now();
  const results = await Promise.all(BUILDS.map((b) => esbuild.build({ ...b, write: false })));
  const outputFiles = results.flatMap((r) => r.outputFiles);
  const written = await writeOutputs(outputFiles);
  const ms = Math.round(performance.now() - started);
  return { files: outputFiles.map((f) => relative(ROOT, f.path)), written, ms };
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  if (process.argv.includes('--watch')) {
    // Each build's latest outputs; every rebuild writes them all (stale ones are removed).
    const latest = BUILDS.map(() => []);
    const contexts = await Promise.all(
      BUILDS.map((b, i) =>
        esbuild.context({
          ...b,
          write: false,
          plugins: [
            {
              name: 'write-changed',
              setup(build) {
                build.onEnd(async (result) => {
                  if (result.errors.length === 0) {
                    latest[i] = result.outputFiles ?? [];
                    if (latest.some((files) => files.length === 0)) return; // the other build's first round
                    const written = await writeOutputs(latest.flat());
                    process.stdout.write(`web: rebuilt (${written} file(s) changed)\n`);
                  }
                });
              },
            },
          ],
        }),
      ),
    );
    await Promise.all(contexts.map((ctx) => ctx.watch()));
    process.stdout.write('web: watching web/src\n');
  } else {
    try {
      const { files, written, ms } = await buildWeb();
      process.stdout.write(`web: ${files.length} bundle(s), ${written} written, ${ms} ms\n`);
    } catch {
      // esbuild has already printed the errors.
      process.exitCode = 1;
    }
  }
}
