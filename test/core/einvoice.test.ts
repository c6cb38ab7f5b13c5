import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EINVOICE_FORMAT_VERSION,
  EInvoiceError,
  einvoiceOf,
  einvoiceViolations,
  einvoiceXml,
  parseEInvoiceXml,
  receiptOfEInvoice,
  validateEInvoice,
} from '../../lambdas/core/einvoice.js';
import { canonicalReceipt, contentOf, type ReceiptContent, redLines } from '../../lambdas/core/receipt.js';
import type { TwoSignatures } from '../../lambdas/core/two-signatures.js';
import { blueReceipt } from '../support/sample-receipts.js';
import { receiptContentArb } from './support.js';

const signatures: TwoSignatures = {
  unit: { keyId: 'local:0123456789abcdef', algorithm: 'ECDSA_P256_SHA256', value: 'MEUCIQDx+/uAAAAA' },
  supervision: { keyId: 'arn:aws-cn:kms:cn-north-1:1:key/x', algorithm: 'SM2_SM3', value: 'MEQCIGm3AAAA' },
};

// Text as receipts carry it: no control characters, no edge blanks, with XML's special characters.
const text = fc
  .string({
    unit: fc.oneof(
      fc.constantFrom('&', '<', '>', '"', "'", ']]>', '票', '据', '𠀋', ' '),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
    ),
    minLength: 1,
    maxLength: 20,
  })
  .map((s) => s.replace(/\p{Cc}|\u2028|\u2029/gu, 'x').trim())
  .filter((s) => s.length > 0);
const content = receiptContentArb({
  text,
  kind: fc.constantFrom('blue' as const, 'red' as const),
  signed: true,
});

const xmlOf = (c: ReceiptContent) => einvoiceXml(c, signatures);
const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(EInvoiceError);
    return e as EInvoiceError;
  }
  throw new Error('not refused');
};

describe('the EInvoice XML', () => {
  it('writes the elements of the national format in its order, both signatures last', () => {
    const xml = xmlOf(blueReceipt);
    expect(
      xml.startsWith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<EInvoice><Header><EInvoiceTag>CZ-EI-11</EInvoiceTag>',
      ),
    ).toBe(true);
    const order = [
      'Header',
      'EInvoiceID',
      'Version',
      'EInvoiceData',
      'Main',
      'EInvoiceName',
      'EInvoiceCode',
      'EInvoiceNumber',
      'RandomNumber',
      'SupervisorAreaCode',
      'TotalAmount',
      'IssueDate',
      'IssueTime',
      'InvoicingParty',
      'PayerParty',
      'Remark',
      'HandlingPerson',
      'Checker',
      'MainExt',
      'Details',
      'Item',
      'EInvoiceSignature',
      'InvoicingPartySignature',
      'SupervisorPartySignature',
    ];
    const positions = order.map((name) => xml.indexOf(`<${name}>`));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(xml).toContain('<EInvoiceCode>11010126</EInvoiceCode><EInvoiceNumber>0000001234</EInvoiceNumber>');
    expect(xml).toContain('<RandomNumber>K7PQ2M</RandomNumber>');
    expect(xml).toContain(
      '<TotalAmount>660.00</TotalAmount><IssueDate>20260305</IssueDate><IssueTime>14:30:12</IssueTime>',
    );
    expect(xml).toContain(`<Version>${EINVOICE_FORMAT_VERSION}</Version>`);
    expect(xml).toContain(
      '<PayerPartyType>1</PayerPartyType><PayerPartyCode>110101199003071234</PayerPartyCode>',
    );
  });

  it('round trips: receipt → XML → the same receipt (same canonical form) and the same signatures', () => {
    fc.assert(
      fc.property(content, (c) => {
        const back = receiptOfEInvoice(parseEInvoiceXml(xmlOf(c)));
        expect(back.content).toEqual(contentOf(c));
        expect(canonicalReceipt(back.content)).toBe(canonicalReceipt(c));
        expect(back.signatures).toEqual(signatures);
      }),
      { numRuns: 200 },
    );
  });

  it('a red receipt carries the receipt it reverses and why', () => {
    const red: ReceiptContent = {
      ...blueReceipt,
      number: '0000001235',
      kind: 'red',
      lines: redLines(blueReceipt.lines),
      total: -blueReceipt.total,
      reverses: { code: blueReceipt.code, number: blueReceipt.number },
      reason: '重复收费 & 退费',
    };
    const xml = xmlOf(red);
    expect(xml).toContain('<TotalAmount>-660.00</TotalAmount>');
    expect(xml).toContain(
      '<RelatedInvoiceCode>11010126</RelatedInvoiceCode><RelatedInvoiceNumber>0000001234</RelatedInvoiceNumber>',
    );
    expect(xml).toContain('<Reason>重复收费 &amp; 退费</Reason>');
    expect(receiptOfEInvoice(parseEInvoiceXml(xml)).content).toEqual(red);
  });

  it('every document written passes the schema', () => {
    fc.assert(
      fc.property(content, (c) => {
        expect(() => validateEInvoice(einvoiceOf(c, signatures))).not.toThrow();
      }),
      { numRuns: 100 },
    );
  });
});

