import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { StoredReceipt } from '../../core/ports.js';

/**
 * The complete receipt as its public check row keeps it (keys.ts checksKey, attribute `copy`):
 * its JSON, deflated with a preset dictionary of what every receipt's JSON repeats (field names,
 * fixed values), behind a format byte. A typical receipt's 1.5 KB of JSON is about 640 bytes
 * so, and the row under the 1 KB for which a transactional write costs 2 WRU instead of 4
 * (docs/speed.md). Rows written before keep the JSON as text (`receipt`); both read.
 *
 * A format's dictionary can never change: every row written with it needs it to be read. A
 * better one is a new format byte, and the old stays readable.
 */
const FORMATS: Record<number, Buffer> = {
  1: Buffer.from(
    [
      // What only some receipts hold (a red receipt's, an organization payer's): first, farthest.
      '"kind":"red","reverses":{"code":"","number":""},"reason":"",',
      '"payer":{"type":"organization","name":"有限公司","creditCode":""},',
      // A blue receipt of a person, in the order completion writes its fields: last, nearest.
      JSON.stringify({
        checkCode: '',
        kind: 'blue',
        issuedAt: '2026-01-01T00:00:00.000Z',
        issueDate: '2026-01-01',
        chargeDate: '2026-01-01',
        department: '',
        collectingUnit: '某市局',
        payer: { type: 'person', name: '', idNumber: '' },
        lines: [
          {
            itemCode: '',
            itemVersion: 1,
            name: '费',
            unit: '件',
            quantity: 1,
            standard: '',
            amount: 0,
            fundManagement: 'treasury',
          },
        ],
        total: 0,
        handledBy: '',
        remark: '',
        code: '',
        number: '00000',
        status: 'issued',
        rangeId: '',
        idempotencyKey: '',
        signatures: {
          unit: { keyId: '', algorithm: 'ECDSA_P256_SHA256', value: 'ME' },
          supervision: { keyId: '', algorithm: 'ECDSA_P256_SHA256', value: 'ME' },
        },
        qrSignature: '',
        keyId: '',
        pdfSha256: '',
        pdfBytes: 0,
        pdfKey: 'receipts/',
        completedAt: '2026-01-01T00:00:00.000Z',
        logSalt: '',
      }),
    ].join(''),
  ),
};
const CURRENT = 1;

export function encodeCopy(receipt: StoredReceipt): Uint8Array {
  const deflated = deflateRawSync(JSON.stringify(receipt), { dictionary: FORMATS[CURRENT] });
  const out = new Uint8Array(deflated.length + 1);
  out[0] = CURRENT;
  out.set(deflated, 1);
  return out;
}

/** The JSON a copy holds; throws for a format this code does not know (a row altered, say). */
export function copyText(copy: Uint8Array): string {
  const dictionary = FORMATS[copy[0]!];
  if (!dictionary) throw new Error(`a receipt copy in an unknown format (${copy[0]})`);
  return inflateRawSync(copy.subarray(1), { dictionary }).toString('utf8');
}

/**
 * A check row's copy, `copy` or (rows written before) `receipt`: `id` is its exact stored form,
 * for caching what is parsed of it; `parse` reads it.
 */
export function storedCopy(row: {
  copy?: Uint8Array;
  receipt?: string;
}): { id: string; parse: () => StoredReceipt } | undefined {
  const { copy, receipt } = row;
  if (copy) {
    return {
      id: Buffer.from(copy.buffer, copy.byteOffset, copy.byteLength).toString('latin1'),
      parse: () => JSON.parse(copyText(copy)) as StoredReceipt,
    };
  }
  return receipt === undefined
    ? undefined
    : { id: receipt, parse: () => JSON.parse(receipt) as StoredReceipt };
}
