import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { type SignPdfOptions, signPdfDocument } from '../../../lambdas/adapters/pdf/pades.js';
import { type ReceiptPdfInput, renderReceiptDocument } from '../../../lambdas/adapters/pdf/render.js';
import type { Signer } from '../../../lambdas/core/signer.js';

/** A receipt rendered and saved unsigned (the service never ships one: it signs as it saves). */
export async function renderUnsigned(input: ReceiptPdfInput): Promise<Uint8Array> {
  return (await renderReceiptDocument(input)).save({ useObjectStreams: true, addDefaultPage: false });
}

/** Signs a PDF already saved, as signPdfDocument signs a rendered one. */
export async function signSaved(
  pdf: Uint8Array,
  signer: Signer,
  certificateDer: Uint8Array,
  opts: SignPdfOptions,
): Promise<Uint8Array> {
  return signPdfDocument(
    await PDFDocument.load(pdf, { updateMetadata: false }),
    signer,
    certificateDer,
    opts,
  );
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command-line tool; never rejects, so tests can assert on the exit code. */
export function run(command: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(command, args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'feeproof-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Rasterises page 1 as 8-bit greyscale (PGM) and returns the pixels. */
export async function rasterPage(
  pdfPath: string,
  dpi = 100,
): Promise<{ width: number; height: number; pixels: Uint8Array }> {
  const out = `${pdfPath}.r${dpi}`;
  const r = await run('pdftoppm', [
    '-gray',
    '-r',
    String(dpi),
    '-f',
    '1',
    '-l',
    '1',
    '-singlefile',
    pdfPath,
    out,
  ]);
  if (r.code !== 0) throw new Error(`pdftoppm failed: ${r.stderr}`);
  const pgm = await readFile(`${out}.pgm`);
  // P5\n<width> <height>\n<max>\n<pixels>
  const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(pgm.subarray(0, 64).toString('latin1'));
  if (!header) throw new Error('not a PGM file');
  const width = Number(header[1]);
  const height = Number(header[2]);
  return { width, height, pixels: new Uint8Array(pgm.subarray(header[0].length)) };
}

/** Pixels darker than mid-grey. */
export function inkCount(pixels: Uint8Array): number {
  let n = 0;
  for (const p of pixels) if (p < 128) n++;
  return n;
}
