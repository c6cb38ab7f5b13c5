/**
 * The receipt's place in the public transparency log (issue 13), checked in the browser: the
 * page fetches the log's checkpoint and the tiles it needs itself, verifies the checkpoint's
 * Ed25519 signature against the log key GET /v1/keys publishes, reads the receipt's entry from
 * its entry bundle (so whatever the entry's schema version), checks it is this receipt's with
 * the commitment the service computes from the stored receipt, and checks its inclusion proof
 * up to the signed root: the server's word is not taken for any of it. The proof code is the
 * server's own (lambdas/core/tlog), which is browser-safe.
 *
 * The page cannot recompute the commitment itself: it is over the receipt's full canonical data,
 * payer included, which the public answer masks. It compares the logged commitment with the
 * answer's instead; a record altered after it was logged shows as a mismatch here.
 */

import { TlogError } from '../../../lambdas/core/tlog/errors.js';
import { verifyReceiptInclusion } from '../../../lambdas/core/tlog/receipt-inclusion.js';
import { type TileId, tilePath } from '../../../lambdas/core/tlog/tiles.js';
import type { VerifyAnswer } from '../../../lambdas/handlers/verify.js';
import { apiUrl } from '../api.js';
import { bi, byId, clear, h } from '../dom.js';
import { publishedKeys } from './keys.js';

/** The line under the receipt: created once, after #receipt. */
function logLine(): HTMLElement {
  const existing = document.getElementById('log-check');
  if (existing) return existing;
  const line = h('p', { id: 'log-check', class: 'offline', 'data-testid': 'log-check', hidden: true });
  byId('receipt').after(line);
  return line;
}

export function clearLogCheck(): void {
  const line = document.getElementById('log-check');
  if (!line) return;
  clear(line);
  line.hidden = true;
  delete line.dataset.state;
}

type LogState = 'checking' | 'pending' | 'valid' | 'invalid';
const MARKS: Record<LogState, string> = { checking: '…', pending: '…', valid: '✓', invalid: '✗' };

function show(state: LogState, text: DocumentFragment, ...more: (Node | string)[]): void {
  const line = logLine();
  clear(line);
  line.hidden = false;
  // The offline-signature line's look: green valid, red invalid, grey while waiting.
  line.dataset.state = state === 'pending' ? 'checking' : state;
  line.dataset.log = state;
  line.append(h('span', { class: 'offline__mark', 'aria-hidden': 'true' }, MARKS[state]), text, ...more);
}

/** The log's files sit beside the pages (tlog-tiles paths under log/). */
const logUrl = (path: string) => new URL(`log/${path}`, document.baseURI).toString();

async function fetchBytes(url: string): Promise<Uint8Array | null> {
  const res = await fetch(url);
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * Checks the answered receipt in the log and draws the result; `current` says whether this
 * check is still the page's latest (a newer one drops this one's result).
 */
export async function checkInLog(
  answer: VerifyAnswer | null,
  ref: { code: string; number: string; checkCode: string },
  current: () => boolean,
): Promise<void> {
  const log = answer?.log;
  if (!log) return; // not found, or completed before the log existed
  if (log.index === undefined) {
    show(
      'pending',
      bi(
        '已开具，等待记入公开日志的下一个检查点（通常几秒钟）。',
        'Issued; waiting for the next checkpoint of the public log (usually a few seconds).',
      ),
    );
    return;
  }
  const index = log.index;
  show('checking', bi('正在核对公开日志…', 'Checking the public log…'));
  try {
    const keys = await publishedKeys();
    const vkey = keys.body?.log?.vkey;
    if (!vkey) throw new Error('GET /v1/keys publishes no log key');
    const note = await fetchBytes(logUrl('checkpoint'));
    if (!note) throw new TlogError('not_in_checkpoint', 'the log has no checkpoint yet');
    const result = await verifyReceiptInclusion({
      note: new TextDecoder().decode(note),
      policy: { origin: vkey.split('+')[0]!, logKeys: [vkey], witnessKeys: keys.body?.log?.witnesses ?? [] },
      index,
      receipt: { code: ref.code, number: ref.number, commitment: log.commitment },
      readTile: (tile: TileId) => fetchBytes(logUrl(tilePath(tile))),
    });
    if (!current()) return;
    const size = result.checkpoint.size;
    const witnesses = result.cosignatures.length;
    const proofUrl = apiUrl('v1/verify/log-proof', { ...ref });
    show(
      'valid',
      bi(
        `已记入公开日志第 ${index} 条；检查点大小 ${size}，由日志及 ${witnesses} 个见证方签署；包含证明已在本浏览器中验证。`,
        `Recorded in the public log at index ${index}; checkpoint of size ${size}, signed by the log and ${witnesses} witness${witnesses === 1 ? '' : 'es'}; the inclusion proof was checked in this browser.`,
      ),
      ' ',
      h(
        'a',
        { href: proofUrl, download: `${ref.code}-${ref.number}.tlog-proof`, 'data-testid': 'log-proof-link' },
        bi('下载证明 (.tlog-proof)', 'download proof (.tlog-proof)'),
      ),
    );
  } catch (e) {
    if (!current()) return;
    if (e instanceof TlogError && e.code === 'not_in_checkpoint') {
      show(
        'pending',
        bi(
          '已开具，等待记入公开日志的下一个检查点（通常几秒钟）。',
          'Issued; waiting for the next checkpoint of the public log (usually a few seconds).',
        ),
      );
      return;
    }
    const why = e instanceof TlogError ? `${e.code}: ${e.message}` : (e as Error).message;
    show(
      'invalid',
      bi('公开日志核对未通过：', 'The public log check FAILED: '),
      h('code', { 'data-testid': 'log-failure' }, why),
    );
  }
}
