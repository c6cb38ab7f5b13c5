/**
 * Stack props: every setting reaches the template. Synthesized without bundling (placeholder
 * assets), so each variant takes about a second.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lambdas/runtime/config.js';
import { ROUTE_GROUPS } from '../../lambdas/runtime/routes.js';
import { ALERT_THRESHOLD_KEYS, ENV, type FeeproofStackProps } from '../../lib/config.js';
import {
  type Built,
  buildStack,
  FUNCTION_NAMES,
  functionId,
  functionResource,
  logicalId,
  nagFindings,
  refId,
  resources,
} from './support.js';

const CUSTOM: FeeproofStackProps = {
  regionCode: '44',
  bureauName: '广州市财政局',
  rangeSize: 500,
  mfa: 'REQUIRED',
  throttling: { rateLimit: 7, burstLimit: 9 },
  officeHours: { start: '09:00', end: '17:00', days: [1, 2, 3, 4, 5, 6] },
  alerts: { repeatedRefusalsPerHour: 5, stuckMinutes: 30 },
  domain: {
    domainNames: ['piaoju.example.cn', 'www.piaoju.example.cn'],
    certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000',
  },
  webAclArn:
    'arn:aws:wafv2:us-east-1:123456789012:global/webacl/feeproof/11111111-1111-1111-1111-111111111111',
  alarmTopicArn: 'arn:aws:sns:cn-north-1:123456789012:feeproof-alarms',
};

describe('custom settings', () => {
  let built: Built;
  let emptyWeb: string;
  beforeAll(() => {
    emptyWeb = fs.mkdtempSync(path.join(os.tmpdir(), 'feeproof-web-'));
    built = buildStack({ props: { ...CUSTOM, webDir: emptyWeb } });
  });

  it('passes the settings to every function', () => {
    // Every function of the route groups and the recovery job; not the transparency log's
    // integrator, which needs none of these (lib/transparency-log.ts).
    const integrator = logicalId(built.stack.transparencyLog.integrator);
    const functions = Object.entries(resources(built.template, 'AWS::Lambda::Function'))
      .filter(([id]) => id !== integrator)
      .map(([, f]) => f);
    expect(functions).toHaveLength(ROUTE_GROUPS.length + 1);
    for (const f of functions) {
      expect(f.Properties.Environment.Variables).toMatchObject({
        [ENV.regionCode]: '44',
        [ENV.bureauName]: '广州市财政局',
        [ENV.rangeSize]: '500',
        [ENV.publicUrl]: 'https://piaoju.example.cn',
        [ENV.alerts]: JSON.stringify(CUSTOM.alerts),
        [ENV.officeHours]: JSON.stringify(CUSTOM.officeHours),
      });
    }
  });

  it('sets an environment the runtime accepts, with the overrides in force', () => {
    const [f] = Object.values(resources(built.template, 'AWS::Lambda::Function')).filter(
      (x) => x.Properties.Environment?.Variables?.[ENV.signer],
    );
    const env = Object.fromEntries(
      Object.entries(f!.Properties.Environment.Variables).filter(([, v]) => typeof v === 'string'),
    ) as Record<string, string>;
    const config = loadConfig({ ...env, [ENV.kmsKeyId]: 'key' });
    expect(config.alerts).toMatchObject(CUSTOM.alerts!);
    expect(config.officeHours).toEqual(CUSTOM.officeHours);
    expect(config.regionCode).toBe('44');
    expect(config.rangeSize).toBe(500);
  });

  it('requires MFA', () => {
    built.template.hasResourceProperties('AWS::Cognito::UserPool', { MfaConfiguration: 'ON' });
  });

  it('throttles the stage as configured', () => {
    built.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 7, ThrottlingBurstLimit: 9 },
    });
  });

  it('serves the custom domain with its certificate, TLS 1.2+, and the web ACL', () => {
    built.template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: CUSTOM.domain!.domainNames,
        ViewerCertificate: {
          AcmCertificateArn: CUSTOM.domain!.certificateArn,
          MinimumProtocolVersion: 'TLSv1.2_2021',
          SslSupportMethod: 'sni-only',
        },
        WebACLId: CUSTOM.webAclArn,
      }),
    });
  });

  it("notifies the stack's alarm topic and the given one", () => {
    const alarms = Object.values(resources(built.template, 'AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(0);
    const topic = logicalId(built.stack.observability.topic);
    for (const a of alarms) expect(a.Properties.AlarmActions).toEqual([{ Ref: topic }, CUSTOM.alarmTopicArn]);
  });

  it('deploys nothing from an empty web directory, and says so', () => {
    expect(built.template.findResources('Custom::CDKBucketDeployment')).toEqual({});
    const warnings = Annotations.fromStack(built.stack).findWarning(
      '*',
      Match.stringLikeRegexp('nothing is deployed'),
    );
    expect(warnings).toHaveLength(1);
  });

  it('passes cdk-nag without the acknowledgements the defaults need (MFA, TLS, WAF)', () => {
    expect(nagFindings(built)).toEqual([]);
  });
});

describe('signing key rotation (signingKeyGeneration: 2)', () => {
  let rotated: Built;
  let original: Built;
  beforeAll(() => {
    original = buildStack();
    rotated = buildStack({ props: { signingKeyGeneration: 2 } });
  });

  it('keeps the first key where it was: same logical id, retained, now disabled and without signers', () => {
    const [old] = rotated.stack.signingKey.retired;
    expect(rotated.stack.signingKey.retired).toHaveLength(1);
    expect(logicalId(old!)).toBe(logicalId(original.stack.signingKey.key));
    const key = resources(rotated.template, 'AWS::KMS::Key')[logicalId(old!)]!;
    expect(key.Properties).toMatchObject({
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
      Enabled: false,
    });
    expect(key.DeletionPolicy).toBe('Retain');
    const actions = key.Properties.KeyPolicy.Statement.flatMap((st: { Action: string | string[] }) =>
      [st.Action].flat(),
    );
    expect(actions).not.toContain('kms:Sign');
  });

  it('signs with the new key only', () => {
    const current = logicalId(rotated.stack.signingKey.key);
    const old = logicalId(rotated.stack.signingKey.retired[0]!);
    expect(current).not.toBe(old);
    const key = resources(rotated.template, 'AWS::KMS::Key')[current]!;
    expect(key.Properties).toMatchObject({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    expect(key.Properties.Enabled).not.toBe(false);
    expect(key.DeletionPolicy).toBe('Retain');
    // Exactly the stack's functions carry the key's id (not, say, the web deployment handler).
    const fns = resources(rotated.template, 'AWS::Lambda::Function');
    const carrying = Object.keys(fns).filter(
      (id) => fns[id]!.Properties.Environment?.Variables?.[ENV.kmsKeyId],
    );
    expect(carrying.sort()).toEqual(FUNCTION_NAMES.map((name) => functionId(rotated, name)).sort());
    for (const id of carrying)
      expect(fns[id]!.Properties.Environment.Variables[ENV.kmsKeyId]).toEqual({ Ref: current });
    // (Not the transparency log key's own signer: test/cdk/transparency-log.test.ts.)
    const logKey = logicalId(rotated.stack.transparencyLog.key);
    const signing = Object.values(resources(rotated.template, 'AWS::IAM::Policy')).flatMap((p) =>
      p.Properties.PolicyDocument.Statement.filter(
        (st: { Action: string | string[]; Resource: unknown }) =>
          [st.Action].flat().includes('kms:Sign') && refId(st.Resource) !== logKey,
      ),
    );
    expect(signing.length).toBeGreaterThan(0);
    for (const st of signing) expect(st.Resource).toEqual({ 'Fn::GetAtt': [current, 'Arn'] });
    expect(rotated.template.toJSON().Outputs.SigningKeyId.Value).toEqual({ Ref: current });
  });

  it('passes cdk-nag', () => {
    expect(nagFindings(rotated)).toEqual([]);
  });
});

describe('settings checks', () => {
  it('uses an explicit publicUrl', () => {
    const custom = buildStack({ props: { publicUrl: 'https://verify.example.cn' } });
    for (const name of FUNCTION_NAMES)
      expect(functionResource(custom, name).Properties.Environment.Variables[ENV.publicUrl], name).toBe(
        'https://verify.example.cn',
      );
  });

  it('refuses a region code that is not two digits', () => {
    expect(() => buildStack({ props: { regionCode: '110' } })).toThrow(/regionCode/);
  });

  it('refuses a sign-in domain prefix that Cognito would refuse', () => {
    for (const signInDomainPrefix of ['Feeproof', 'my-cognito-login', '-x', 'a'.repeat(64)]) {
      expect(() => buildStack({ props: { signInDomainPrefix } }), signInDomainPrefix).toThrow(
        /signInDomainPrefix/,
      );
    }
  });

  it("registers the console under the public URL as the app client's callback", () => {
    const { template } = buildStack({
      props: { publicUrl: 'https://fees.example.cn', signInDomainPrefix: 'fees-bj' },
    });
    const [client] = Object.values(resources(template, 'AWS::Cognito::UserPoolClient'));
    expect(client!.Properties.CallbackURLs).toEqual(['https://fees.example.cn/console']);
    const [domain] = Object.values(resources(template, 'AWS::Cognito::UserPoolDomain'));
    expect(domain!.Properties.Domain).toBe('fees-bj');
  });

  it('refuses a signing key generation below 1', () => {
    expect(() => buildStack({ props: { signingKeyGeneration: 0 } })).toThrow(/signingKeyGeneration/);
  });

  it('refuses a range size that is not a positive integer', () => {
    expect(() => buildStack({ props: { rangeSize: 0 } })).toThrow(/rangeSize/);
  });

  it('knows exactly the alert thresholds of the runtime', () => {
    expect(Object.keys(loadConfig({}).alerts).sort()).toEqual([...ALERT_THRESHOLD_KEYS].sort());
  });

  it('refuses alert thresholds and office hours the runtime would refuse', () => {
    const bad = [
      { alerts: { largeAmount: 1 } as never },
      { alerts: { stuckMinutes: -1 } },
      { officeHours: { start: '9:00', end: '17:00', days: [1] } },
      { officeHours: { start: '17:00', end: '09:00', days: [1] } },
      { officeHours: { start: '09:00', end: '17:00', days: [0] } },
      { officeHours: { start: '09:00', end: '17:00', days: [1], timeZone: 'Asia/Shanghai' } as never },
    ];
    for (const props of bad)
      expect(() => buildStack({ props }), JSON.stringify(props)).toThrow(/alerts|officeHours/);
  });
});
