import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { z } from 'zod';
import type { ChargedLine } from './charge.js';
import { BUREAU_UTC_OFFSET_MINUTES, isIsoDate } from './dates.js';
import type { Violation } from './errors.js';
import { formatYuan, parseSignedYuan } from './money.js';
import {
  DEPARTMENT_CODE,
  RECEIPT_CODE_PATTERN,
  RECEIPT_NUMBER_PATTERN,
  type ReceiptContent,
  totalInWords,
} from './receipt.js';
import { text } from './schemas.js';
import type { ReceiptSignature, TwoSignatures } from './two-signatures.js';

/**
 * The national XML of a fiscal e-receipt (财政电子票据): an `EInvoice` whose `Header`,
 * `EInvoiceData` (`Main`, `Details`) and `EInvoiceSignature` follow, element for element and in
 * order, what public sources show of the MOF data standard; feeproof's own fields sit in the
 * standard's extension elements (`MainExt`, `ItemExt`). Sources and assumptions: docs/einvoice.md.
 *
 * The document is a view of the receipt: parsing gives back the receipt content and its two
 * signatures exactly, and the signatures are checked over the canonical form of that content
 * (lambdas/core/two-signatures.ts), not over XML bytes, so no XML canonicalisation is needed.
 */

/** Written in Header/Version; a reader accepts the versions it knows, so a correction is a new one. */
export const EINVOICE_FORMAT_VERSION = 'feeproof-1';
const KNOWN_VERSIONS = [EINVOICE_FORMAT_VERSION] as const;
/** The name printed on the receipt (lambdas/adapters/pdf/render.ts prints the same). */
export const EINVOICE_NAME = '非税收入通用票据（电子）';
export const EINVOICE_MAX_BYTES = 1_000_000;

/** Receipt text (no control characters, no edge blanks) that XML can carry: no lone surrogates. */
const xmlText = (max: number) => text(max).refine((s) => !/\p{Cs}/u.test(s), 'must be valid Unicode');
const yuan = z.string().regex(/^-?(0|[1-9]\d{0,11})\.\d{2}$/, 'must be yuan with two decimals');
const base64 = z
  .string()
  .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'must be base64');

const signatureSchema = z.strictObject({
  SignatureAlgorithm: z.enum(['ECDSA_P256_SHA256', 'SM2_SM3']),
  KeyId: xmlText(256),
  SignatureValue: base64.min(8),
});

const itemSchema = z.strictObject({
  ItemCode: xmlText(64),
  ItemName: xmlText(200),
  ItemQuantity: z.string().regex(/^[1-9]\d{0,8}$/, 'must be a whole number'),
  ItemUnit: xmlText(32),
  ItemStd: xmlText(64),
  ItemAmount: yuan,
  ItemExt: z.strictObject({
    ItemVersion: z.string().regex(/^[1-9]\d{0,8}$/),
    FundManagement: z.enum(['treasury', 'special_account']),
    Exemption: xmlText(200).optional(),
  }),
});

/** Every file the service writes is checked against this before it leaves. */
export const einvoiceSchema = z.strictObject({
  EInvoice: z.strictObject({
    Header: z.strictObject({
      EInvoiceTag: z.string().regex(/^CZ-EI-\d{2}$/),
      EInvoiceID: z.string().regex(/^\d{18}$/),
      Version: z.enum(KNOWN_VERSIONS),
    }),
    EInvoiceData: z.strictObject({
      Main: z.strictObject({
        EInvoiceName: xmlText(100),
        EInvoiceCode: z.string().regex(RECEIPT_CODE_PATTERN),
        EInvoiceNumber: z.string().regex(RECEIPT_NUMBER_PATTERN),
        RandomNumber: z.string().regex(/^[0-9A-Z]{6}$/),
        SupervisorAreaCode: z.string().regex(/^\d{2}0000$/),
        TotalAmount: yuan,
        IssueDate: z.string().regex(/^\d{8}$/),
        IssueTime: z.string().regex(/^\d{2}:\d{2}:\d{2}$/),
        InvoicingParty: z.strictObject({
          InvoicingPartyCode: z.string().regex(DEPARTMENT_CODE),
          InvoicingPartyName: xmlText(200),
        }),
        PayerParty: z.strictObject({
          PayerPartyType: z.enum(['1', '2']),
          PayerPartyCode: xmlText(64).optional(),
          PayerPartyName: xmlText(200),
        }),
        Remark: xmlText(500).optional(),
        HandlingPerson: xmlText(100),
        Checker: z.literal(''),
        MainExt: z.strictObject({
          Kind: z.enum(['blue', 'red']),
          IssuedAt: z.iso.datetime(),
          ChargeDate: z.string().refine(isIsoDate, 'must be a date YYYY-MM-DD'),
          TotalAmountCapital: xmlText(100),
          RelatedInvoiceCode: z.string().regex(RECEIPT_CODE_PATTERN).optional(),
          RelatedInvoiceNumber: z.string().regex(RECEIPT_NUMBER_PATTERN).optional(),
          Reason: xmlText(500).optional(),
        }),
      }),
      Details: z.strictObject({ Item: z.array(itemSchema).min(1).max(500) }),
    }),
    EInvoiceSignature: z.strictObject({
      InvoicingPartySignature: signatureSchema,
      SupervisorPartySignature: signatureSchema,
    }),
  }),
});

