import { decodeCursor, planReceipts } from '../adapters/dynamo/audit-query.js';
import type { Deps } from '../app/deps.js';
import { getDeps } from '../app/deps.js';
import { dryRunCharge, issueReceipt, reverseReceipt } from '../app/issuing.js';
import { dateInZone } from '../core/dates.js';
import { einvoiceXml } from '../core/einvoice.js';
import { AppError } from '../core/errors.js';
import { formatYuan } from '../core/money.js';
import type { StoredReceipt } from '../core/ports.js';
import {
  contentOf,
  linesInYuan,
  qrParams,
  type ReceiptRef,
  totalInWords,
  verifyUrl,
} from '../core/receipt.js';
import { auditDateRange } from '../core/schemas.js';
import { groupHandler } from './http/group.js';
import { type ApiRequest, binary, json } from './http/types.js';

/** What the API answers for a receipt that was issued (or replayed). */
function receiptReply(deps: Deps, r: StoredReceipt) {
  return {
    code: r.code,
    number: r.number,
    checkCode: r.checkCode,
    kind: r.kind,
    total: formatYuan(r.total),
    totalInWords: totalInWords(r),
    status: r.status,
    issuedAt: r.issuedAt,
    ...(r.reverses ? { reverses: r.reverses } : {}),
    verifyUrl: verifyUrl(
      deps.config.publicUrl,
      r,
      r.qrSignature && r.keyId ? qrParams(r, r.keyId, r.qrSignature) : {},
    ),
    pdfUrl: `${deps.config.publicUrl}/v1/receipts/${r.code}/${r.number}/pdf`,
  };
}

/** A receipt of the caller's own department, or 404/403. */
async function ownReceipt(req: ApiRequest<{ params: ReceiptRef }>) {
  const ref = req.input.params;
  const stored = await getDeps().receipts.getReceipt(ref);
  if (!stored) throw new AppError('not_found', `receipt ${ref.code}/${ref.number} does not exist`);
  // An auditor reads any department's (on the routes that let auditors in at all).
  if (stored.department !== req.caller!.department && !req.caller!.roles.includes('auditor'))
    throw new AppError('forbidden', 'the receipt belongs to another department');
  return stored;
}

/** The collecting departments' routes: check a charge (dry run), charge (issue), read, download, reverse. */
export const handler = groupHandler('receipts', {
  issueReceipt: async (req) => {
    const deps = getDeps();
    const key = req.input.headers['idempotency-key'];
    const request = req.input.body;
    const { receipt, replayed } = await issueReceipt(deps, req.caller!, key, req.body, request);
    return json(replayed ? 200 : 201, receiptReply(deps, receipt), {
      location: `/v1/receipts/${receipt.code}/${receipt.number}`,
    });
  },

  checkCharge: async (req) => {
    const result = await dryRunCharge(getDeps(), req.caller!, req.input.body);
    return json(200, {
      chargeDate: result.chargeDate,
      lines: linesInYuan(result.lines),
      total: formatYuan(result.total),
      totalInWords: totalInWords(result),
    });
  },

  listReceipts: async (req) => {
    const deps = getDeps();
    const q = req.input.query;
    const plan = planReceipts(
      { department: req.caller!.department },
      auditDateRange(q, dateInZone(deps.now())),
    );
    const start = decodeCursor(q.cursor, plan);
    const page = await deps.audit.receiptsPage(plan, () => true, start, q.limit, deps.now());
    return json(200, {
      count: page.items.length,
      items: page.items.map((r) => ({
        code: r.code,
        number: r.number,
        kind: r.kind,
        status: r.status,
        issuedAt: r.issuedAt,
        chargeDate: r.chargeDate,
        payer: { type: r.payer.type, name: r.payer.name },
        total: formatYuan(r.total),
        handledBy: r.handledBy,
        ...(r.reverses ? { reverses: r.reverses } : {}),
        ...(r.reversedBy ? { reversedBy: r.reversedBy } : {}),
      })),
      cursor: page.cursor,
    });
  },

  getReceipt: async (req) => {
    const deps = getDeps();
    const stored = await ownReceipt(req);
    const content = contentOf(stored);
    return json(200, {
      checks: await deps.checks.count(stored),
      ...receiptReply(deps, stored),
      ...content,
      total: formatYuan(content.total),
      lines: linesInYuan(content.lines),
      ...(stored.reversedBy ? { reversedBy: stored.reversedBy } : {}),
      // The bureau's signature: the supervision one of a two-signature receipt, or an older receipt's only one.
      signature: stored.signatures
        ? { ...stored.signatures.supervision, algorithm: 'ECDSA_SHA_256' }
        : stored.signature
          ? { keyId: stored.keyId, value: stored.signature, algorithm: 'ECDSA_SHA_256' }
          : null,
      signatures: stored.signatures ?? null,
    });
  },

  getReceiptPdf: async (req) => {
    const stored = await ownReceipt(req);
    const pdf = await getDeps().receipts.getPdf(stored);
    if (!pdf)
      throw new AppError('conflict', 'the receipt is still being issued; retry shortly', [], {
        'retry-after': '1',
      });
    return binary('application/pdf', pdf, {
      'content-disposition': `inline; filename="${stored.code}-${stored.number}.pdf"`,
    });
  },

  getReceiptEInvoice: async (req) => {
    const stored = await ownReceipt(req);
    if (stored.status === 'pending')
      throw new AppError('conflict', 'the receipt is still being issued; retry shortly', [], {
        'retry-after': '1',
      });
    if (!stored.signatures)
      throw new AppError(
        'not_found',
        `receipt ${stored.code}/${stored.number} was issued before receipts carried two signatures: it has no national XML`,
      );
    const xml = einvoiceXml(contentOf(stored), stored.signatures);
    return binary('application/xml; charset=utf-8', new TextEncoder().encode(xml), {
      'content-disposition': `attachment; filename="${stored.code}-${stored.number}.xml"`,
    });
  },

  reverseReceipt: async (req) => {
    const deps = getDeps();
    const key = req.input.headers['idempotency-key'];
    const ref = req.input.params;
    const { reason } = req.input.body;
    const { receipt, replayed } = await reverseReceipt(deps, req.caller!, key, ref, reason);
    return json(replayed ? 200 : 201, receiptReply(deps, receipt), {
      location: `/v1/receipts/${receipt.code}/${receipt.number}`,
    });
  },
});
