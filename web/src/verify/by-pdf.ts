/** Checking a receipt's PDF: chosen with the file input, or dropped anywhere on the page. */
import type { PdfCheckAnswer } from '../../../lambdas/handlers/verify.js';
import { apiUrl, getJson, retryAfterSeconds } from '../api.js';
import { bi, byId, h } from '../dom.js';
import { beginCheck, renderChecks, renderReceipt, renderVerdict, showVerdict } from './render.js';
import { CHECKING, fileVerdict, type PdfOutcome, pdfVerdict } from './verdict.js';

const fileInput = byId<HTMLInputElement>('pdf-file');
const dropzone = byId('dropzone');

function sizeText(bytes: number): string {
  return bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 * 1024
      ? `${(bytes / 1024).toFixed(0)} KB`
      : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

async function verifyPdf(file: File) {
  const current = beginCheck([
    bi('PDF 文件', 'PDF file'),
    ' ',
    h('span', { class: 'file-name', 'data-testid': 'file-name' }, file.name),
    ` (${sizeText(file.size)})`,
  ]);
  const refused = fileVerdict(file.size);
  if (refused) {
    showVerdict(refused, { focus: true });
    return;
  }
  renderVerdict(CHECKING);
  let outcome: PdfOutcome;
  try {
    const res = await getJson<PdfCheckAnswer>(apiUrl('v1/verify/pdf'), {
      method: 'POST',
      headers: { 'content-type': 'application/pdf' },
      body: await file.arrayBuffer(),
    });
    if (!current()) return;
    outcome = pdfVerdict({ ...res, retryAfter: retryAfterSeconds(res.headers) });
  } catch {
    if (!current()) return;
    outcome = pdfVerdict(null);
  }
  renderChecks(outcome.checks);
  renderReceipt(outcome.receipt);
  showVerdict(outcome.verdict, { focus: true });
}

function pickPdf(files: FileList | null | undefined) {
  const file = files?.[0];
  if (file) void verifyPdf(file);
}

export function startByPdf(): void {
  fileInput.addEventListener('change', () => {
    pickPdf(fileInput.files);
    // The same file chosen again is checked again.
    fileInput.value = '';
  });

  // A file dropped anywhere on the page is checked (rather than opened by the browser).
  let dragDepth = 0;
  const hasFiles = (event: DragEvent) => [...(event.dataTransfer?.types ?? [])].includes('Files');
  window.addEventListener('dragenter', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    dragDepth++;
    dropzone.classList.add('dropzone--active');
  });
  window.addEventListener('dragover', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
  });
  window.addEventListener('dragleave', () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) dropzone.classList.remove('dropzone--active');
  });
  window.addEventListener('drop', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    dragDepth = 0;
    dropzone.classList.remove('dropzone--active');
    pickPdf(event.dataTransfer?.files);
  });
}
