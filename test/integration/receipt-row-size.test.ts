/**
 * What completing a receipt writes to DynamoDB, measured on real rows (DynamoDB Local) and
 * priced in write request units: before PDFs moved to the blob store (the PDF in a row of its
 * own, in the completing transaction) and now. docs/deployment.md's cost table uses these
 * figures; the test prints them.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  checksKey,
  pdfKey,
  RECEIPT_INDEXES,
  RECEIPT_LOG_ENTRY,
  receiptKey,
} from '../../lambdas/adapters/dynamo/keys.js';
import { copyText } from '../../lambdas/adapters/dynamo/receipt-copy.js';
import { getDeps } from '../../lambdas/app/deps.js';
import { TABLES } from '../../lambdas/runtime/tables.js';
import { indexWru, itemSize, transactionalWru } from '../support/item-size.js';
import { issue, registrationCharge } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => svc?.stop());

async function row(key: Record<string, string>) {
  const deps = getDeps();
  const out = await deps.db.send(
    new GetCommand({ TableName: deps.config.tables.receipts, Key: key, ConsistentRead: true }),
  );
  return out.Item;
}

it('a completed receipt row keeps the PDF key and hash, not the bytes: the completing transaction costs under a tenth of the write units it did', async () => {
  const token = await svc.token({ role: 'collector', department: 'ZRZY' });
  // The demo charge, with a payer ID number: the receipt sits in every receipt index.
  const res = await issue(svc, token, registrationCharge());
  expect(res.status).toBe(201);
  const ref = { code: res.body.code, number: res.body.number };
  const receiptRow = (await row(receiptKey(ref)))!;
  const checkRow = (await row(checksKey(ref)))!;
  expect(await row(pdfKey(ref))).toBeUndefined();
  expect(receiptRow.pdf).toBeUndefined();
  expect(receiptRow.pdfKey).toBe(
    `receipts/${ref.code}/${ref.number.slice(0, -3)}/${ref.number}-${receiptRow.pdfSha256}.pdf`,
  );
  const pdf = (await svc.api('GET', `/v1/receipts/${ref.code}/${ref.number}/pdf`, { token })).bytes;
  expect(pdf.length).toBe(receiptRow.pdfBytes);

  // The indexes the completed row was rewritten in when they projected ALL (four: department,
  // month, payer name and ID; the by-item one held item rows), and now that they project keys
  // only (none: completing changes no key); it also left the pending index then, which is gone.
  const allBefore = Object.values(RECEIPT_INDEXES).filter(
    (ix) => ix.attribute in receiptRow && ix.attribute !== 'itemPk',
  ).length;
  const receiptIndexes = TABLES.find((t) => t.id === 'receipts')!.indexes;
  const indexes = receiptIndexes.filter(
    (ix) => ix.projection !== 'KEYS_ONLY' && ix.partitionKey in receiptRow,
  ).length;
  const now = {
    receipt: itemSize(receiptRow),
    check: itemSize(checkRow),
  };
  // The row had neither the PDF's key nor its log entry (queued apart then: 2 WRU, below).
  const { pdfKey: _key, [RECEIPT_LOG_ENTRY]: _entry, ...rowBefore } = receiptRow;
  const before = {
    receipt: itemSize(rowBefore),
    // The copy was its JSON as text then (receipt-copy.ts).
    check: itemSize({
      ...Object.fromEntries(Object.entries(checkRow).filter(([name]) => name !== 'copy')),
      receipt: copyText(checkRow.copy).replace(/,"pdfKey":"[^"]*"/, ''),
    }),
    pdf: itemSize({ ...pdfKey(ref), pdf: new Uint8Array(pdf) }),
  };
  // Then, removing the row from the pending index: 1 WRU (the pending row is under 1 KB), and
  // queueing the log entry: a transactional put under 1 KB, 2 WRU.
  const QUEUED_ENTRY = 2;
  const wru = (s: { receipt: number; check: number; pdf?: number }, rewritten: number, before: boolean) =>
    transactionalWru(s.receipt) +
    transactionalWru(s.check) +
    (s.pdf ? transactionalWru(s.pdf) : 0) +
    rewritten * indexWru(s.receipt) +
    (before ? 1 + QUEUED_ENTRY : 0);
  const figures = {
    pdfBytes: pdf.length,
    receiptRowBytes: now.receipt,
    checkRowBytes: now.check,
    pdfRowBytesBefore: before.pdf,
    indexesRewrittenBefore: allBefore,
    indexesRewrittenNow: indexes,
    completionWruBefore: wru(before, allBefore, true),
    completionWruNow: wru(now, indexes, false),
  };
  console.log('completion, measured:', JSON.stringify(figures));
  expect(allBefore).toBe(4);
  expect(indexes).toBe(0);
  // The key (its name and ~97 characters) and the log entry (~230 bytes) are all the row gains;
  // the PDF row (~40 KB, ~80 WRU) is gone, and the queued entry.
  expect(now.receipt - before.receipt).toBeLessThan(400);
  expect(now.receipt).toBeLessThan(2048);
  expect(before.pdf).toBeGreaterThan(pdf.length);
  // The deflated copy keeps the check row under 1 KB, where its JSON did not.
  expect(transactionalWru(before.check) - transactionalWru(now.check)).toBe(2);
  expect(figures.completionWruBefore - figures.completionWruNow).toBe(
    transactionalWru(before.pdf) + allBefore * indexWru(before.receipt) + 2 + 1 + QUEUED_ENTRY,
  );
  expect(figures.completionWruNow * 10).toBeLessThan(figures.completionWruBefore);
});
