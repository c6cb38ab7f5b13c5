/** Shared builders and generators for the core tests (not a test file itself). */
import fc from 'fast-check';
import type { FeeItem, ItemVersion } from '../../lambdas/core/catalogue.js';
import type { ChargedLine } from '../../lambdas/core/charge.js';
import {
  CHECK_CODE_ALPHABET,
  CHECK_CODE_LENGTH,
  type ReceiptContent,
  type ReceiptKind,
} from '../../lambdas/core/receipt.js';

const DAY_MS = 86_400_000;

/** The ISO date `days` days after (or before) `iso`, computed with UTC dates. */
export function addDays(iso: string, days: number): string {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Real calendar dates between `from` and `to` (inclusive), as ISO strings. */
export function isoDateArb(from = '2000-01-01', to = '2040-12-31'): fc.Arbitrary<string> {
  const span = Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS);
  return fc.integer({ min: 0, max: span }).map((d) => addDays(from, d));
}

/** One version of a fee item, active and fixed at 80.00 unless told otherwise. */
export function version(overrides: Partial<ItemVersion> = {}): ItemVersion {
  return {
    code: 'ZRZY-001',
    name: '不动产登记费（住宅）',
    department: 'ZRZY',
    unit: '件',
    standard: { type: 'fixed', amount: 8000 },
    basis: [
      {
        title: '关于不动产登记收费标准等有关问题的通知',
        number: '发改价格规〔2016〕2559号',
        issuer: '国家发展改革委 财政部',
        date: '2016-12-06',
      },
    ],
    fundManagement: 'treasury',
    validFrom: '2017-01-01',
    validTo: null,
    exemptions: [],
    status: 'active',
    version: 1,
    effectiveFrom: '2017-01-01',
    changeType: 'create',
    changedBy: 'finance-1',
    changedAt: '2016-12-20T08:00:00Z',
    reason: 'test',
    ...overrides,
  };
}

/** The fee item a version states, without the change's stamps (version, date, who, why). */
export function feeItem(overrides: Partial<ItemVersion> = {}): FeeItem {
  const {
    version: _v,
    effectiveFrom: _e,
    changeType: _t,
    changedBy: _b,
    changedAt: _a,
    reason: _r,
    ...item
  } = version(overrides);
  return item;
}

/** A small deterministic PRNG (mulberry32) for shuffles driven by a generated seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Receipt contents of any shape the schema allows: `text` for every free-text field, `kind`
 * blue unless told, amounts from 0 up (or, `signed`, negative too: what the canonical form and
 * the XML must carry for red receipts, whatever their sign).
 */
export function receiptContentArb(options: {
  text: fc.Arbitrary<string>;
  kind?: fc.Arbitrary<ReceiptKind>;
  signed?: boolean;
}): fc.Arbitrary<ReceiptContent> {
  const { text, kind = fc.constant('blue' as const), signed = false } = options;
  const line: fc.Arbitrary<ChargedLine> = fc.record(
    {
      itemCode: fc.stringMatching(/^[A-Z]{2,4}-\d{3}$/),
      itemVersion: fc.integer({ min: 1, max: 50 }),
      name: text,
      unit: fc.constantFrom('件', '证', '本', '科'),
      quantity: fc.integer({ min: 1, max: 1000 }),
      standard: fc.constantFrom('80.00', '10.00-50.00'),
      amount: fc.integer({ min: signed ? -(10 ** 9) : 0, max: 10 ** 9 }),
      fundManagement: fc.constantFrom('treasury' as const, 'special_account' as const),
      exemption: text,
    },
    {
      requiredKeys: [
        'itemCode',
        'itemVersion',
        'name',
        'unit',
        'quantity',
        'standard',
        'amount',
        'fundManagement',
      ],
    },
  );
  return fc.record(
    {
      code: fc.stringMatching(/^\d{8}$/),
      number: fc.stringMatching(/^\d{10}$/),
      checkCode: fc.string({
        unit: fc.constantFrom(...CHECK_CODE_ALPHABET),
        minLength: CHECK_CODE_LENGTH,
        maxLength: CHECK_CODE_LENGTH,
      }),
      kind,
      issuedAt: fc
        .date({ min: new Date('2020-01-01'), max: new Date('2035-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString()),
      issueDate: isoDateArb(),
      chargeDate: isoDateArb(),
      department: fc.stringMatching(/^[A-Z]{2,6}$/),
      collectingUnit: text,
      payer: fc.record(
        {
          type: fc.constantFrom('person' as const, 'unit' as const),
          name: text,
          idNumber: fc.stringMatching(/^\d{17}[\dX]$/),
        },
        { requiredKeys: ['type', 'name'] },
      ),
      lines: fc.array(line, { minLength: 1, maxLength: 4 }),
      total: fc.integer({ min: signed ? -(10 ** 12) : 0, max: 10 ** 12 }),
      handledBy: text,
      remark: text,
      reverses: fc.record({ code: fc.stringMatching(/^\d{8}$/), number: fc.stringMatching(/^\d{10}$/) }),
      reason: text,
    },
    {
      requiredKeys: [
        'code',
        'number',
        'checkCode',
        'kind',
        'issuedAt',
        'issueDate',
        'chargeDate',
        'department',
        'collectingUnit',
        'payer',
        'lines',
        'total',
        'handledBy',
      ],
    },
  );
}
