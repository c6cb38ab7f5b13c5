/**
 * The sample receipts of the tests (and of anything else that needs receipt content without
 * issuing one): one blue receipt and its red reversal, with the bureau and public URL they are
 * rendered with. Derive variants by spreading them, rather than writing another receipt by hand.
 */
import { type ReceiptContent, redLines, verifyUrl } from '../../lambdas/core/receipt.js';

export const PUBLIC_URL = 'https://receipts.example.gov.cn';
export const BUREAU = '某市财政局';

/** A blue receipt: a Chinese payer with an ID number and three lines, one with an exemption. */
export const blueReceipt: ReceiptContent = {
  code: '11010126',
  number: '0000001234',
  checkCode: 'K7PQ2M',
  kind: 'blue',
  issuedAt: '2026-03-05T06:30:12.000Z',
  issueDate: '2026-03-05',
  chargeDate: '2026-03-05',
  department: 'ZRZY',
  collectingUnit: '某市自然资源和规划局不动产登记中心',
  payer: { type: 'person', name: '欧阳晓明', idNumber: '110101199003071234' },
  lines: [
    {
      itemCode: 'ZRZY-001',
      itemVersion: 1,
      name: '不动产登记费（住宅）',
      unit: '件',
      quantity: 1,
      standard: '80.00',
      amount: 8000,
      fundManagement: 'treasury',
    },
    {
      itemCode: 'ZRZY-002',
      itemVersion: 2,
      name: '不动产登记费（非住宅）',
      unit: '件',
      quantity: 2,
      standard: '550.00',
      amount: 55000,
      fundManagement: 'treasury',
      exemption: '小微企业',
    },
    {
      itemCode: 'ZRZY-010',
      itemVersion: 1,
      name: '证书工本费',
      unit: '本',
      quantity: 3,
      standard: '10.00',
      amount: 3000,
      fundManagement: 'treasury',
    },
  ],
  total: 66000,
  handledBy: '李娜',
  remark: '窗口号 3，业务流水 BDC-2026-000123',
};

/** The red reversal of the blue receipt. */
export const redReceipt: ReceiptContent = {
  ...blueReceipt,
  number: '0000001240',
  checkCode: 'ZX93HN',
  kind: 'red',
  issuedAt: '2026-03-06T01:02:03.000Z',
  issueDate: '2026-03-06',
  lines: redLines(blueReceipt.lines),
  total: -blueReceipt.total,
  remark: undefined,
  reverses: { code: blueReceipt.code, number: blueReceipt.number },
  reason: '申请人撤回登记申请，全额退费',
};

export function urlOf(content: ReceiptContent): string {
  return verifyUrl(PUBLIC_URL, content);
}
