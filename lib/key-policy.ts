/**
 * Explicit KMS key policies. CDK's default key policy grants the account root `kms:*`,
 * which lets any IAM policy in the account use the key for anything; these keys instead
 * give the account only the administrative actions (AWS requires the account to keep them,
 * so that no key becomes unmanageable), and each key adds the usage it allows.
 *
 * Two of those actions can quietly undo everything else: kms:PutKeyPolicy (rewrite who may
 * sign) and kms:ScheduleKeyDeletion (destroy the signing identity or the tables' key). They
 * are denied to every principal but the key-admin role; CloudFormation's execution role may
 * also put the policy, since every deploy that changes a key policy does exactly that.
 */
import { type DefaultStackSynthesizer, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/** Who administers the stack's keys. */
export interface KeyAdmin {
  /** The key-admin role: the only principal that may schedule deletion or put a key policy. */
  roleArn: string;
  /** CloudFormation's execution role (the CDK bootstrap's), which puts key policies on deploy. */
  deployRoleArn: string;
}

/**
 * The key-admin role: `roleArn` when given, else a role of the stack that principals of the
 * account may assume with MFA only.
 */
export function keyAdmin(scope: Construct, roleArn: string | undefined): KeyAdmin {
  const stack = Stack.of(scope);
  const qualifier = (stack.synthesizer as DefaultStackSynthesizer).bootstrapQualifier ?? 'hnb659fds';
  const deployRoleArn = `arn:${stack.partition}:iam::${stack.account}:role/cdk-${qualifier}-cfn-exec-role-${stack.account}-${stack.region}`;
  if (roleArn) return { roleArn, deployRoleArn };
  const role = new iam.Role(scope, 'KeyAdminRole', {
    description: 'feeproof: administers the KMS keys (key policies, deletion); assumed with MFA only',
    assumedBy: new iam.AccountRootPrincipal().withConditions({
      Bool: { 'aws:MultiFactorAuthPresent': 'true' },
    }),
  });
  // Kept with the retained keys: their policies let only this role schedule their deletion.
  role.applyRemovalPolicy(RemovalPolicy.RETAIN);
  return { roleArn: role.roleArn, deployRoleArn };
}

/** Managing a key, but never using it to encrypt, decrypt or sign. */
export const KEY_ADMIN_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:GetPublicKey',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:RetireGrant',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
];

/** The actions only the key-admin role may take (CloudFormation may also put the policy). */
export const GUARDED_KEY_ACTIONS = ['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion'] as const;

/**
 * A key policy that lets the account (through IAM) and the key-admin role administer the key,
 * and denies everyone else the guarded actions.
 */
export function adminOnlyKeyPolicy(admin: KeyAdmin): iam.PolicyDocument {
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        sid: 'AccountAdministersTheKey',
        principals: [new iam.AccountRootPrincipal()],
        actions: KEY_ADMIN_ACTIONS,
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'KeyAdminAdministersTheKey',
        principals: [new iam.ArnPrincipal(admin.roleArn)],
        actions: KEY_ADMIN_ACTIONS,
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'OnlyKeyAdminOrDeployPutsThePolicy',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:PutKeyPolicy'],
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': [admin.roleArn, admin.deployRoleArn] } },
      }),
      new iam.PolicyStatement({
        sid: 'OnlyKeyAdminSchedulesDeletion',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:ScheduleKeyDeletion'],
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': admin.roleArn } },
      }),
    ],
  });
}

/**
 * Lets principals of the account use the key through DynamoDB only (the statement of the
 * AWS managed `aws/dynamodb` key); IAM policies then decide which roles may.
 */
export function dynamoDbUseStatement(stack: Stack): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'AccountUsesTheKeyThroughDynamoDB',
    principals: [new iam.AccountRootPrincipal()],
    actions: [
      'kms:Encrypt',
      'kms:Decrypt',
      'kms:ReEncryptFrom',
      'kms:ReEncryptTo',
      'kms:GenerateDataKey',
      'kms:GenerateDataKeyWithoutPlaintext',
      'kms:DescribeKey',
      'kms:CreateGrant',
    ],
    resources: ['*'],
    conditions: {
      StringEquals: {
        'kms:ViaService': `dynamodb.${stack.region}.${stack.urlSuffix}`,
        'kms:CallerAccount': stack.account,
      },
    },
  });
}
