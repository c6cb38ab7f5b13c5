/**
 * Opened from a QR code (or a link): the fields come from the URL. The QR code's compact
 * signature is checked offline against the published keys first, then the server is asked.
 */
import { bi } from '../dom.js';
import {
  type OfflineResult,
  type PublishedKey,
  type QrParams,
  qrParamsOf,
  verifyQrSignature,
} from '../qr-signature.js';
import { fillFields, readFields, verifyByNumbers } from './by-numbers.js';
import { fieldsOfUrl } from './fields.js';
import { publishedKeys } from './keys.js';
import { beginCheck, renderVerdict } from './render.js';
import { malformedLinkVerdict } from './verdict.js';

async function checkOffline(qr: Partial<QrParams>): Promise<OfflineResult> {
  if (!globalThis.crypto?.subtle) return { state: 'unavailable', reason: 'no_webcrypto' };
  let keys: PublishedKey[];
  try {
    const res = await publishedKeys();
    if (res.status !== 200 || !Array.isArray(res.body?.keys))
      return { state: 'unavailable', reason: 'keys_unreachable' };
    keys = res.body.keys;
  } catch {
    return { state: 'unavailable', reason: 'keys_unreachable' };
  }
  try {
    return await verifyQrSignature(qr, keys);
  } catch {
    return { state: 'invalid', reason: 'malformed_signature' };
  }
}

export function startFromUrl(): void {
  const search = new URLSearchParams(location.search);
  const given = fieldsOfUrl(search);
  if (!given) return;
  fillFields(given);
  const { values, invalid } = readFields();
  if (invalid.length) {
    beginCheck(bi('链接', 'link'));
    renderVerdict(malformedLinkVerdict(invalid));
    return;
  }
  const params = qrParamsOf(search);
  void verifyByNumbers(values, params && { params, checkOffline: () => checkOffline(params) }, false);
}
