/**
 * Issue 17 in AWS: one KMS key per collecting department, from the stack's `departmentKeys`
 * prop: key spec, alias, a key policy that lets only the functions completing receipts (issuing
 * and recovery) sign, the code → key ARN map in their environment and nobody else's, rotation
 * by generation like the bureau key's, SM2 only in the China Regions, cdk-nag clean.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lambdas/runtime/config.js';
import { ENV } from '../../lambdas/runtime/env.js';
import { FUNCTION_SPECS, RECOVERY } from '../../lib/functions.js';
import { DepartmentKeys, SIGN_CONDITIONS, SM2_SIGN_CONDITIONS } from '../../lib/signing-key.js';
import {
  allStatements,
  asArray,
  type Built,
  buildStack,
  FUNCTION_NAMES,
  functionOf,
  functionResource,
  type Json,
  logicalId,
  nagFindings,
  refId,
  resources,
} from './support.js';

const SIGNERS = FUNCTION_NAMES.filter((n) => FUNCTION_SPECS[n].signingKey === 'sign');
const keyOf = (b: Built, code: string) => b.stack.departmentKeys!.byDepartment.get(code)!;

/** The role logical ids that the key policy lets call kms:Sign. */
function signersOf(b: Built, keyLogicalId: string): string[] {
  const key = resources(b.template, 'AWS::KMS::Key')[keyLogicalId]!;
  return (key.Properties.KeyPolicy.Statement as Json[])
    .filter((s) => s.Effect === 'Allow' && asArray(s.Action).includes('kms:Sign'))
    .flatMap((s) => asArray(s.Principal?.AWS).map(refId))
    .filter((x): x is string => x !== undefined);
}

