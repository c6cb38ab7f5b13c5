import { beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_KEY_PREFIX } from '../../lambdas/adapters/dynamo/keys.js';
import { ENV } from '../../lib/config.js';
import { EXPORT_EXPIRY_DAYS, EXPORTS_PREFIX } from '../../lib/exports-bucket.js';
import { EXPORT_KEY_PATTERN } from '../../lib/functions.js';
import {
  asArray,
  type Built,
  buildStack,
  FUNCTION_NAMES,
  functionOf,
  functionResource,
  type Json,
  logicalId,
  resources,
  roleAllows,
} from './support.js';

let built: Built;

beforeAll(() => {
  built = buildStack();
}, 120_000);

/** Every Allow statement of the policies attached to a function's role. */
const statementsOf = (name: (typeof FUNCTION_NAMES)[number]): Json[] =>
  roleAllows(built, logicalId(functionOf(built, name).role!));

describe('exports bucket', () => {
  it('is its own bucket: no Object Lock, expiring files, blocked public access, SSE, TLS only, logged', () => {
    const bucketId = logicalId(built.stack.exports.bucket);
    expect(bucketId).not.toBe(logicalId(built.stack.receiptPdfs.bucket));
    const { Properties: p } = resources(built.template, 'AWS::S3::Bucket')[bucketId]!;
    expect(p.ObjectLockEnabled).toBeUndefined();
    expect(p.LifecycleConfiguration.Rules).toEqual([
      expect.objectContaining({
        Status: 'Enabled',
        ExpirationInDays: EXPORT_EXPIRY_DAYS,
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      }),
    ]);
    expect(EXPORT_EXPIRY_DAYS).toBeLessThanOrEqual(7);
    expect(p.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(p.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
    ]);
    expect(p.LoggingConfiguration.LogFilePrefix).toBe('s3-exports/');
    const policy = Object.values(resources(built.template, 'AWS::S3::BucketPolicy')).find((b) =>
      JSON.stringify(b.Properties.Bucket).includes(bucketId),
    )!;
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('is written and read by the audit function alone, under exports/ only, never deleted', () => {
    const bucketId = logicalId(built.stack.exports.bucket);
    for (const name of FUNCTION_NAMES) {
      const actions = statementsOf(name)
        .filter((s) => JSON.stringify(s.Resource).includes(`"${bucketId}"`))
        .flatMap((s) => {
          expect(JSON.stringify(s.Resource), name).toContain(`/${EXPORTS_PREFIX}*`);
          return asArray<string>(s.Action);
        });
      expect(actions.sort(), name).toEqual(
        name === 'audit' ? ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'] : [],
      );
    }
    const env = functionResource(built, 'audit').Properties.Environment.Variables;
    expect(JSON.stringify(env[ENV.exportsBucket])).toContain(bucketId);
  });

  it('lets the audit function invoke itself and nothing else; no other function invokes', () => {
    const auditId = logicalId(functionOf(built, 'audit'));
    for (const name of FUNCTION_NAMES) {
      const invokes = statementsOf(name).filter((s) =>
        asArray<string>(s.Action).some((a) => a.startsWith('lambda:')),
      );
      if (name !== 'audit') {
        expect(invokes, name).toEqual([]);
        continue;
      }
      expect(invokes).toEqual([
        expect.objectContaining({
          Action: 'lambda:InvokeFunction',
          Resource: { 'Fn::GetAtt': [auditId, 'Arn'] },
        }),
      ]);
    }
  });

  it('lets the audit function put and update export job rows only (EXPORT#), besides its events and alerts', () => {
    expect(EXPORT_KEY_PATTERN).toBe(`${EXPORT_KEY_PREFIX}*`);
    const ledgerId = logicalId(built.stack.tables.table('ledger'));
    const writes = statementsOf('audit').filter(
      (s) =>
        JSON.stringify(s.Resource).includes(`"${ledgerId}"`) &&
        asArray<string>(s.Action).some((a) => a === 'dynamodb:PutItem' || a === 'dynamodb:UpdateItem'),
    );
    expect(writes).toContainEqual(
      expect.objectContaining({
        Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [EXPORT_KEY_PATTERN] } },
      }),
    );
    for (const s of writes) expect(s.Condition, JSON.stringify(s)).toBeDefined();
  });
});
