import { beforeAll, describe, expect, it } from 'vitest';
import {
  checksKey,
  complaintKey,
  receiptKey,
  TTL_ATTRIBUTE,
  TTL_TABLE,
  totalsKey,
} from '../../lambdas/adapters/dynamo/keys.js';
import { type ComplaintLimits, DEFAULT_COMPLAINT_LIMITS } from '../../lambdas/core/complaints.js';
import { DEFAULT_MIN_RECEIPTS } from '../../lambdas/core/stats.js';
import { ENV, resolveSettings } from '../../lib/config.js';
import {
  COMPLAINT_KEY_PATTERNS,
  type FunctionName,
  RECOVERY,
  TOTALS_KEY_PATTERN,
} from '../../lib/functions.js';
import {
  allStatements,
  type Built,
  buildStack,
  FUNCTION_NAMES,
  functionOf,
  functionResource,
  type Json,
  logicalId,
  policyRoles,
  resources,
} from './support.js';

let built: Built;
beforeAll(() => {
  built = buildStack();
});

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

describe('the open-data and complaint settings', () => {
  const env = (b: Built, name: FunctionName) =>
    functionResource(b, name).Properties.Environment.Variables as Record<string, Json>;
  const SETTINGS = [ENV.statsMinReceipts, ENV.complaintLimits, ENV.supervisionPhone, ENV.complaintAddressKey];

  it('reach only the functions that read them, overrides merged over the defaults', () => {
    const custom = buildStack({
      props: {
        statsMinReceipts: 5,
        complaintLimits: { perAddressPerDay: 2 } as ComplaintLimits,
        supervisionPhone: '010-12345',
      },
    });
    expect(env(custom, 'stats')[ENV.statsMinReceipts]).toBe('5');
    const limits = { ...DEFAULT_COMPLAINT_LIMITS, perAddressPerDay: 2 };
    for (const name of ['complaints', RECOVERY] as const)
      expect(JSON.parse(env(custom, name)[ENV.complaintLimits])).toEqual(limits);
    expect(env(custom, 'complaints')[ENV.supervisionPhone]).toBe('010-12345');
    const allowed: Record<string, FunctionName[]> = {
      [ENV.statsMinReceipts]: ['stats'],
      [ENV.complaintLimits]: ['complaints', RECOVERY],
      [ENV.supervisionPhone]: ['complaints'],
      [ENV.complaintAddressKey]: ['complaints'],
    };
    for (const name of FUNCTION_NAMES)
      for (const setting of SETTINGS)
        expect(setting in env(custom, name), `${setting} in ${name}`).toBe(allowed[setting]!.includes(name));
    // The defaults: the runtime's own, and no phone.
    expect(env(built, 'stats')[ENV.statsMinReceipts]).toBe(String(DEFAULT_MIN_RECEIPTS));
    expect(JSON.parse(env(built, 'complaints')[ENV.complaintLimits])).toEqual(DEFAULT_COMPLAINT_LIMITS);
    expect(ENV.supervisionPhone in env(built, 'complaints')).toBe(false);
  });

  it('are refused at synth when malformed', () => {
    for (const props of [
      { statsMinReceipts: 0 },
      { statsMinReceipts: 2.5 },
      { complaintLimits: { perDay: 3 } as never },
      { complaintLimits: { perReceipt: 0 } as never },
      { supervisionPhone: 'call me' },
    ])
      expect(() => resolveSettings(props), JSON.stringify(props)).toThrow(
        /statsMinReceipts|complaintLimits|supervisionPhone/,
      );
  });

  it('key the address counters with a generated secret, resolved at deploy, never in the template', () => {
    const secrets = resources(built.template, 'AWS::SecretsManager::Secret');
    const secretId = logicalId(built.stack.functions.complaintAddressKey);
    expect(secrets[secretId]!.Properties.GenerateSecretString).toMatchObject({ PasswordLength: 64 });
    const value = JSON.stringify(env(built, 'complaints')[ENV.complaintAddressKey]);
    expect(value).toContain('{{resolve:secretsmanager:');
    expect(value).toContain(`"Ref":"${secretId}"`);
  });

  it('let the ledger expire the rows that carry the TTL attribute, and no other table', () => {
    const tables = resources(built.template, 'AWS::DynamoDB::Table');
    const ledger = logicalId(built.stack.tables.table(TTL_TABLE));
    for (const [id, table] of Object.entries(tables))
      expect(table.Properties.TimeToLiveSpecification, id).toEqual(
        id === ledger ? { AttributeName: TTL_ATTRIBUTE, Enabled: true } : undefined,
      );
  });
});
