/**
 * What a payer may complain of (core/complaints.ts), with the labels every screen shows. A module
 * of its own, free of zod, so that the staff console can import it without bundling zod.
 */
export const COMPLAINT_CATEGORIES = {
  not_in_catalogue: { zh: '收取目录外费用', en: 'Charged an item not in the catalogue' },
  above_standard: { zh: '超标准收费', en: 'Charged above the standard' },
  exemption_refused: { zh: '应减免未减免', en: 'An exemption was refused' },
  no_receipt: { zh: '未开具票据', en: 'No receipt was given' },
  other: { zh: '其他', en: 'Other' },
} as const;
export type ComplaintCategory = keyof typeof COMPLAINT_CATEGORIES;