export type EInvoiceDocument = z.infer<typeof einvoiceSchema>;

export type EInvoiceErrorCode = 'too_large' | 'not_xml' | 'doctype' | 'schema' | 'inconsistent';

/** Why a document was refused: stable codes, and the path of what is wrong where there is one. */
export class EInvoiceError extends Error {
  constructor(
    readonly code: EInvoiceErrorCode,
    message: string,
    readonly path?: string,
  ) {
    super(message);
    this.name = 'EInvoiceError';
  }
}

const compactDate = (isoDate: string) => isoDate.replaceAll('-', '');
/** The issue time as the bureau's clock read it (the receipt's issue date is in that zone too). */
const bureauTime = (instant: string) =>
  new Date(Date.parse(instant) + BUREAU_UTC_OFFSET_MINUTES * 60_000).toISOString().slice(11, 19);

const signatureElement = (s: ReceiptSignature) => ({
  SignatureAlgorithm: s.algorithm,
  KeyId: s.keyId,
  SignatureValue: s.value,
});

const itemElement = (l: ChargedLine) => ({
  ItemCode: l.itemCode,
  ItemName: l.name,
  ItemQuantity: String(l.quantity),
  ItemUnit: l.unit,
  ItemStd: l.standard,
  ItemAmount: formatYuan(l.amount),
  ItemExt: {
    ItemVersion: String(l.itemVersion),
    FundManagement: l.fundManagement,
    ...(l.exemption !== undefined ? { Exemption: l.exemption } : {}),
  },
});

/** The EInvoice document of a completed receipt and its two signatures (object form, in order). */
export function einvoiceOf(content: ReceiptContent, signatures: TwoSignatures): EInvoiceDocument {
  const region = content.code.slice(0, 2);
  return {
    EInvoice: {
      Header: {
        EInvoiceTag: `CZ-EI-${region}`,
        EInvoiceID: `${content.code}${content.number}`,
        Version: EINVOICE_FORMAT_VERSION,
      },
      EInvoiceData: {
        Main: {
          EInvoiceName: EINVOICE_NAME,
          EInvoiceCode: content.code,
          EInvoiceNumber: content.number,
          RandomNumber: content.checkCode,
          SupervisorAreaCode: `${region}0000`,
          TotalAmount: formatYuan(content.total),
          IssueDate: compactDate(content.issueDate),
          IssueTime: bureauTime(content.issuedAt),
          InvoicingParty: {
            InvoicingPartyCode: content.department,
            InvoicingPartyName: content.collectingUnit,
          },
          PayerParty: {
            PayerPartyType: content.payer.type === 'person' ? '1' : '2',
            ...(content.payer.idNumber !== undefined ? { PayerPartyCode: content.payer.idNumber } : {}),
            PayerPartyName: content.payer.name,
          },
          ...(content.remark !== undefined ? { Remark: content.remark } : {}),
          HandlingPerson: content.handledBy,
          Checker: '', // feeproof has no second person checking a receipt (复核人)
          MainExt: {
            Kind: content.kind,
            IssuedAt: content.issuedAt,
            ChargeDate: content.chargeDate,
            TotalAmountCapital: totalInWords(content),
            ...(content.reverses
              ? { RelatedInvoiceCode: content.reverses.code, RelatedInvoiceNumber: content.reverses.number }
              : {}),
            ...(content.reason !== undefined ? { Reason: content.reason } : {}),
          },
        },
        Details: { Item: content.lines.map(itemElement) },
      },
      EInvoiceSignature: {
        InvoicingPartySignature: signatureElement(signatures.unit),
        SupervisorPartySignature: signatureElement(signatures.supervision),
      },
    },
  };
}

