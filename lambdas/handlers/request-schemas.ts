import type { z } from 'zod';
import {
  allocateRangeRequest,
  auditExportQuery,
  auditListQuery,
  auditReceiptsQuery,
  auditStatsQuery,
  catalogueQuery,
  closeRangeRequest,
  createItemRequest,
  issueReceiptRequest,
  reversalRequest,
  reviseItemRequest,
  statusChangeRequest,
  verifyQuery,
} from '../core/schemas.js';

/** Which schema validates which part of each operation's request; also feeds the OpenAPI document. */
export const REQUEST_SCHEMAS: Record<string, { body?: z.ZodType; query?: z.ZodType }> = {
  listCatalogue: { query: catalogueQuery },
  verifyReceipt: { query: verifyQuery },
  getVerifiedPdf: { query: verifyQuery },
  createItem: { body: createItemRequest },
  reviseItem: { body: reviseItemRequest },
  changeItemStatus: { body: statusChangeRequest },
  allocateRange: { body: allocateRangeRequest },
  closeRange: { body: closeRangeRequest },
  issueReceipt: { body: issueReceiptRequest },
  reverseReceipt: { body: reversalRequest },
  auditReceipts: { query: auditReceiptsQuery },
  auditStats: { query: auditStatsQuery },
  auditExport: { query: auditExportQuery },
  auditAlerts: { query: auditListQuery },
  auditEvents: { query: auditListQuery },
};
