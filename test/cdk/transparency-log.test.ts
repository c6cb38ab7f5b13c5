/**
 * The transparency log in the stack (issue 13): the Ed25519 log key that only the integrator
 * may sign with, the tile bucket served by the site's distribution at /log/* (OAC, its cache
 * policy honouring the objects' Cache-Control), the integrator every minute with least
 * privilege, the vkey's publisher, cdk-nag clean.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lib/config.js';
import { LOG_INDEX_KEY_PATTERN, LOG_KEY_PATTERNS, LOG_SIGN_CONDITIONS } from '../../lib/transparency-log.js';
import {
  allStatements,
  asArray,
  type Built,
  buildStack,
  functionOf,
  type Json,
  logicalId,
  nagFindings,
  policyRoles,
  refId,
  resources,
  roleAllows,
} from './support.js';

let built: Built;
beforeAll(() => {
  built = buildStack();
});

const log = (b: Built) => b.stack.transparencyLog;

describe('log key', () => {
  it('is Ed25519 in KMS for signing, retained', () => {
    const key = resources(built.template, 'AWS::KMS::Key')[logicalId(log(built).key)]!;
    expect(key.Properties.KeySpec).toBe('ECC_NIST_EDWARDS25519');
    expect(key.Properties.KeyUsage).toBe('SIGN_VERIFY');
    expect(key.DeletionPolicy).toBe('Retain');
  });

  it('lets only the integrator role sign, and only ED25519_SHA_512 over a RAW message', () => {
    const key = resources(built.template, 'AWS::KMS::Key')[logicalId(log(built).key)]!;
    const integratorRole = logicalId(log(built).integrator.role! as never);
    const signing = asArray<Json>(key.Properties.KeyPolicy.Statement).filter((s) =>
      asArray<string>(s.Action).some((a) => a === 'kms:Sign' || a === 'kms:*' || a === '*'),
    );
    expect(signing).toEqual([expect.objectContaining({ Effect: 'Allow', Condition: LOG_SIGN_CONDITIONS })]);
    expect(refId(signing[0].Principal.AWS)).toBe(integratorRole);
    expect(LOG_SIGN_CONDITIONS).toEqual({
      StringEquals: { 'kms:SigningAlgorithm': 'ED25519_SHA_512', 'kms:MessageType': 'RAW' },
    });
    // No IAM policy but the integrator's mentions kms:Sign on the log key.
    const keyId = logicalId(log(built).key);
    const policies = resources(built.template, 'AWS::IAM::Policy');
    const signers = allStatements(built.template)
      .filter(
        ({ resource, statement }) =>
          policies[resource] &&
          asArray<string>(statement.Action).includes('kms:Sign') &&
          asArray(statement.Resource).some((r) => refId(r) === keyId),
      )
      .flatMap(({ resource }) => policyRoles(policies[resource]!));
    expect(signers).toEqual([integratorRole]);
  });

  it('gives the verify function (GET /v1/keys) GetPublicKey and the key id, never Sign', () => {
    const verify = functionOf(built, 'verify');
    const env = resources(built.template, 'AWS::Lambda::Function')[logicalId(verify)]!.Properties.Environment
      .Variables;
    expect(refId(env[ENV.logKmsKeyId])).toBe(logicalId(log(built).key));
    expect(env[ENV.logOrigin]).toBeDefined();
    const onKey = roleAllows(built, logicalId(verify.role! as never)).filter((s) =>
      asArray(s.Resource).some((r) => refId(r) === logicalId(log(built).key)),
    );
    expect(onKey.flatMap((s) => asArray<string>(s.Action))).toEqual(['kms:GetPublicKey']);
  });
});

describe('tile bucket', () => {
  it('is versioned, private, encrypted, TLS only, access-logged, retained', () => {
    const id = logicalId(log(built).bucket);
    const bucket = resources(built.template, 'AWS::S3::Bucket')[id]!;
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0]).toMatchObject({
      ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' },
    });
    expect(bucket.Properties.LoggingConfiguration.LogFilePrefix).toBe('s3-log/');
    expect(refId(bucket.Properties.LoggingConfiguration.DestinationBucketName)).toBe(
      logicalId(built.stack.web.logBucket),
    );
    expect(bucket.DeletionPolicy).toBe('Retain');
    const policy = Object.values(resources(built.template, 'AWS::S3::BucketPolicy')).find(
      (p) => refId(p.Properties.Bucket) === id,
    )!;
    const statements = asArray<Json>(policy.Properties.PolicyDocument.Statement);
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]),
    );
    // Readable by CloudFront alone (the distribution's service principal, this distribution).
    for (const s of statements.filter((x) => x.Effect === 'Allow')) {
      expect(s.Principal).toEqual({ Service: 'cloudfront.amazonaws.com' });
      expect(JSON.stringify(s.Condition)).toContain('AWS:SourceArn');
      expect(asArray<string>(s.Action).every((a) => a === 's3:GetObject' || a === 's3:ListBucket')).toBe(
        true,
      );
    }
  });

  it('is served by the site distribution at /log/* through the origin access control, caching as the objects say', () => {
    const [dist] = Object.values(resources(built.template, 'AWS::CloudFront::Distribution'));
    const config = dist!.Properties.DistributionConfig;
    const behavior = config.CacheBehaviors.find((b: Json) => b.PathPattern === '/log/*');
    expect(behavior).toBeDefined();
    expect(behavior.AllowedMethods).toEqual(['GET', 'HEAD']);
    expect(behavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    const origin = config.Origins.find((o: Json) => o.Id === behavior.TargetOriginId);
    expect(origin.S3OriginConfig).toBeDefined();
    expect(refId(origin.OriginAccessControlId)).toBe(logicalId(built.stack.web.originAccess));
    expect(JSON.stringify(origin.DomainName)).toContain(logicalId(log(built).bucket));
    // The cache policy: no query strings, headers or cookies; TTLs bounded by the objects' Cache-Control.
    expect(refId(behavior.CachePolicyId)).toBe(logicalId(log(built).cachePolicy));
    const policy = resources(built.template, 'AWS::CloudFront::CachePolicy')[
      logicalId(log(built).cachePolicy)
    ]!.Properties.CachePolicyConfig;
    expect(policy).toMatchObject({ MinTTL: 0, DefaultTTL: 5, MaxTTL: 365 * 24 * 3600 });
    expect(policy.ParametersInCacheKeyAndForwardedToOrigin).toMatchObject({
      QueryStringsConfig: { QueryStringBehavior: 'none' },
      HeadersConfig: { HeaderBehavior: 'none' },
      CookiesConfig: { CookieBehavior: 'none' },
    });
  });
});

describe('integrator', () => {
  const role = (b: Built) => logicalId(log(b).integrator.role! as never);

  it('runs every minute from an EventBridge rule, one at a time', () => {
    const rule = resources(built.template, 'AWS::Events::Rule')[logicalId(log(built).schedule)]!;
    expect(rule.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(refId(rule.Properties.Targets[0].Arn)).toBe(logicalId(log(built).integrator));
    const fn = resources(built.template, 'AWS::Lambda::Function')[logicalId(log(built).integrator)]!;
    expect(fn.Properties.ReservedConcurrentExecutions).toBe(1);
    expect(fn.Properties.Timeout).toBeLessThan(60);
    const env = fn.Properties.Environment.Variables;
    expect(refId(env[ENV.logBucket])).toBe(logicalId(log(built).bucket));
    // No domain: feeproof-<stage>-<account>-<region>/log (resolved at deploy).
    expect(JSON.stringify(env[ENV.logOrigin])).toMatch(/feeproof-test-.*\/log/);
  });

  it("has least privilege: the log key, puts under log/, the log rows of the ledger, the index-block rows, the receipts' log attributes", () => {
    const statements = roleAllows(built, role(built));
    const byAction = (a: string) => statements.filter((s) => asArray<string>(s.Action).includes(a));
    const ledger = logicalId(built.stack.tables.table('ledger'));
    const receipts = logicalId(built.stack.tables.table('receipts'));
    const bucket = logicalId(log(built).bucket);

    expect(byAction('kms:Sign').map((s) => refId(s.Resource))).toEqual([logicalId(log(built).key)]);
    expect(byAction('s3:PutObject')).toHaveLength(1);
    expect(JSON.stringify(byAction('s3:PutObject')[0].Resource)).toContain('/log/*');
    expect(JSON.stringify(byAction('s3:PutObject')[0].Resource)).toContain(bucket);
    expect(
      statements.flatMap((s) => asArray<string>(s.Action)).filter((a) => a.startsWith('s3:Delete')),
    ).toEqual([]);
    const writes = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:PartiQLUpdate'].flatMap(byAction);
    // A batch's cleanup writes its receipts' indexes as index-block rows (UpdateItem), no check row.
    expect(byAction('dynamodb:PartiQLUpdate')).toEqual([]);
    for (const s of writes) {
      const table = refId(s.Resource);
      expect([ledger, receipts]).toContain(table);
      expect(s.Condition['ForAllValues:StringLike']['dynamodb:LeadingKeys']).toEqual(
        table === ledger ? LOG_KEY_PATTERNS : [LOG_INDEX_KEY_PATTERN],
      );
    }
    expect(LOG_KEY_PATTERNS).toEqual(['LOGQ', 'LOG#*', 'LOGHEAD', 'LOGTREE', 'LOGRANGE#*']);
    expect(LOG_INDEX_KEY_PATTERN).toBe('LOGINDEX#*');
    // Receipts are logged from their rows: of a receipt row, its log attributes alone, never the payer.
    const receiptReads = statements.filter(
      (s) =>
        refId(s.Resource) === receipts &&
        asArray<string>(s.Action).some((a) => a === 'dynamodb:BatchGetItem' || a === 'dynamodb:Query'),
    );
    expect(receiptReads).toEqual([
      expect.objectContaining({
        Action: 'dynamodb:BatchGetItem',
        Condition: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['R#*'] },
          'ForAllValues:StringEquals': {
            'dynamodb:Attributes': ['pk', 'sk', 'status', 'kind', 'reverses', 'completedAt', 'logEntry'],
          },
          StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
        },
      }),
    ]);
    // Deletes: the queue's items only (BatchWriteItem, by a batch's cleanup once it committed).
    const deletes = statements.filter((s) =>
      asArray<string>(s.Action).some(
        (a) => a.startsWith('dynamodb:Delete') || a === 'dynamodb:BatchWriteItem',
      ),
    );
    expect(deletes).toEqual([
      expect.objectContaining({
        Action: 'dynamodb:BatchWriteItem',
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['LOGQ'] } },
      }),
    ]);
    // Every DynamoDB statement is limited to some rows.
    for (const s of statements.filter((x) =>
      asArray<string>(x.Action).some((a) => a.startsWith('dynamodb:')),
    ))
      expect(s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']).toBeDefined();
  });

  it('is the only role that may write the tile bucket', () => {
    const bucket = logicalId(log(built).bucket);
    const policies = resources(built.template, 'AWS::IAM::Policy');
    const writers = allStatements(built.template)
      .filter(
        ({ resource, statement }) =>
          policies[resource] &&
          statement.Effect === 'Allow' &&
          asArray<string>(statement.Action).some(
            (a) => a.startsWith('s3:Put') || a.startsWith('s3:Delete'),
          ) &&
          JSON.stringify(statement.Resource).includes(bucket),
      )
      .flatMap(({ resource }) => policyRoles(policies[resource]!));
    expect([...new Set(writers)]).toEqual([role(built)]);
  });
});

describe('settings', () => {
  it('names the log after the custom domain, or takes logOrigin and witnesses from props', () => {
    const withDomain = buildStack({
      props: {
        domain: {
          domainNames: ['fees.example.gov.cn'],
          certificateArn: 'arn:aws:acm:us-east-1:1:certificate/x',
        },
        logWitnesses: [{ url: 'https://witness.example/', vkey: 'court.example/w1+0123abcd+BKqF' }],
      },
    });
    const env = (b: Built) =>
      resources(b.template, 'AWS::Lambda::Function')[logicalId(log(b).integrator)]!.Properties.Environment
        .Variables;
    expect(env(withDomain)[ENV.logOrigin]).toBe('fees.example.gov.cn/log');
    expect(JSON.parse(env(withDomain)[ENV.logWitnesses])).toEqual([
      { url: 'https://witness.example/', vkey: 'court.example/w1+0123abcd+BKqF' },
    ]);
    expect(env(buildStack({ props: { logOrigin: 'fees.example/log' } }))[ENV.logOrigin]).toBe(
      'fees.example/log',
    );
    expect(() => buildStack({ props: { logOrigin: 'two words' } })).toThrow(/logOrigin/);
    expect(() => buildStack({ props: { logWitnesses: [{ url: 'http://w/', vkey: 'x' }] } })).toThrow(
      /logWitnesses/,
    );
  });

  it('passes cdk-nag AwsSolutions with no unacknowledged finding', () => {
    expect(nagFindings(built)).toEqual([]);
  });
});