function schemaError(error: z.ZodError): EInvoiceError {
  const issue = error.issues[0]!;
  const path = issue.path.join('.');
  return new EInvoiceError('schema', `${path}: ${issue.message}`, path);
}

/** Checks a document against the schema; throws EInvoiceError('schema') naming the first problem. */
export function validateEInvoice(doc: unknown): EInvoiceDocument {
  const parsed = einvoiceSchema.safeParse(doc);
  if (!parsed.success) throw schemaError(parsed.error);
  return parsed.data;
}

/** Stand-ins for what completion adds (the code and number, the signatures), of formats the schema takes. */
const NOT_YET_NUMBERED = { code: '00000000', number: '0000000000' } as const;
const NOT_YET_SIGNED: ReceiptSignature = {
  algorithm: 'ECDSA_P256_SHA256',
  keyId: 'unsigned',
  value: 'AAAAAAAA',
};
/** The receipt's fields that become the XML's elements a request can make too long, by element. */
const FIELD_OF_ELEMENT: Record<string, string> = {
  HandlingPerson: 'handledBy',
  PayerPartyName: 'payer.name',
  PayerPartyCode: 'payer.idNumber',
  InvoicingPartyName: 'collectingUnit',
  TotalAmount: 'lines',
  TotalAmountCapital: 'lines',
  Remark: 'remark',
  Reason: 'reason',
};

/**
 * Where a receipt's content, before it has a number, does not fit the e-invoice (a handler's
 * user name over 100 characters, say): completion writes the XML and would fail on it for good,
 * the number taken and the receipt pending, so issuing refuses it (422) before. The path names
 * the receipt's field (`handledBy` is the caller's user name; `lines[i]` a line) where there is
 * one, else the element.
 */
export function einvoiceViolations(content: Omit<ReceiptContent, 'code' | 'number'>): Violation[] {
  const doc = einvoiceOf(
    { ...content, ...NOT_YET_NUMBERED },
    { unit: NOT_YET_SIGNED, supervision: NOT_YET_SIGNED },
  );
  const parsed = einvoiceSchema.safeParse(doc);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => {
    const element = String(issue.path.at(-1));
    const item = issue.path.indexOf('Item');
    const path =
      FIELD_OF_ELEMENT[element] ??
      (item >= 0 ? `lines[${String(issue.path[item + 1])}]` : issue.path.join('.'));
    return {
      path,
      rule: 'einvoice_format',
      message: `${path} does not fit the e-invoice's ${element}: ${issue.message}`,
    };
  });
}

const builder = new XMLBuilder({ ignoreAttributes: false, format: false, suppressEmptyNode: false });

/** The XML of a receipt: validated, UTF-8, one line after the declaration (as the platform writes it). */
export function einvoiceXml(content: ReceiptContent, signatures: TwoSignatures): string {
  const doc = validateEInvoice(einvoiceOf(content, signatures));
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build(doc)}`;
}

const ITEM_PATH = 'EInvoice.EInvoiceData.Details.Item';
const parser = new XMLParser({
  ignoreAttributes: false, // attributes are kept so that the strict schema refuses them
  parseTagValue: false, // codes and numbers stay the strings they are ("0000000001")
  trimValues: false,
  ignoreDeclaration: true,
  isArray: (_name, jpath) => jpath === ITEM_PATH,
});

/** Parses and validates an EInvoice XML; refuses DOCTYPEs (no entity expansion, no XXE). */
export function parseEInvoiceXml(xml: string): EInvoiceDocument {
  if (Buffer.byteLength(xml, 'utf8') > EINVOICE_MAX_BYTES)
    throw new EInvoiceError('too_large', `an EInvoice is at most ${EINVOICE_MAX_BYTES} bytes`);
  if (/<!DOCTYPE|<!ENTITY/i.test(xml))
    throw new EInvoiceError('doctype', 'DOCTYPE and ENTITY declarations are refused');
  const valid = XMLValidator.validate(xml);
  if (valid !== true)
    throw new EInvoiceError('not_xml', `not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  return validateEInvoice(parser.parse(xml));
}

