/**
 * Go-live hardening (issue 16), on synthesized templates without bundling: someone is paged,
 * keys and history cannot be quietly changed, staff need MFA, the edge is fenced, production
 * needs a real domain, and the smaller items.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkCountsKey,
  checksKey,
  logIndexBlockKey,
  receiptKey,
} from '../../lambdas/adapters/dynamo/keys.js';
import { isPublic, ROUTE_GROUPS, ROUTES, routeKey } from '../../lambdas/runtime/routes.js';
import { TABLES } from '../../lambdas/runtime/tables.js';
import { COMPLIANCE_GRACE_DAYS } from '../../lib/backup.js';
import { ESBUILD_SETTINGS } from '../../lib/bundling.js';
import { type BackupSettings, DEFAULT_SETTINGS } from '../../lib/config.js';
import {
  CHECK_KEY_PATTERN,
  EVENT_KEY_PATTERN,
  EVENTS_TABLE,
  FUNCTION_SPECS,
  type FunctionName,
  INTEGRATOR_ONLY_KEYS,
  RECOVERY,
} from '../../lib/functions.js';
import { SIGN_CONDITIONS } from '../../lib/signing-key.js';
import { fileBodyPaths, PDF_UPLOAD_PATH, publicPathPrefixes } from '../../lib/waf.js';
import { API_PATH_PATTERNS, CACHED_API_PATHS } from '../../lib/web.js';
import {
  allStatements,
  asArray,
  type Built,
  buildStack,
  type Json,
  logicalId,
  policyRoles,
  refId,
  resources,
} from './support.js';

const FUNCTION_NAMES: FunctionName[] = [...ROUTE_GROUPS, RECOVERY];
const DOMAIN = {
  domainNames: ['piaoju.example.cn'],
  certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000',
};
const ACCOUNT = '123456789012';
const EAST = { account: ACCOUNT, region: 'us-east-1' };

let built: Built;
beforeAll(() => {
  built = buildStack();
}, 120_000);

const fnOf = (b: Built, name: FunctionName) =>
  name === RECOVERY ? b.stack.functions.recovery : b.stack.functions.byGroup.get(name)!;
const fnProps = (b: Built, name: FunctionName) =>
  resources(b.template, 'AWS::Lambda::Function')[logicalId(fnOf(b, name))]!.Properties;
const alarms = (b: Built) => resources(b.template, 'AWS::CloudWatch::Alarm');
const warnings = (b: Built, pattern: string) =>
  Annotations.fromStack(b.stack).findWarning('*', Match.stringLikeRegexp(pattern));

describe('1. someone is paged', () => {
  it('has an SNS topic encrypted with a key that CloudWatch may use, TLS only', () => {
    const topic = built.stack.observability.topic;
    const [props] = Object.values(resources(built.template, 'AWS::SNS::Topic')).map((t) => t.Properties);
    const keyId = refId(props.KmsMasterKeyId);
    const key = resources(built.template, 'AWS::KMS::Key')[keyId!]!;
    expect(key.Properties.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      }),
    );
    built.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: logicalId(topic) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('sends every alarm (and its recovery) to the topic', () => {
    const topic = logicalId(built.stack.observability.topic);
    const all = Object.values(alarms(built));
    expect(all.length).toBeGreaterThan(30);
    for (const a of all) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: topic }]);
      expect(a.Properties.OKActions).toEqual([{ Ref: topic }]);
    }
  });

  it('warns loudly at synth when nobody is subscribed, and not when someone is', () => {
    expect(warnings(built, 'NOBODY IS PAGED')).toHaveLength(1);
    const paged = buildStack({ props: { alarmEmails: ['oncall@example.cn', 'finance-it@example.cn'] } });
    expect(warnings(paged, 'NOBODY IS PAGED')).toHaveLength(0);
    const subs = Object.values(resources(paged.template, 'AWS::SNS::Subscription')).map((s) => s.Properties);
    expect(subs.map((s) => [s.Protocol, s.Endpoint]).sort()).toEqual([
      ['email', 'finance-it@example.cn'],
      ['email', 'oncall@example.cn'],
    ]);
    for (const s of subs) expect(refId(s.TopicArn)).toBe(logicalId(paged.stack.observability.topic));
  });

  it('also notifies an existing topic when alarmTopicArn is given', () => {
    const arn = 'arn:aws:sns:us-east-1:123456789012:oncall';
    const b = buildStack({ props: { alarmTopicArn: arn } });
    expect(warnings(b, 'NOBODY IS PAGED')).toHaveLength(0);
    const topic = logicalId(b.stack.observability.topic);
    for (const a of Object.values(alarms(b)))
      expect(a.Properties.AlarmActions).toEqual([{ Ref: topic }, arn]);
  });

  it.each(TABLES.map((t) => t.id))('%s table: alarms on throttled requests and system errors', (table) => {
    const tableId = logicalId(built.stack.tables.table(table));
    for (const metric of ['ThrottledRequests', 'SystemErrors']) {
      const found = Object.values(alarms(built)).filter((a) => {
        const metrics = JSON.stringify(a.Properties.Metrics ?? []);
        return metrics.includes(metric) && metrics.includes(tableId);
      });
      expect(found, metric).toHaveLength(1);
    }
  });

  it('alarms when the recovery job stops running: a heartbeat from its summary, missing data breaching', () => {
    const recoveryLogs = logicalId(built.stack.functions.recovery.logGroup);
    built.template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: recoveryLogs },
      FilterPattern: '{ $.message = "recovery finished" }',
      MetricTransformations: [Match.objectLike({ MetricName: 'RecoveryRuns', MetricValue: '1' })],
    });
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'RecoveryRuns',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: 3,
      Period: 300,
      TreatMissingData: 'breaching',
    });
  });

  it('alarms on receipts pending past the stuck threshold (the count in the recovery summary)', () => {
    built.template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: logicalId(built.stack.functions.recovery.logGroup) },
      FilterPattern: '{ ($.message = "recovery finished") && ($.stuck > 0) }',
      MetricTransformations: [Match.objectLike({ MetricName: 'ReceiptsStuck', MetricValue: '$.stuck' })],
    });
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ReceiptsStuck',
      Namespace: 'Feeproof',
      Threshold: 1,
    });
  });

  it.each(FUNCTION_NAMES)('%s: alarms on its p99 duration', (name) => {
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Duration',
      ExtendedStatistic: 'p99',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(fnOf(built, name)) } }],
      Threshold: FUNCTION_SPECS[name].latencyP99.toMilliseconds(),
    });
  });

  it('alarms on the 5xx share of API requests', () => {
    const rate = Object.values(alarms(built)).filter((a) =>
      asArray<Json>(a.Properties.Metrics).some((m) => /100 \* errors \/ requests/.test(m.Expression ?? '')),
    );
    expect(rate).toHaveLength(1);
    const names = asArray<Json>(rate[0]!.Properties.Metrics)
      .map((m) => m.MetricStat?.Metric?.MetricName)
      .filter(Boolean)
      .sort();
    expect(names).toEqual(['5xx', 'Count']);
    expect(rate[0]!.Properties.ComparisonOperator).toBe('GreaterThanThreshold');
  });

  it('alarms on KMS: signing failures and Sign calls nearing the quota', () => {
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'SigningFailures' });
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Usage',
      MetricName: 'CallCount',
      Dimensions: [
        { Name: 'Class', Value: 'None' },
        { Name: 'Resource', Value: 'Sign' },
        { Name: 'Service', Value: 'KMS' },
        { Name: 'Type', Value: 'API' },
      ],
    });
  });

  it('sends failed scheduled recovery invocations to an encrypted dead-letter queue, with an alarm', () => {
    const queue = logicalId(built.stack.functions.recoveryDeadLetters);
    const q = resources(built.template, 'AWS::SQS::Queue')[queue]!;
    expect(q.Properties.SqsManagedSseEnabled).toBe(true);
    built.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(built.stack.functions.recovery) },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queue, 'Arn'] } } },
    });
    built.template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } } })],
    });
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
      Threshold: 1,
    });
  });
});

describe('2. keys and history cannot be quietly changed', () => {
  const keys = (b: Built) => resources(b.template, 'AWS::KMS::Key');

  it('creates a key-admin role that the account assumes with MFA only', () => {
    const roles = Object.entries(resources(built.template, 'AWS::IAM::Role')).filter(([id]) =>
      id.startsWith('KeyAdminRole'),
    );
    expect(roles).toHaveLength(1);
    expect(roles[0]![1].Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
      }),
    ]);
  });

  it('denies every key policy change and deletion to all but the key admin (and CloudFormation for the policy)', () => {
    const [adminRole] = Object.keys(resources(built.template, 'AWS::IAM::Role')).filter((id) =>
      id.startsWith('KeyAdminRole'),
    );
    const adminArn = { 'Fn::GetAtt': [adminRole, 'Arn'] };
    expect(Object.keys(keys(built)).length).toBeGreaterThanOrEqual(3);
    for (const [id, key] of Object.entries(keys(built))) {
      const statements = key.Properties.KeyPolicy.Statement as Json[];
      const deny = (action: string) => statements.filter((s) => s.Effect === 'Deny' && s.Action === action);
      const [put] = deny('kms:PutKeyPolicy');
      const [del] = deny('kms:ScheduleKeyDeletion');
      expect(put, id).toMatchObject({ Principal: { AWS: '*' } });
      const putExceptions = put.Condition.ArnNotEquals['aws:PrincipalArn'];
      expect(putExceptions).toHaveLength(2);
      expect(putExceptions[0]).toEqual(adminArn);
      expect(JSON.stringify(putExceptions[1])).toContain('-cfn-exec-role-');
      expect(del, id).toMatchObject({
        Principal: { AWS: '*' },
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': adminArn } },
      });
      // Nothing else in the policy allows the account everything.
      expect(statements.some((s) => s.Effect === 'Allow' && asArray(s.Action).includes('kms:*'))).toBe(false);
    }
  });

  it('names a given key-admin role instead of creating one', () => {
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/security/kms-admin`;
    const b = buildStack({ props: { keyAdminRoleArn: roleArn } });
    expect(
      Object.keys(resources(b.template, 'AWS::IAM::Role')).some((id) => id.startsWith('KeyAdminRole')),
    ).toBe(false);
    const key = resources(b.template, 'AWS::KMS::Key')[logicalId(b.stack.signingKey.key)]!;
    expect(key.Properties.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'kms:ScheduleKeyDeletion',
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': roleArn } },
      }),
    );
  });

  it('allows kms:Sign only as the signer signs: ECDSA_SHA_256 over a digest', () => {
    expect(SIGN_CONDITIONS).toEqual({
      StringEquals: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256', 'kms:MessageType': 'DIGEST' },
    });
    const key = keys(built)[logicalId(built.stack.signingKey.key)]!;
    const signing = (key.Properties.KeyPolicy.Statement as Json[]).filter((s) =>
      asArray(s.Action).includes('kms:Sign'),
    );
    expect(signing.length).toBe(2);
    for (const s of signing) expect(s.Condition).toEqual(SIGN_CONDITIONS);
  });

  it.each(FUNCTION_NAMES.filter((n) => FUNCTION_SPECS[n].tables[EVENTS_TABLE] !== undefined))(
    '%s: may never update an event row of the ledger (IAM deny)',
    (name) => {
      const role = logicalId(fnOf(built, name).role!);
      const ledger = logicalId(built.stack.tables.table(EVENTS_TABLE));
      const policies = resources(built.template, 'AWS::IAM::Policy');
      const writes = FUNCTION_SPECS[name].tables[EVENTS_TABLE] !== 'read';
      const denies = allStatements(built.template).filter(
        ({ resource, statement }) =>
          policies[resource] &&
          policyRoles(policies[resource]!).includes(role) &&
          statement.Effect === 'Deny' &&
          refId(statement.Resource) === ledger,
      );
      expect(denies.map((d) => d.statement)).toEqual(
        writes
          ? [
              expect.objectContaining({
                Action: 'dynamodb:UpdateItem',
                Condition: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': [EVENT_KEY_PATTERN] } },
              }),
              // And what the log has sequenced, the integrator's alone (bundles.test.ts exercises it).
              expect.objectContaining({
                Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
                Condition: {
                  'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': INTEGRATOR_ONLY_KEYS[EVENTS_TABLE] },
                },
              }),
            ]
          : [],
      );
    },
  );

  it('verify (anonymous callers reach it): GetItem on the receipts table, UpdateItem of check partitions alone', () => {
    const role = logicalId(fnOf(built, 'verify').role!);
    const receipts = logicalId(built.stack.tables.table('receipts'));
    const policies = resources(built.template, 'AWS::IAM::Policy');
    const onReceipts = allStatements(built.template).filter(
      ({ resource, statement }) =>
        policies[resource] &&
        policyRoles(policies[resource]!).includes(role) &&
        // The table or one of its indexes (an index ARN is the table's joined with a suffix).
        JSON.stringify(statement.Resource).includes(`"${receipts}"`),
    );
    expect(onReceipts.map((s) => s.statement)).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: expect.anything() }),
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'dynamodb:UpdateItem',
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [CHECK_KEY_PATTERN] } },
      }),
    ]);
    expect(onReceipts[0]!.statement.Condition).toBeUndefined();
    // The pattern names exactly the rows the check repository writes (the count blocks; the
    // check rows, which held the counts before), and no receipt row (nor the log's index-block
    // rows, which the check reads).
    const like = new RegExp(`^${CHECK_KEY_PATTERN.replace('*', '.*')}$`);
    const ref = { code: '11010126', number: '0000000001' };
    expect(checkCountsKey(ref).pk).toMatch(like);
    expect(checksKey(ref).pk).toMatch(like);
    expect(receiptKey(ref).pk).not.toMatch(like);
    expect(logIndexBlockKey(ref).pk).not.toMatch(like);
  });

  it('backs the tables up daily and monthly into a locked vault, retained', () => {
    const vaults = Object.values(resources(built.template, 'AWS::Backup::BackupVault'));
    expect(vaults).toHaveLength(1);
    const { dailyRetentionDays: daily, monthlyRetentionDays: monthly } =
      DEFAULT_SETTINGS.backup as BackupSettings;
    // The lock's minimum is the shortest retention: a longer one would refuse the dailies.
    expect(vaults[0]!.Properties.LockConfiguration).toEqual({ MinRetentionDays: daily });
    expect(vaults[0]!.DeletionPolicy).toBe('Retain');
    built.template.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanRule: [
          Match.objectLike({
            RuleName: 'Daily',
            ScheduleExpression: 'cron(0 18 * * ? *)',
            Lifecycle: { DeleteAfterDays: daily },
          }),
          Match.objectLike({
            RuleName: 'Monthly',
            ScheduleExpression: 'cron(30 18 1 * ? *)',
            Lifecycle: { DeleteAfterDays: monthly },
          }),
        ],
      },
    });
    const [selection] = Object.values(resources(built.template, 'AWS::Backup::BackupSelection'));
    expect(selection!.Properties.BackupSelection.Resources.map((r: Json) => refId(r)).sort()).toEqual(
      TABLES.map((t) => logicalId(built.stack.tables.table(t.id))).sort(),
    );
  });

  it('locks in compliance mode and copies to another account when asked', () => {
    const copyTo = 'arn:aws:backup:us-east-1:210987654321:backup-vault:feeproof-copy';
    const b = buildStack({
      props: {
        backup: {
          dailyRetentionDays: 7,
          monthlyRetentionDays: 400,
          lockMode: 'compliance',
          copyToVaultArn: copyTo,
        },
      },
    });
    b.template.hasResourceProperties('AWS::Backup::BackupVault', {
      LockConfiguration: { MinRetentionDays: 7, ChangeableForDays: COMPLIANCE_GRACE_DAYS },
    });
    b.template.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanRule: [
          Match.objectLike({
            CopyActions: [{ DestinationBackupVaultArn: copyTo, Lifecycle: { DeleteAfterDays: 7 } }],
          }),
          Match.objectLike({
            CopyActions: [{ DestinationBackupVaultArn: copyTo, Lifecycle: { DeleteAfterDays: 400 } }],
          }),
        ],
      },
    });
    expect(() =>
      buildStack({
        props: { backup: { dailyRetentionDays: 30, monthlyRetentionDays: 10, lockMode: 'governance' } },
      }),
    ).toThrow(/backup retention/);
  });

  it('says so at synth when backup is turned off', () => {
    const b = buildStack({ props: { backup: false } });
    expect(b.template.findResources('AWS::Backup::BackupVault')).toEqual({});
    expect(warnings(b, 'backup is false')).toHaveLength(1);
  });
});

describe('3. staff sign in with MFA', () => {
  it('requires TOTP by default, keeps the original e-mail until the new one is verified', () => {
    built.template.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
      UserPoolTier: 'ESSENTIALS',
    });
    expect(warnings(built, 'mfa is OPTIONAL')).toHaveLength(0);
  });

  it('says so at synth when MFA is made optional', () => {
    const b = buildStack({ props: { mfa: 'OPTIONAL' } });
    b.template.hasResourceProperties('AWS::Cognito::UserPool', { MfaConfiguration: 'OPTIONAL' });
    expect(warnings(b, 'mfa is OPTIONAL')).toHaveLength(1);
  });

  it('turns on threat protection (Plus plan) and SES e-mail by props', () => {
    const b = buildStack({
      props: {
        threatProtection: true,
        sesSender: { fromEmail: 'no-reply@piaoju.example.cn', fromName: '财政局', region: 'us-east-1' },
      },
    });
    b.template.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      EmailConfiguration: Match.objectLike({
        EmailSendingAccount: 'DEVELOPER',
        From: Match.stringLikeRegexp('no-reply@piaoju.example.cn'),
        SourceArn: Match.anyValue(),
      }),
    });
  });

  it('leaves custom:department and group membership unwritable by the app client', () => {
    const [client] = Object.values(resources(built.template, 'AWS::Cognito::UserPoolClient'));
    // Only these; a user's own token may change nothing else (UpdateUserAttributes).
    expect(client!.Properties.WriteAttributes.sort()).toEqual(['email', 'name']);
    // The console's managed-login tokens carry no scope for the user's own attribute calls.
    expect(client!.Properties.AllowedOAuthScopes).not.toContain('aws.cognito.signin.user.admin');
    expect(client!.Properties.ExplicitAuthFlows).toEqual(['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
    // Group membership changes only through the admin API (IAM); no role of the stack has it.
    const cognitoActions = allStatements(built.template).flatMap(({ statement }) =>
      asArray<string>(statement.Action).filter((a) => a.startsWith('cognito-idp:')),
    );
    expect(cognitoActions).toEqual([]);
  });
});

describe('4. the edge is fenced', () => {
  const acl = (b: Built) => Object.values(resources(b.template, 'AWS::WAFv2::WebACL'));
  const distribution = (b: Built) =>
    Object.values(resources(b.template, 'AWS::CloudFront::Distribution'))[0]!.Properties.DistributionConfig;

  it('attaches its own CLOUDFRONT web ACL, created where such ACLs live (us-east-1)', () => {
    const [webAcl] = acl(built);
    expect(webAcl!.Properties.Scope).toBe('CLOUDFRONT');
    const aclId = built.stack.getLogicalId(built.stack.firewall!.webAcl!);
    const condition = (webAcl as Json).Condition;
    expect(built.template.toJSON().Conditions[condition]).toEqual({
      'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'],
    });
    expect(distribution(built).WebACLId).toEqual({
      'Fn::If': [condition, { 'Fn::GetAtt': [aclId, 'Arn'] }, { Ref: 'AWS::NoValue' }],
    });
  });

  it('has the rate rule on the public routes, the managed groups, and the body-size rule counting for the PDF upload', () => {
    const rules = acl(built)[0]!.Properties.Rules as Json[];
    const byName = Object.fromEntries(rules.map((r) => [r.Name, r]));
    expect(Object.keys(byName).sort()).toEqual(
      [
        'AWSManagedRulesAmazonIpReputationList',
        'AWSManagedRulesCommonRuleSet',
        'AWSManagedRulesKnownBadInputsRuleSet',
        'BodySizeExceptFileUploads',
        'PublicRoutesRatePerAddress',
      ].sort(),
    );
    const rate = byName.PublicRoutesRatePerAddress.Statement.RateBasedStatement;
    expect(rate).toMatchObject({
      Limit: DEFAULT_SETTINGS.wafRateLimit,
      AggregateKeyType: 'IP',
      EvaluationWindowSec: 300,
    });
    const scoped = rate.ScopeDownStatement.OrStatement.Statements.map(
      (s: Json) => s.ByteMatchStatement.SearchString,
    );
    expect(scoped).toEqual(publicPathPrefixes());
    for (const route of ROUTES.filter(isPublic)) {
      expect(
        scoped.some((p: string) => route.path.startsWith(p)),
        route.path,
      ).toBe(true);
    }
    for (const route of ROUTES.filter((r) => !isPublic(r))) {
      expect(
        scoped.some((p: string) => route.path.startsWith(p) && !route.path.startsWith('/v1/catalogue')),
      ).toBe(false);
    }
    expect(
      byName.AWSManagedRulesCommonRuleSet.Statement.ManagedRuleGroupStatement.RuleActionOverrides,
    ).toEqual([{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }]);
    const body = byName.BodySizeExceptFileUploads;
    expect(body.Action).toEqual({ Block: {} });
    expect(body.Priority).toBeGreaterThan(byName.AWSManagedRulesCommonRuleSet.Priority);
    const [label, not] = body.Statement.AndStatement.Statements;
    expect(label.LabelMatchStatement.Key).toBe('awswaf:managed:aws:core-rule-set:SizeRestrictions_Body');
    const exempt = not.NotStatement.Statement.OrStatement.Statements.map((m: Json) => m.ByteMatchStatement);
    expect(exempt.every((m: Json) => m.PositionalConstraint === 'EXACTLY')).toBe(true);
    // The PDF upload and the catalogue CSV import: every route whose body is a file, and no other.
    expect(exempt.map((m: Json) => m.SearchString)).toEqual(fileBodyPaths());
    expect(fileBodyPaths()).toEqual(expect.arrayContaining([PDF_UPLOAD_PATH, '/v1/catalogue/import']));
    expect(
      ROUTES.some((r) => r.method === 'POST' && r.path === PDF_UPLOAD_PATH && r.body?.type === 'pdf'),
    ).toBe(true);
  });

  it('creates the web ACL unconditionally in us-east-1; elsewhere none, with a warning; production refuses', () => {
    const east = buildStack({ props: { env: { account: ACCOUNT, region: 'us-east-1' } } });
    expect(acl(east)).toHaveLength(1);
    expect((acl(east)[0] as Json).Condition).toBeUndefined();
    const west = buildStack({ props: { env: { account: ACCOUNT, region: 'eu-west-1' } } });
    expect(acl(west)).toHaveLength(0);
    expect(warnings(west, 'No WAF')).toHaveLength(1);
    expect(() =>
      buildStack({
        props: { stage: 'production', domain: DOMAIN, env: { account: ACCOUNT, region: 'eu-west-1' } },
      }),
    ).toThrow(/no WAF.*webAclArn/);
  });

  it('uses a given web ACL instead, and warns when WAF is turned off', () => {
    const arn = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/feeproof/1111';
    const given = buildStack({ props: { webAclArn: arn } });
    expect(acl(given)).toHaveLength(0);
    expect(distribution(given).WebACLId).toBe(arn);
    const off = buildStack({ props: { waf: false } });
    expect(acl(off)).toHaveLength(0);
    expect(distribution(off).WebACLId).toBeUndefined();
    expect(warnings(off, 'waf is false')).toHaveLength(1);
  });

  it('throttles each public route on its own, below the staff routes', () => {
    const [stage] = Object.values(resources(built.template, 'AWS::ApiGatewayV2::Stage'));
    const { publicThrottling, throttling } = DEFAULT_SETTINGS;
    expect(publicThrottling.rateLimit).toBeLessThan(throttling.rateLimit);
    expect(stage!.Properties.RouteSettings).toEqual(
      Object.fromEntries(
        ROUTES.filter(isPublic).map((r) => [
          routeKey(r),
          {
            ThrottlingRateLimit: publicThrottling.rateLimit,
            ThrottlingBurstLimit: publicThrottling.burstLimit,
          },
        ]),
      ),
    );
    const routeIds = Object.keys(resources(built.template, 'AWS::ApiGatewayV2::Route'));
    const dependsOn = (built.template.toJSON().Resources as Json)[logicalId(built.stack.api.stage)]
      .DependsOn as string[];
    expect(routeIds.every((r) => dependsOn.includes(r))).toBe(true);
  });

  it('reserves concurrency for receipts and recovery, and caps the public and verify functions', () => {
    const { concurrency } = DEFAULT_SETTINGS;
    const expected: Partial<Record<FunctionName, number>> = {
      receipts: concurrency.receipts,
      [RECOVERY]: concurrency.recovery,
      public: concurrency.public,
      verify: concurrency.verify,
    };
    for (const name of FUNCTION_NAMES) {
      expect(fnProps(built, name).ReservedConcurrentExecutions, name).toBe(expected[name]);
    }
    const b = buildStack({ props: { concurrency: { receipts: 50 } as never } });
    expect(fnProps(b, 'receipts').ReservedConcurrentExecutions).toBe(50);
    expect(fnProps(b, 'verify').ReservedConcurrentExecutions).toBe(concurrency.verify);
  });
});

describe('5. a real domain before the first receipt', () => {
  it('refuses to synth a production stack without a custom domain, or without a region', () => {
    expect(() => buildStack({ props: { stage: 'production', env: EAST } })).toThrow(/production.*domain/);
    expect(() => buildStack({ props: { stage: 'production', domain: DOMAIN } })).toThrow(
      /production.*region/,
    );
  });

  it('synthesizes production with a domain: TLSv1.2_2021 and termination protection', () => {
    const b = buildStack({ props: { stage: 'production', domain: DOMAIN, env: EAST } });
    expect(b.stack.terminationProtection).toBe(true);
    b.template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: DOMAIN.domainNames,
        ViewerCertificate: Match.objectLike({ MinimumProtocolVersion: 'TLSv1.2_2021' }),
      }),
    });
    expect(built.stack.terminationProtection).toBe(false);
  });

  it('names the account-wide CloudFront resources after the stack and region', () => {
    const named = [
      ...Object.values(resources(built.template, 'AWS::CloudFront::ResponseHeadersPolicy')).map(
        (r) => r.Properties.ResponseHeadersPolicyConfig.Name,
      ),
      ...Object.values(resources(built.template, 'AWS::CloudFront::OriginAccessControl')).map(
        (r) => r.Properties.OriginAccessControlConfig.Name,
      ),
      ...Object.values(resources(built.template, 'AWS::CloudFront::CachePolicy')).map(
        (r) => r.Properties.CachePolicyConfig.Name,
      ),
    ];
    // Security headers, the OAC, the API's cache policy and the transparency log's.
    expect(named).toHaveLength(4);
    for (const name of named) {
      expect(name['Fn::Join'][1].slice(0, 3)).toEqual([
        { Ref: 'AWS::StackName' },
        '-',
        { Ref: 'AWS::Region' },
      ]);
    }
  });
});

describe('6. smaller', () => {
  it.each(FUNCTION_NAMES)('%s: JSON log format, X-Ray active, no source maps', (name) => {
    const p = fnProps(built, name);
    expect(p.LoggingConfig.LogFormat).toBe('JSON');
    expect(p.TracingConfig).toEqual({ Mode: 'Active' });
    expect(p.Environment.Variables.NODE_OPTIONS).toBeUndefined();
  });

  it('bundles without source maps', () => {
    expect(ESBUILD_SETTINGS.sourcemap).toBe(false);
  });

  it('versions the log bucket and drops X-XSS-Protection', () => {
    const logBucket = logicalId(built.stack.web.logBucket);
    expect(
      resources(built.template, 'AWS::S3::Bucket')[logBucket]!.Properties.VersioningConfiguration,
    ).toEqual({
      Status: 'Enabled',
    });
    const [policy] = Object.values(resources(built.template, 'AWS::CloudFront::ResponseHeadersPolicy'));
    expect(
      policy!.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.XSSProtection,
    ).toBeUndefined();
  });

  it('caches the catalogue (and the other public reads that say so) for their max-age, keyed by query', () => {
    const [cachePolicyId] = Object.entries(resources(built.template, 'AWS::CloudFront::CachePolicy'))
      .filter(([, p]) => p.Properties.CachePolicyConfig.Name['Fn::Join'][1].at(-1) === '-honour-max-age')
      .map(([id]) => id);
    built.template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({
        DefaultTTL: 0,
        MinTTL: 0,
        MaxTTL: 86400,
        ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({
          QueryStringsConfig: { QueryStringBehavior: 'all' },
          HeadersConfig: { HeaderBehavior: 'none' },
          CookiesConfig: { CookieBehavior: 'none' },
        }),
      }),
    });
    const behaviors = distributionBehaviors(built);
    // Then the transparency log's tiles (test/cdk/transparency-log.test.ts).
    expect(behaviors.map((b: Json) => b.PathPattern)).toEqual([
      ...CACHED_API_PATHS,
      ...API_PATH_PATTERNS,
      '/log/*',
    ]);
    for (const b of behaviors.slice(0, CACHED_API_PATHS.length)) {
      expect(b.CachePolicyId).toEqual({ Ref: cachePolicyId });
    }
    expect(CACHED_API_PATHS).toContain('/v1/catalogue');
  });

  it('refuses to synth when the pages load scripts that were not built', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'feeproof-web-'));
    fs.writeFileSync(path.join(dir, 'verify.html'), '<script type="module" src="assets/verify.js"></script>');
    expect(() => buildStack({ props: { webDir: dir } })).toThrow(/assets\/verify\.js.*build:web/);
    fs.mkdirSync(path.join(dir, 'assets'));
    fs.writeFileSync(path.join(dir, 'assets', 'verify.js'), '');
    expect(() => buildStack({ props: { webDir: dir } })).not.toThrow();
    fs.rmSync(dir, { recursive: true });
  });
});

function distributionBehaviors(b: Built): Json[] {
  return Object.values(resources(b.template, 'AWS::CloudFront::Distribution'))[0]!.Properties
    .DistributionConfig.CacheBehaviors;
}
