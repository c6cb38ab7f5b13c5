import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lib/config.js';
import { FUNCTION_SPECS, type FunctionName, RECOVERY } from '../../lib/functions.js';
import {
  allStatements,
  asArray,
  type Built,
  buildStack,
  FUNCTION_NAMES,
  functionOf,
  type Json,
  logicalId,
  policyRoles,
  refId,
  resources,
} from './support.js';

let built: Built;
const bucketOf = (b: Built) =>
  resources(b.template, 'AWS::S3::Bucket')[logicalId(b.stack.receiptPdfs.bucket)]!;

beforeAll(() => {
  built = buildStack();
}, 120_000);

/** Whether a policy resource names the receipts bucket (its ARN, or objects under it). */
const namesBucket = (resource: Json, bucketId: string): boolean =>
  JSON.stringify(resource).includes(`"${bucketId}"`);

/** The S3 actions each function's role is allowed on the receipts bucket, by function. */
function s3ActionsByFunction(b: Built): Record<string, string[]> {
  const bucketId = logicalId(b.stack.receiptPdfs.bucket);
  const policies = resources(b.template, 'AWS::IAM::Policy');
  const out: Record<string, string[]> = {};
  for (const name of FUNCTION_NAMES) {
    const role = logicalId(functionOf(b, name).role!);
    const actions = Object.values(policies)
      .filter((p) => policyRoles(p).includes(role))
      .flatMap((p) => asArray<Json>(p.Properties.PolicyDocument.Statement))
      .filter((s) => s.Effect === 'Allow' && namesBucket(s.Resource, bucketId))
      .flatMap((s) => asArray<string>(s.Action));
    out[name] = [...new Set(actions)].sort();
  }
  return out;
}

describe('receipts bucket', () => {
  it('locks every PDF in compliance mode for 30 years by default, versioned', () => {
    const { Properties: p } = bucketOf(built);
    expect(p.ObjectLockEnabled).toBe(true);
    expect(p.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Years: 30 } },
    });
    expect(p.VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });

  it('takes the retention from the stack prop, and refuses one that is not whole years from 1 to 100', () => {
    const ten = buildStack({ props: { receiptRetentionYears: 10 } });
    expect(bucketOf(ten).Properties.ObjectLockConfiguration.Rule.DefaultRetention).toEqual({
      Mode: 'COMPLIANCE',
      Years: 10,
    });
    for (const bad of [0, 101, 2.5, -30])
      expect(() => buildStack({ props: { receiptRetentionYears: bad } }), String(bad)).toThrow(
        /receiptRetentionYears must be whole years from 1 to 100/,
      );
  });

  it('encrypts with its own rotated, retained customer key, which the account may use through S3 only', () => {
    const { Properties: p } = bucketOf(built);
    const rule = p.BucketEncryption.ServerSideEncryptionConfiguration[0];
    expect(rule.ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
    const keyId = logicalId(built.stack.receiptPdfs.key);
    expect(refId(rule.ServerSideEncryptionByDefault.KMSMasterKeyID)).toBe(keyId);
    expect(rule.BucketKeyEnabled).toBe(true);
    const key = resources(built.template, 'AWS::KMS::Key')[keyId]!;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    const uses = asArray<Json>(key.Properties.KeyPolicy.Statement).filter((s) =>
      asArray<string>(s.Action).some((a) => /Decrypt|Encrypt|GenerateDataKey/.test(a)),
    );
    expect(uses).toHaveLength(1);
    expect(JSON.stringify(uses[0].Condition.StringEquals['kms:ViaService'])).toContain('"s3."');
  });

  it('is never public, takes TLS only, logs access to the log bucket, and is retained', () => {
    const bucket = bucketOf(built);
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(refId(bucket.Properties.LoggingConfiguration.DestinationBucketName)).toBe(
      logicalId(built.stack.web.logBucket),
    );
    expect(bucket.Properties.LoggingConfiguration.LogFilePrefix).toBe('s3-receipts/');
    expect(bucket.DeletionPolicy).toBe('Retain');
    const bucketId = logicalId(built.stack.receiptPdfs.bucket);
    const tlsOnly = allStatements(built.template).filter(
      ({ statement: s }) =>
        s.Effect === 'Deny' &&
        s.Condition?.Bool?.['aws:SecureTransport'] === 'false' &&
        namesBucket(s.Resource, bucketId),
    );
    expect(tlsOnly).toHaveLength(1);
  });
});

describe('who reaches the PDFs', () => {
  const writers: FunctionName[] = ['receipts', RECOVERY];

  it('receipts and recovery put and get them; verify (the public PDF download) gets them; no other function has any S3 action on the bucket', () => {
    const byFunction = s3ActionsByFunction(built);
    for (const name of FUNCTION_NAMES) {
      const expected = writers.includes(name)
        ? ['s3:GetObject', 's3:PutObject']
        : name === 'verify'
          ? ['s3:GetObject']
          : [];
      expect(byFunction[name], name).toEqual(expected);
      expect(FUNCTION_SPECS[name].receiptPdfs, name).toBe(
        writers.includes(name) ? 'write' : name === 'verify' ? 'read' : undefined,
      );
    }
  });

  it('only under receipts/, and nobody may delete, change retention or bypass the lock', () => {
    const bucketId = logicalId(built.stack.receiptPdfs.bucket);
    const statements = allStatements(built.template).filter(
      ({ statement: s }) => s.Effect === 'Allow' && namesBucket(s.Resource, bucketId),
    );
    const forbidden = statements.filter(({ statement: s }) =>
      asArray<string>(s.Action).some((a) => /Delete|Retention|LegalHold|Bypass|\*/.test(a)),
    );
    expect(forbidden).toEqual([]);
    for (const { resource, statement: s } of statements) {
      if (resource.includes('Policy') && asArray<string>(s.Action).includes('s3:PutObject'))
        for (const r of asArray<Json>(s.Resource)) {
          // Function grants: objects under receipts/ (the log delivery service writes only to the log bucket).
          expect(JSON.stringify(r), resource).toMatch(/receipts\/\*/);
        }
    }
  });

  it('tells exactly those functions the bucket name', () => {
    const bucketId = logicalId(built.stack.receiptPdfs.bucket);
    for (const name of FUNCTION_NAMES) {
      const fn = resources(built.template, 'AWS::Lambda::Function')[logicalId(functionOf(built, name))]!;
      const value = fn.Properties.Environment.Variables[ENV.receiptsBucket];
      expect(value ? refId(value) : undefined, name).toBe(
        FUNCTION_SPECS[name].receiptPdfs ? bucketId : undefined,
      );
    }
  });
});