describe('refusals', () => {
  const xml = xmlOf(blueReceipt);

  it('refuses what is not well-formed XML, a DOCTYPE (no entity expansion) and oversized input', () => {
    expect(refusal(() => parseEInvoiceXml(xml.replace('</Header>', ''))).code).toBe('not_xml');
    expect(refusal(() => parseEInvoiceXml('<!DOCTYPE x [<!ENTITY e "zz">]><EInvoice/>')).code).toBe(
      'doctype',
    );
    expect(refusal(() => parseEInvoiceXml(`${xml}${' '.repeat(1_000_001)}`)).code).toBe('too_large');
  });

  it('refuses a missing element, an unknown element, an attribute, an unknown version — naming the path', () => {
    const cases: [string, string][] = [
      [xml.replace(/<RandomNumber>.*?<\/RandomNumber>/, ''), 'EInvoice.EInvoiceData.Main.RandomNumber'],
      [
        xml.replace('<Checker></Checker>', '<Checker></Checker><Extra>1</Extra>'),
        'EInvoice.EInvoiceData.Main',
      ],
      [xml.replace('<Main>', '<Main id="1">'), 'EInvoice.EInvoiceData.Main'],
      [
        xml.replace(`<Version>${EINVOICE_FORMAT_VERSION}</Version>`, '<Version>9</Version>'),
        'EInvoice.Header.Version',
      ],
      [
        xml.replace(/<SupervisorPartySignature>.*?<\/SupervisorPartySignature>/, ''),
        'EInvoice.EInvoiceSignature.SupervisorPartySignature',
      ],
      [
        xml.replace('<TotalAmount>660.00</TotalAmount>', '<TotalAmount>660</TotalAmount>'),
        'EInvoice.EInvoiceData.Main.TotalAmount',
      ],
    ];
    for (const [bad, path] of cases) {
      const e = refusal(() => parseEInvoiceXml(bad));
      expect(e.code).toBe('schema');
      expect(e.path).toBe(path);
    }
  });

  it('refuses derived fields that disagree with the data', () => {
    const cases: [string, string][] = [
      [
        xml.replace('<IssueTime>14:30:12</IssueTime>', '<IssueTime>14:30:13</IssueTime>'),
        'EInvoice.EInvoiceData.Main.IssueTime',
      ],
      [
        xml.replace('<EInvoiceTag>CZ-EI-11</EInvoiceTag>', '<EInvoiceTag>CZ-EI-32</EInvoiceTag>'),
        'EInvoice.Header.EInvoiceTag',
      ],
      [
        xml.replace(
          /<TotalAmountCapital>.*?<\/TotalAmountCapital>/,
          '<TotalAmountCapital>壹元整</TotalAmountCapital>',
        ),
        'EInvoice.EInvoiceData.Main.MainExt.TotalAmountCapital',
      ],
    ];
    for (const [bad, path] of cases) {
      const e = refusal(() => receiptOfEInvoice(parseEInvoiceXml(bad)));
      expect([e.code, e.path]).toEqual(['inconsistent', path]);
    }
  });

  it('refuses to write a receipt whose text XML cannot carry', () => {
    const e = refusal(() => xmlOf({ ...blueReceipt, handledBy: '李\u0001娜' }));
    expect([e.code, e.path]).toEqual(['schema', 'EInvoice.EInvoiceData.Main.HandlingPerson']);
  });
});

describe('einvoiceViolations: what issuing refuses before a number is taken', () => {
  const unnumbered = ({ code: _c, number: _n, ...rest }: ReceiptContent) => rest;
  const writes = (c: ReceiptContent) => {
    try {
      einvoiceXml(c, signatures);
      return true;
    } catch (e) {
      expect(e).toBeInstanceOf(EInvoiceError);
      return false;
    }
  };

  it('finds nothing in a receipt the XML holds, and names the field of one it does not', () => {
    expect(einvoiceViolations(unnumbered(blueReceipt))).toEqual([]);
    const longHandler = { ...blueReceipt, handledBy: 'u'.repeat(101) };
    expect(einvoiceViolations(unnumbered(longHandler))).toEqual([
      {
        path: 'handledBy',
        rule: 'einvoice_format',
        message: "handledBy does not fit the e-invoice's HandlingPerson: must be at most 100 characters",
      },
    ]);
    expect(writes(longHandler)).toBe(false);
    const longName = { ...blueReceipt, lines: [{ ...blueReceipt.lines[0]!, name: '费'.repeat(201) }] };
    expect(einvoiceViolations(unnumbered(longName)).map((v) => v.path)).toEqual(['lines[0]']);
  });

  it('finds something exactly when the numbered and signed receipt could not be written (property)', () => {
    const longText = (max: number) =>
      fc.oneof(
        text,
        fc.integer({ min: 1, max }).map((n) => '票'.repeat(n)),
      );
    const risky = fc
      .tuple(content, longText(150), longText(250), fc.integer({ min: 0, max: 2 * 10 ** 14 }))
      .map(([c, handledBy, payerName, total]) => ({
        ...c,
        handledBy,
        payer: { ...c.payer, name: payerName },
        total: c.kind === 'red' ? -total : total,
      }));
    fc.assert(
      fc.property(risky, (c) => {
        expect(einvoiceViolations(unnumbered(c)).length === 0).toBe(writes(c));
      }),
      { numRuns: 300 },
    );
  });
});
