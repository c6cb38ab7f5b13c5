/**
 * GET /v1/keys, fetched once per page: the QR code's offline check and the log check both read
 * it, and a page that opens from a QR code asks the server for nothing twice.
 */
import { type ApiAnswer, apiUrl, getJson } from '../api.js';
import type { PublishedKey } from '../qr-signature.js';

export interface KeysAnswer {
  keys: PublishedKey[];
  /** The transparency log's vkey and its witnesses' (issue 13). */
  log?: { vkey: string; witnesses?: string[] };
}

let answer: Promise<ApiAnswer<KeysAnswer>> | undefined;

/** The published keys; a failed fetch is forgotten, so the next check asks again. */
export function publishedKeys(): Promise<ApiAnswer<KeysAnswer>> {
  answer ??= getJson<KeysAnswer>(apiUrl('v1/keys')).then(
    (res) => {
      if (res.status !== 200) answer = undefined;
      return res;
    },
    (error) => {
      answer = undefined;
      throw error;
    },
  );
  return answer;
}
