/**
 * Issue 15's functions in the stack, least privilege: the public statistics function reads the
 * running totals' rows and nothing else (no write, no other table, LeadingKeys STATS#); the
 * complaints function reads only the public check rows of receipts and writes only complaint,
 * event and alert rows of the ledger.
 */
import type { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { checksKey, complaintKey, receiptKey, totalsKey } from '../../lambdas/adapters/dynamo/keys.js';
import { COMPLAINT_KEY_PATTERNS, TOTALS_KEY_PATTERN } from '../../lib/functions.js';
import {
  allStatements,
  type Built,
  buildStack,
  functionOf,
  type Json,
  policyRoles,
  resources,
} from './support.js';

let built: Built;
beforeAll(() => {
  built = buildStack();
});

const logicalId = (c: IConstruct) => built.stack.getLogicalId(c.node.defaultChild as CfnElement);

/** The statements of a function's role that name a table (or one of its indexes). */
function tableStatements(name: 'stats' | 'complaints', table: 'ledger' | 'receipts' | 'catalogue'): Json[] {
  const role = logicalId(functionOf(built, name).role!);
  const tableId = logicalId(built.stack.tables.table(table));
  const policies = resources(built.template, 'AWS::IAM::Policy');
  return allStatements(built.template)
    .filter(
      ({ resource, statement }) =>
        policies[resource] &&
        policyRoles(policies[resource]!).includes(role) &&
        JSON.stringify(statement.Resource).includes(`"${tableId}"`),
    )
    .map((s) => s.statement);
}

const like = (pattern: string) => new RegExp(`^${pattern.replaceAll('*', '.*')}$`);

describe('the public statistics function', () => {
  it('reads only the running totals rows of the ledger, and writes nothing', () => {
    const onLedger = tableStatements('stats', 'ledger');
    expect(onLedger.length).toBeGreaterThan(0);
    for (const s of onLedger) {
      expect(s.Effect).toBe('Allow');
      expect([s.Action].flat().every((a: string) => !/Put|Update|Delete|Write/.test(a))).toBe(true);
      expect(s.Condition).toEqual({
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [TOTALS_KEY_PATTERN] },
      });
    }
    expect(tableStatements('stats', 'receipts')).toEqual([]);
    expect(tableStatements('stats', 'catalogue')).toEqual([]);
    // The pattern names the totals rows (keys.ts) and no receipt, complaint or other row.
    expect(totalsKey('2026-01-31', 'DEPT#ZRZY').pk).toMatch(like(TOTALS_KEY_PATTERN));
    expect(receiptKey({ code: '11010126', number: '0000000001' }).pk).not.toMatch(like(TOTALS_KEY_PATTERN));
    expect(complaintKey('TS-20260101-AAAAAAAA').pk).not.toMatch(like(TOTALS_KEY_PATTERN));
  });
});

describe('the complaints function', () => {
  it('reads check rows of receipts only, and writes only complaint, event and alert rows', () => {
    const onReceipts = tableStatements('complaints', 'receipts');
    for (const s of onReceipts) {
      expect([s.Action].flat().every((a: string) => !/Put|Update|Delete|Write/.test(a))).toBe(true);
      expect(
        s.Condition['ForAllValues:StringLike']['dynamodb:LeadingKeys'].every((p: string) =>
          like(p).test(checksKey({ code: '11010126', number: '0000000001' }).pk),
        ),
      ).toBe(true);
    }
    const writes = tableStatements('complaints', 'ledger').filter(
      (s) => s.Effect === 'Allow' && [s.Action].flat().some((a: string) => /Put|Update/.test(a)),
    );
    expect(writes.length).toBeGreaterThan(0);
    for (const s of writes)
      expect(s.Condition).toEqual({
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': COMPLAINT_KEY_PATTERNS },
      });
  });
});
