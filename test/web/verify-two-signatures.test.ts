/**
 * The verification page (web/src/verify/verdict.ts) and the two signatures of issue 17: a
 * tampered answer lists each failing signature on its own line (开票单位签章 / 财政部门监制签章),
 * a genuine two-signature receipt says both verify, an older receipt says nothing more.
 */
import { describe, expect, it } from 'vitest';
import type { PublicReceipt, VerifyAnswer } from '../../lambdas/handlers/verify.js';
import type { ApiError } from '../../web/src/api.js';
import { type Got, numbersVerdict } from '../../web/src/verify/verdict.js';

const receipt: PublicReceipt = {
  code: '11010126',
  number: '0000000042',
  kind: 'blue',
  issueDate: '2026-03-05',
  total: '80.00',
  totalInWords: '捌拾元整',
  collectingUnit: '某市自然资源局',
  lines: [],
  payer: { type: 'person', name: '张*' },
};
const got = (body: VerifyAnswer): Got<VerifyAnswer> => ({
  status: 200,
  retryAfter: null,
  body: body as VerifyAnswer & ApiError,
});

describe('the page and the two signatures', () => {
  it('lists each failing signature as a reason', () => {
    const unit = 'the collecting unit’s signature (开票单位签章) does not match the receipt’s data';
    const supervision = 'the finance bureau’s supervision signature (财政部门监制签章) is missing';
    const { verdict } = numbersVerdict(
      got({
        valid: false,
        error: 'tampered',
        message: `…: ${unit}; ${supervision}`,
        signatures: 'two',
        failures: [
          { signature: 'unit', code: 'SIGNATURE_INVALID', message: unit },
          { signature: 'supervision', code: 'SIGNATURE_MISSING', message: supervision },
        ],
        checks: 3,
      }),
      null,
    );
    expect(verdict.state).toBe('invalid');
    expect(verdict.reasons).toEqual([unit, supervision]);
  });

  it('says both signatures verify on a genuine two-signature receipt, and nothing more on an older one', () => {
    const two = numbersVerdict(
      got({ valid: true, signatures: 'two', status: 'issued', receipt, checks: 1 }),
      null,
    );
    expect(two.verdict.state).toBe('genuine');
    expect(JSON.stringify(two.verdict.reasons)).toContain('开票单位签章与财政部门监制签章均有效');
    const older = numbersVerdict(
      got({ valid: true, signatures: 'bureau_only', status: 'issued', receipt, checks: 1 }),
      null,
    );
    expect(JSON.stringify(older.verdict.reasons ?? [])).not.toContain('开票单位签章');
  });
});