describe('department keys (P-256)', () => {
  let built: Built;
  beforeAll(() => {
    built = buildStack({ props: { departmentKeys: { departments: ['ZRZY', 'GAJ'] } } });
  });

  it('sign with the receipts and recovery functions only (they complete receipts)', () => {
    expect(SIGNERS.sort()).toEqual(['receipts', RECOVERY].sort());
  });

  it('makes one ECC_NIST_P256 SIGN_VERIFY key per department, retained, with its alias', () => {
    const keys = resources(built.template, 'AWS::KMS::Key');
    const aliases = Object.values(resources(built.template, 'AWS::KMS::Alias'));
    for (const code of ['ZRZY', 'GAJ']) {
      const id = logicalId(keyOf(built, code).key);
      expect(keys[id]).toMatchObject({
        Properties: { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', Enabled: true },
        DeletionPolicy: 'Retain',
      });
      expect(keys[id]!.Properties.Description).toContain(`department ${code}`);
      expect(aliases.filter((a) => refId(a.Properties.TargetKeyId) === id)).toEqual([
        expect.objectContaining({
          Properties: expect.objectContaining({ AliasName: `alias/feeproof/test/dept/${code}` }),
        }),
      ]);
    }
    // The bureau key and the two department keys (and the transparency log's Ed25519 key).
    const receiptKeys = Object.values(keys).filter(
      (k) => k.Properties.KeyUsage === 'SIGN_VERIFY' && k.Properties.KeySpec !== 'ECC_NIST_EDWARDS25519',
    );
    expect(receiptKeys).toHaveLength(3);
  });

  it('key policy: kms:Sign by the issuing and recovery roles only, as the signer signs (ECDSA_SHA_256, DIGEST)', () => {
    const roles = SIGNERS.map((n) => logicalId(functionOf(built, n).role!)).sort();
    for (const code of ['ZRZY', 'GAJ']) {
      const id = logicalId(keyOf(built, code).key);
      expect(signersOf(built, id).sort()).toEqual(roles);
      const key = resources(built.template, 'AWS::KMS::Key')[id]!;
      for (const s of (key.Properties.KeyPolicy.Statement as Json[]).filter((x) =>
        asArray(x.Action).includes('kms:Sign'),
      ))
        expect(s.Condition).toEqual(SIGN_CONDITIONS);
    }
    // No IAM policy of any other function names a department key.
    const deptKeys = new Set(['ZRZY', 'GAJ'].map((c) => logicalId(keyOf(built, c).key)));
    const otherRoles = FUNCTION_NAMES.filter((n) => !SIGNERS.includes(n)).map((n) =>
      logicalId(functionOf(built, n).role!),
    );
    const policies = resources(built.template, 'AWS::IAM::Policy');
    for (const { resource, statement } of allStatements(built.template)) {
      const policy = policies[resource];
      if (!policy) continue;
      const attached = asArray(policy.Properties.Roles).map(refId);
      if (!attached.some((r) => r && otherRoles.includes(r))) continue;
      expect(
        asArray(statement.Resource)
          .map(refId)
          .filter((r) => r && deptKeys.has(r)),
      ).toEqual([]);
    }
  });

  it('the issuing and recovery functions get the code → key ARN map; no other function does', () => {
    for (const name of FUNCTION_NAMES) {
      const env = functionResource(built, name).Properties.Environment.Variables;
      if (!SIGNERS.includes(name)) {
        expect(env[ENV.departmentKeys]).toBeUndefined();
        continue;
      }
      expect(env[ENV.departmentKeyAlgorithm]).toBeUndefined(); // the runtime's default: P-256
      // Stack.toJsonString: a Fn::Join of the JSON text with the keys' ARNs.
      const joined = JSON.stringify(env[ENV.departmentKeys]);
      for (const code of ['ZRZY', 'GAJ']) {
        expect(joined).toContain(`\\"${code}\\":\\"`);
        expect(joined).toContain(logicalId(keyOf(built, code).key));
      }
    }
  });

  it('the map, once resolved, is what the runtime reads', () => {
    const arn = 'arn:aws:kms:us-east-1:123456789012:key/0b8f1c2e-1234-4abc-9def-1234567890ab';
    const config = loadConfig({
      FEEPROOF_SIGNER: 'kms',
      FEEPROOF_KMS_KEY_ID: arn,
      [ENV.departmentKeys]: JSON.stringify({ ZRZY: arn, GAJ: arn }),
    });
    expect(config.departmentKeys).toEqual({
      kind: 'kms',
      algorithm: 'ECDSA_P256_SHA256',
      keys: { ZRZY: arn, GAJ: arn },
    });
  });

  it('passes cdk-nag AwsSolutions with no unacknowledged finding', () => {
    expect(nagFindings(built)).toEqual([]);
  });
});

describe('department keys: absent, rotation, SM2', () => {
  it('without the prop: no department keys, no map (bureau-only signatures)', () => {
    const built = buildStack();
    expect(built.stack.departmentKeys).toBeUndefined();
    expect(Object.values(resources(built.template, 'AWS::KMS::Alias'))).toEqual([]);
    for (const name of FUNCTION_NAMES)
      expect(
        functionResource(built, name).Properties.Environment.Variables[ENV.departmentKeys],
      ).toBeUndefined();
  });

  it('raising a department generation rotates that key only: the old one disabled, kept, no signer; the alias follows', () => {
    const built = buildStack({
      props: { departmentKeys: { departments: ['ZRZY', 'GAJ'], generations: { ZRZY: 2 } } },
    });
    const zrzy = keyOf(built, 'ZRZY');
    expect(zrzy.retired).toHaveLength(1);
    expect(keyOf(built, 'GAJ').retired).toHaveLength(0);
    const keys = resources(built.template, 'AWS::KMS::Key');
    const old = logicalId(zrzy.retired[0]!);
    expect(keys[old]).toMatchObject({ Properties: { Enabled: false }, DeletionPolicy: 'Retain' });
    expect(signersOf(built, old)).toEqual([]);
    const current = logicalId(zrzy.key);
    expect(signersOf(built, current)).toHaveLength(2);
    const alias = Object.values(resources(built.template, 'AWS::KMS::Alias')).find(
      (a) => a.Properties.AliasName === 'alias/feeproof/test/dept/ZRZY',
    )!;
    expect(refId(alias.Properties.TargetKeyId)).toBe(current);
    const env = JSON.stringify(
      functionResource(built, 'receipts').Properties.Environment.Variables[ENV.departmentKeys],
    );
    expect(env).toContain(current);
    expect(env).not.toContain(old);
  });

  it('SM2 in a China Region: key spec SM2, kms:Sign only as SM2DSA over a digest', () => {
    // The construct alone in a cn-north-1 stack: the whole stack does not pass CloudFormation's
    // validation there yet (Cognito groups, CloudFront origin access control; docs/einvoice.md).
    const stack = new Stack(new App(), 'China', { env: { account: '123456789012', region: 'cn-north-1' } });
    const keys = new DepartmentKeys(stack, 'DepartmentKeys', {
      departments: ['ZRZY'],
      keySpec: 'SM2',
      generations: {},
      keyAdmin: {
        roleArn: 'arn:aws-cn:iam::123456789012:role/admin',
        deployRoleArn: 'arn:aws-cn:iam::123456789012:role/deploy',
      },
      stage: 'production',
    });
    const role = new iam.Role(stack, 'Issuing', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    keys.grantSign(role, 'receipts');
    const template = Template.fromStack(stack);
    const [key] = Object.values(resources(template, 'AWS::KMS::Key'));
    expect(key!.Properties).toMatchObject({ KeySpec: 'SM2', KeyUsage: 'SIGN_VERIFY' });
    const signing = (key!.Properties.KeyPolicy.Statement as Json[]).filter((s) =>
      asArray(s.Action).includes('kms:Sign'),
    );
    expect(signing).toHaveLength(1);
    expect(signing[0].Condition).toEqual(SM2_SIGN_CONDITIONS);
    expect(refId(signing[0].Principal.AWS)).toBe(logicalId(role));
    expect(Object.values(resources(template, 'AWS::KMS::Alias'))[0]!.Properties.AliasName).toBe(
      'alias/feeproof/production/dept/ZRZY',
    );
    expect(JSON.stringify(stack.resolve(keys.environment(stack)))).toContain('ZRZY');
  });

  it('refuses SM2 outside the China Regions, and bad props, at synth', () => {
    expect(() =>
      buildStack({
        props: {
          env: { account: '123456789012', region: 'eu-west-1' },
          departmentKeys: { departments: ['ZRZY'], keySpec: 'SM2' },
        },
      }),
    ).toThrow(/China Regions only/);
    const bad = (departmentKeys: Json) => () => buildStack({ props: { departmentKeys } });
    expect(bad({ departments: [] })).toThrow(/at least one/);
    expect(bad({ departments: ['zrzy'] })).toThrow(/bad department code/);
    expect(bad({ departments: ['ZRZY', 'ZRZY'] })).toThrow(/twice/);
    expect(bad({ departments: ['ZRZY'], keySpec: 'RSA_2048' })).toThrow(/ECC_NIST_P256 or SM2/);
    expect(bad({ departments: ['ZRZY'], generations: { GAJ: 2 } })).toThrow(/not in departments/);
    expect(bad({ departments: ['ZRZY'], generations: { ZRZY: 0 } })).toThrow(/positive integer/);
  });
});