function signatureOf(s: EInvoiceDocument['EInvoice']['EInvoiceSignature']['InvoicingPartySignature']) {
  return { keyId: s.KeyId, algorithm: s.SignatureAlgorithm, value: s.SignatureValue };
}

/** An amount of the XML in fen (negative on a red receipt); anything else is a schema error. */
const amountOf = (text: string) => {
  const fen = parseSignedYuan(text);
  if (fen === null) throw new EInvoiceError('schema', `bad amount ${text}`);
  return fen;
};

/** The first path where two documents differ (their derived fields against the receipt's). */
function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null)
    return a === b ? undefined : path || '(root)';
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const diff = firstDifference(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      path ? `${path}.${key}` : key,
    );
    if (diff) return diff;
  }
  return undefined;
}

/**
 * The receipt content and the two signatures a document carries. The document must be exactly
 * what einvoiceOf writes for them: a derived field (IssueTime, TotalAmountCapital, the header)
 * that disagrees with the data is refused as inconsistent, naming its path.
 */
export function receiptOfEInvoice(doc: EInvoiceDocument): {
  content: ReceiptContent;
  signatures: TwoSignatures;
} {
  const { Main, Details } = doc.EInvoice.EInvoiceData;
  const ext = Main.MainExt;
  const issueDate = `${Main.IssueDate.slice(0, 4)}-${Main.IssueDate.slice(4, 6)}-${Main.IssueDate.slice(6)}`;
  if (!isIsoDate(issueDate)) throw new EInvoiceError('schema', 'IssueDate is not a date', 'IssueDate');
  if ((ext.RelatedInvoiceCode === undefined) !== (ext.RelatedInvoiceNumber === undefined))
    throw new EInvoiceError(
      'inconsistent',
      'a related receipt needs both its code and its number',
      'MainExt',
    );
  const payer = Main.PayerParty;
  const content: ReceiptContent = {
    code: Main.EInvoiceCode,
    number: Main.EInvoiceNumber,
    checkCode: Main.RandomNumber,
    kind: ext.Kind,
    issuedAt: ext.IssuedAt,
    issueDate,
    chargeDate: ext.ChargeDate,
    department: Main.InvoicingParty.InvoicingPartyCode,
    collectingUnit: Main.InvoicingParty.InvoicingPartyName,
    payer: {
      type: payer.PayerPartyType === '1' ? 'person' : 'unit',
      name: payer.PayerPartyName,
      ...(payer.PayerPartyCode !== undefined ? { idNumber: payer.PayerPartyCode } : {}),
    },
    lines: Details.Item.map((item) => ({
      itemCode: item.ItemCode,
      itemVersion: Number(item.ItemExt.ItemVersion),
      name: item.ItemName,
      unit: item.ItemUnit,
      quantity: Number(item.ItemQuantity),
      standard: item.ItemStd,
      amount: amountOf(item.ItemAmount),
      fundManagement: item.ItemExt.FundManagement,
      ...(item.ItemExt.Exemption !== undefined ? { exemption: item.ItemExt.Exemption } : {}),
    })),
    total: amountOf(Main.TotalAmount),
    handledBy: Main.HandlingPerson,
    ...(Main.Remark !== undefined ? { remark: Main.Remark } : {}),
    ...(ext.RelatedInvoiceCode !== undefined && ext.RelatedInvoiceNumber !== undefined
      ? { reverses: { code: ext.RelatedInvoiceCode, number: ext.RelatedInvoiceNumber } }
      : {}),
    ...(ext.Reason !== undefined ? { reason: ext.Reason } : {}),
  };
  const sig = doc.EInvoice.EInvoiceSignature;
  const signatures = {
    unit: signatureOf(sig.InvoicingPartySignature),
    supervision: signatureOf(sig.SupervisorPartySignature),
  };
  const diff = firstDifference(einvoiceOf(content, signatures), doc);
  if (diff) throw new EInvoiceError('inconsistent', `${diff} does not agree with the receipt's data`, diff);
  return { content, signatures };
}
