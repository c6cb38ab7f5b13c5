/**
 * The synthesized FeeproofStack (bundled once, with the real handlers where they exist):
 * routes from ROUTES, tables from TABLES, keys and least privilege, web, observability, nag.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN_VERIFY_HEADER } from '../../lambdas/runtime/env.js';
import { isPublic, ROUTE_GROUPS, ROUTES, routeKey } from '../../lambdas/runtime/routes.js';
import { PARTITION_KEY, SORT_KEY, TABLES } from '../../lambdas/runtime/tables.js';
import { DEFAULT_SETTINGS, ENV } from '../../lib/config.js';
import { defaultHandlerEntry } from '../../lib/feeproof-stack.js';
import {
  ALERT_KEY_PATTERN,
  EVENT_KEY_PATTERN,
  EXPORT_KEY_PATTERN,
  FONT_FILE,
  FUNCTION_SPECS,
  type FunctionName,
  LAMBDA_FONT_PATH,
  RECOVERY,
} from '../../lib/functions.js';
import { API_PATH_PATTERNS, CACHED_API_PATHS } from '../../lib/web.js';
import {
  allStatements,
  asArray,
  type Built,
  buildStack,
  FUNCTION_NAMES,
  functionOf,
  type Json,
  logicalId,
  nagFindings,
  policyRoles,
  refId,
  resources,
} from './support.js';

let built: Built;

beforeAll(() => {
  built = buildStack({ bundle: true });
}, 120_000);

const fn = (name: FunctionName) => functionOf(built, name);
const fnId = (name: FunctionName) => logicalId(fn(name));
const roleId = (name: FunctionName) => logicalId(fn(name).role!);
const fnProps = (name: FunctionName) =>
  resources(built.template, 'AWS::Lambda::Function')[fnId(name)]!.Properties;

describe('handlers', () => {
  it('has a handler file for every route group and the recovery job', () => {
    const missing = FUNCTION_NAMES.filter((n) => !fs.existsSync(defaultHandlerEntry(n)));
    expect(missing, `missing lambdas/handlers/<name>.ts: ${missing.join(', ')}`).toEqual([]);
  });
});

describe('routes', () => {
  it('has exactly one API route per entry of ROUTES', () => {
    const routes = Object.values(resources(built.template, 'AWS::ApiGatewayV2::Route'));
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual(ROUTES.map(routeKey).sort());
  });

  it.each(ROUTES.map((r) => [routeKey(r), r] as const))('%s has the right authorization', (key, route) => {
    const [r] = Object.values(resources(built.template, 'AWS::ApiGatewayV2::Route')).filter(
      (x) => x.Properties.RouteKey === key,
    );
    expect(r!.Properties.AuthorizationType).toBe(isPublic(route) ? 'NONE' : 'JWT');
    if (!isPublic(route)) expect(refId(r!.Properties.AuthorizerId)).toBeDefined();
  });

  it('makes exactly the public routes unauthenticated', () => {
    const none = Object.values(resources(built.template, 'AWS::ApiGatewayV2::Route'))
      .filter((r) => r.Properties.AuthorizationType === 'NONE')
      .map((r) => r.Properties.RouteKey)
      .sort();
    expect(none).toEqual(ROUTES.filter(isPublic).map(routeKey).sort());
  });

  it('sends each route to its group function', () => {
    const integrations = resources(built.template, 'AWS::ApiGatewayV2::Integration');
    for (const route of ROUTES) {
      const [r] = Object.values(resources(built.template, 'AWS::ApiGatewayV2::Route')).filter(
        (x) => x.Properties.RouteKey === routeKey(route),
      );
      const target: string = r!.Properties.Target['Fn::Join'][1][1].Ref;
      const integration = integrations[target]!.Properties;
      expect(integration.IntegrationType).toBe('AWS_PROXY');
      expect(integration.PayloadFormatVersion).toBe('2.0');
      expect(refId(integration.IntegrationUri)).toBe(fnId(route.group));
    }
  });

  it('checks Cognito JWTs: issuer of the pool, audience the app client', () => {
    const pool = logicalId(built.stack.auth.userPool);
    const client = logicalId(built.stack.auth.client);
    built.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [{ Ref: client }],
        Issuer: {
          'Fn::Join': [
            '',
            [
              'https://cognito-idp.',
              { Ref: 'AWS::Region' },
              '.',
              { Ref: 'AWS::URLSuffix' },
              '/',
              { Ref: pool },
            ],
          ],
        },
      },
    });
  });

  it('throttles the default stage and logs access', () => {
    built.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: DEFAULT_SETTINGS.throttling.rateLimit,
        ThrottlingBurstLimit: DEFAULT_SETTINGS.throttling.burstLimit,
      },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
  });
});

describe('functions', () => {
  it('has one function per route group plus the recovery job, the log integrator (and the web deployment handler)', () => {
    const deployer = built.stack.web.deployment ? 1 : 0;
    const all = Object.keys(resources(built.template, 'AWS::Lambda::Function'));
    expect(all).toEqual(
      expect.arrayContaining([
        ...FUNCTION_NAMES.map(fnId),
        logicalId(built.stack.transparencyLog.integrator),
      ]),
    );
    expect(all).toHaveLength(FUNCTION_NAMES.length + 1 + deployer);
  });

  it.each(FUNCTION_NAMES)(
    '%s: node 22 on arm64, ESM bundle with a require banner and no source map',
    (name) => {
      const p = fnProps(name);
      expect(p.Runtime).toBe('nodejs22.x');
      expect(p.Architectures).toEqual(['arm64']);
      expect(p.Handler).toBe('index.handler');
      expect(p.LoggingConfig.LogGroup).toBeDefined();
      const env = p.Environment.Variables;
      for (const t of TABLES) expect(refId(env[t.envVar])).toBe(logicalId(built.stack.tables.table(t.id)));
      expect(env).toMatchObject({
        [ENV.signer]: 'kms',
        [ENV.regionCode]: DEFAULT_SETTINGS.regionCode,
        [ENV.bureauName]: DEFAULT_SETTINGS.bureauName,
        [ENV.rangeSize]: String(DEFAULT_SETTINGS.rangeSize),
      });
      expect(env.NODE_OPTIONS).toBeUndefined();
      // Not overridden: the runtime's defaults apply.
      expect(env[ENV.alerts]).toBeUndefined();
      expect(env[ENV.officeHours]).toBeUndefined();
      expect(refId(env[ENV.kmsKeyId])).toBe(logicalId(built.stack.signingKey.key));
      expect(env[ENV.publicUrl]).toBeDefined();

      const dir = path.join(
        built.app.outdir,
        resources(built.template, 'AWS::Lambda::Function')[fnId(name)]!.Metadata['aws:asset:path'],
      );
      const code = fs.readFileSync(path.join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith("import { createRequire as __feeproofCreateRequire } from 'node:module'")).toBe(
        true,
      );
      expect(fs.readdirSync(dir).filter((f) => f.endsWith('.map'))).toEqual([]);
      expect(code).not.toContain('sourceMappingURL');
    },
  );

  it.each(FUNCTION_NAMES)('%s: gets the CJK font only where it is used', (name) => {
    const renders = FUNCTION_SPECS[name].rendersPdf;
    // ranges renders no PDF, but refuses a department name the receipt font cannot print.
    expect(['receipts', RECOVERY, 'ranges'].includes(name)).toBe(renders);
    const p = fnProps(name);
    expect(p.Environment.Variables[ENV.fontPath]).toBe(renders ? LAMBDA_FONT_PATH : undefined);
    const dir = path.join(
      built.app.outdir,
      resources(built.template, 'AWS::Lambda::Function')[fnId(name)]!.Metadata['aws:asset:path'],
    );
    expect(fs.existsSync(path.join(dir, 'fonts', FONT_FILE))).toBe(renders);
  });

  it('runs the recovery job every 5 minutes', () => {
    built.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId(RECOVERY), 'Arn'] } })],
    });
  });
});

describe('tables', () => {
  it('has exactly the tables of TABLES', () => {
    expect(Object.keys(resources(built.template, 'AWS::DynamoDB::Table')).sort()).toEqual(
      TABLES.map((t) => logicalId(built.stack.tables.table(t.id))).sort(),
    );
  });

  it.each(TABLES.map((t) => [t.id, t] as const))(
    '%s: keys, indexes, PITR, protection, CMK, on-demand, retained',
    (_, def) => {
      const r = resources(built.template, 'AWS::DynamoDB::Table')[
        logicalId(built.stack.tables.table(def.id))
      ]!;
      const p = r.Properties;
      expect(p.KeySchema).toEqual([
        { AttributeName: PARTITION_KEY, KeyType: 'HASH' },
        { AttributeName: SORT_KEY, KeyType: 'RANGE' },
      ]);
      expect(
        asArray(p.GlobalSecondaryIndexes)
          .map((g: { IndexName: string }) => g.IndexName)
          .sort(),
      ).toEqual(def.indexes.map((i) => i.name).sort());
      for (const index of def.indexes) {
        expect(p.GlobalSecondaryIndexes).toContainEqual({
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: index.projection ?? 'ALL' },
        });
      }
      // The receipts' indexes copy keys only (listings read the rows by key): a receipt row is
      // stored whole once, and completing or reversing it writes no index entry.
      const projections = asArray(p.GlobalSecondaryIndexes).map(
        (g: { Projection: { ProjectionType: string } }) => g.Projection.ProjectionType,
      );
      expect(new Set(projections)).toEqual(new Set([def.id === 'receipts' ? 'KEYS_ONLY' : 'ALL']));
      expect(p.AttributeDefinitions.every((a: { AttributeType: string }) => a.AttributeType === 'S')).toBe(
        true,
      );
      expect(p.BillingMode).toBe('PAY_PER_REQUEST');
      expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(p.DeletionProtectionEnabled).toBe(true);
      expect(p.SSESpecification.SSEEnabled).toBe(true);
      expect(p.SSESpecification.SSEType).toBe('KMS');
      expect(refId(p.SSESpecification.KMSMasterKeyId)).toBe(logicalId(built.stack.tables.key));
      expect(r.DeletionPolicy).toBe('Retain');
      expect(r.UpdateReplacePolicy).toBe('Retain');
    },
  );

  it('encrypts with a rotated customer-managed key that is retained', () => {
    const key = resources(built.template, 'AWS::KMS::Key')[logicalId(built.stack.tables.key)]!;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
  });
});

describe('least privilege', () => {
  it('has no wildcard service actions (dynamodb:*, kms:*, *) in any policy', () => {
    const offending = allStatements(built.template).filter(({ statement }) =>
      asArray<string>(statement.Action).some((a) => a === '*' || a === 'dynamodb:*' || a === 'kms:*'),
    );
    expect(offending).toEqual([]);
  });

  it('never allows deleting items, but the log queue items the log integrator sequences', () => {
    const deletes = allStatements(built.template).filter(({ statement }) =>
      asArray<string>(statement.Action).some(
        (a) => a.startsWith('dynamodb:Delete') || a === 'dynamodb:BatchWriteItem',
      ),
    );
    // A batch's cleanup deletes its queue items once the batch committed (test/cdk/transparency-log.test.ts).
    expect(deletes.map((d) => d.statement)).toEqual([
      expect.objectContaining({
        Action: 'dynamodb:BatchWriteItem',
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['LOGQ'] } },
      }),
    ]);
    const policy = resources(built.template, 'AWS::IAM::Policy')[deletes[0]!.resource]!;
    expect(policyRoles(policy)).toEqual([logicalId(built.stack.transparencyLog.integrator.role!)]);
  });

  it('uses the signing key: ECC_NIST_P256 for SIGN_VERIFY, retained', () => {
    const key = resources(built.template, 'AWS::KMS::Key')[logicalId(built.stack.signingKey.key)]!;
    expect(key.Properties.KeySpec).toBe('ECC_NIST_P256');
    expect(key.Properties.KeyUsage).toBe('SIGN_VERIFY');
    expect(key.DeletionPolicy).toBe('Retain');
  });

  const signers = FUNCTION_NAMES.filter((n) => FUNCTION_SPECS[n].signingKey === 'sign');

  it('lets only the receipts and recovery roles sign (IAM policies)', () => {
    expect(signers.sort()).toEqual(['receipts', RECOVERY].sort());
    const policies = resources(built.template, 'AWS::IAM::Policy');
    const signingKey = logicalId(built.stack.signingKey.key);
    // (The transparency log key has its own signer: test/cdk/transparency-log.test.ts.)
    const roles = Object.values(policies)
      .filter((p) =>
        asArray(p.Properties.PolicyDocument.Statement).some(
          (s: { Action: unknown; Resource: unknown }) =>
            asArray(s.Action).includes('kms:Sign') &&
            asArray(s.Resource).some((r) => refId(r) === signingKey),
        ),
      )
      .flatMap(policyRoles)
      .sort();
    expect(roles).toEqual(signers.map(roleId).sort());
  });

  it('lets only the receipts and recovery roles sign (key policy: not delegated to the account)', () => {
    const key = resources(built.template, 'AWS::KMS::Key')[logicalId(built.stack.signingKey.key)]!;
    const signing = asArray(key.Properties.KeyPolicy.Statement).filter((s: { Action: unknown }) =>
      asArray(s.Action).some((a) => a === 'kms:Sign' || a === 'kms:*' || a === '*'),
    );
    expect(signing.map((s: { Principal: { AWS: unknown } }) => refId(s.Principal.AWS)).sort()).toEqual(
      signers.map(roleId).sort(),
    );
  });

  it.each(FUNCTION_NAMES)('%s: signing key access is exactly its spec', (name) => {
    const signingKey = logicalId(built.stack.signingKey.key);
    const statements = allStatements(built.template).filter(
      ({ resource, statement }) =>
        resources(built.template, 'AWS::IAM::Policy')[resource] &&
        policyRoles(resources(built.template, 'AWS::IAM::Policy')[resource]!).includes(roleId(name)) &&
        // (verify's GetPublicKey may share its statement with the transparency log key's.)
        asArray(statement.Resource).some((r) => refId(r) === signingKey),
    );
    const actions = statements.flatMap(({ statement }) => asArray<string>(statement.Action)).sort();
    const expected = { sign: ['kms:GetPublicKey', 'kms:Sign'], 'public-key': ['kms:GetPublicKey'], none: [] }[
      FUNCTION_SPECS[name].signingKey
    ];
    expect(actions).toEqual(expected);
  });

  const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:PartiQLUpdate'];
  it.each(FUNCTION_NAMES)('%s: writes only the tables its spec names', (name) => {
    const written = new Set<string>();
    for (const { resource, statement } of allStatements(built.template)) {
      const policy = resources(built.template, 'AWS::IAM::Policy')[resource];
      if (!policy || !policyRoles(policy).includes(roleId(name)) || statement.Effect !== 'Allow') continue;
      // PartiQL UPDATE writes too (no function has it today; one that did would write).
      if (!asArray<string>(statement.Action).some((a) => WRITE_ACTIONS.includes(a))) continue;
      for (const r of asArray(statement.Resource)) written.add(refId(r)!);
    }
    const expected = Object.entries(FUNCTION_SPECS[name].tables)
      .filter(([, access]) => access !== 'read')
      .map(([t]) => logicalId(built.stack.tables.table(t as (typeof TABLES)[number]['id'])));
    expect([...written].sort()).toEqual(expected.sort());
  });
});

describe('event rows only', () => {
  const appenders = FUNCTION_NAMES.flatMap((n) =>
    Object.entries(FUNCTION_SPECS[n].tables)
      .filter(([, access]) => access === 'read+events')
      .map(([table]) => [n, table] as [FunctionName, (typeof TABLES)[number]['id']]),
  );

  it('has functions that append events (the cases below are not empty)', () => {
    expect(appenders.length).toBeGreaterThan(0);
  });

  it.each(appenders)(
    '%s may put only EVENT# rows into %s, update only ALERT# rows, and never update events',
    (name, table) => {
      const tableId = logicalId(built.stack.tables.table(table));
      const statements = allStatements(built.template).filter(
        ({ resource, statement }) =>
          resources(built.template, 'AWS::IAM::Policy')[resource] &&
          policyRoles(resources(built.template, 'AWS::IAM::Policy')[resource]!).includes(roleId(name)) &&
          statement.Effect === 'Allow' &&
          asArray(statement.Resource).some((r) => refId(r) === tableId) &&
          asArray<string>(statement.Action).some(
            (a) => a === 'dynamodb:PutItem' || a === 'dynamodb:UpdateItem',
          ),
      );
      expect(statements.map((s) => s.statement)).toEqual([
        expect.objectContaining({
          Action: 'dynamodb:PutItem',
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [EVENT_KEY_PATTERN] } },
        }),
        expect.objectContaining({
          Action: 'dynamodb:UpdateItem',
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [ALERT_KEY_PATTERN] } },
        }),
        // The function that runs audit export jobs writes their rows too (test/cdk/exports.test.ts).
        ...(FUNCTION_SPECS[name].exportJobs
          ? [
              expect.objectContaining({
                Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
                Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [EXPORT_KEY_PATTERN] } },
              }),
            ]
          : []),
      ]);
    },
  );
});

describe('cognito', () => {
  it('has the groups finance, collector and auditor', () => {
    const groups = Object.values(resources(built.template, 'AWS::Cognito::UserPoolGroup')).map(
      (g) => g.Properties.GroupName,
    );
    expect(groups.sort()).toEqual(['auditor', 'collector', 'finance']);
  });

  it('has custom:department that the app client cannot write', () => {
    built.template.hasResourceProperties('AWS::Cognito::UserPool', {
      Schema: Match.arrayWith([
        Match.objectLike({ Name: 'department', AttributeDataType: 'String', Mutable: true }),
      ]),
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      Policies: {
        PasswordPolicy: Match.objectLike({
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        }),
      },
    });
    const [client] = Object.values(resources(built.template, 'AWS::Cognito::UserPoolClient'));
    expect(client!.Properties.ReadAttributes).toContain('custom:department');
    expect(client!.Properties.WriteAttributes).not.toContain('custom:department');
    expect(client!.Properties.GenerateSecret).toBe(false);
    expect(client!.Properties.ExplicitAuthFlows).toEqual(['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
  });
});

describe('console sign-in: Cognito managed login, authorization code with PKCE', () => {
  const distributionUrl = (suffix: string) => ({
    'Fn::Join': [
      '',
      ['https://', { 'Fn::GetAtt': [logicalId(built.stack.web.distribution), 'DomainName'] }, suffix],
    ],
  });

  it('has a managed login domain on the user pool, named after the stage and account', () => {
    const domains = Object.values(resources(built.template, 'AWS::Cognito::UserPoolDomain'));
    expect(domains).toHaveLength(1);
    expect(refId(domains[0]!.Properties.UserPoolId)).toBe(logicalId(built.stack.auth.userPool));
    expect(domains[0]!.Properties.Domain).toEqual({
      'Fn::Join': ['', ['feeproof-test-', { Ref: 'AWS::AccountId' }]],
    });
  });

  it('has a public app client with the code flow only, its callback and sign-out URLs the console on CloudFront', () => {
    const [client] = Object.values(resources(built.template, 'AWS::Cognito::UserPoolClient'));
    const p = client!.Properties;
    expect(p.GenerateSecret).toBe(false); // public: PKCE, not a secret, proves the caller
    expect(p.AllowedOAuthFlows).toEqual(['code']); // no implicit flow
    expect(p.AllowedOAuthFlowsUserPoolClient).toBe(true);
    expect(p.AllowedOAuthScopes).toEqual(expect.arrayContaining(['openid']));
    expect(p.SupportedIdentityProviders).toEqual(['COGNITO']);
    expect(p.EnableTokenRevocation).toBe(true);
    expect(p.CallbackURLs).toEqual([distributionUrl('/console')]);
    expect(p.LogoutURLs).toEqual([distributionUrl('/console'), distributionUrl('/console?signed-out=1')]);
  });

  it('deploys the console configuration with the sign-in domain, the client and the console URL', () => {
    const [deployment] = Object.values(resources(built.template, 'Custom::CDKBucketDeployment'));
    const markers = JSON.stringify(deployment!.Properties.SourceMarkers);
    for (const construct of [
      built.stack.auth.domain,
      built.stack.auth.client,
      built.stack.web.distribution,
    ]) {
      expect(markers).toContain(logicalId(construct));
    }
  });

  it('lets the pages call the sign-in domain (CSP connect-src) and nothing else new', () => {
    const [policy] = Object.values(resources(built.template, 'AWS::CloudFront::ResponseHeadersPolicy'));
    const csp = JSON.stringify(
      policy!.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy,
    );
    expect(csp).toMatch(/connect-src 'self' https:\/\/",\{"Ref":"[^"]*SignIn[^"]*"\},"\.auth\./);
    expect(csp).toContain('.amazoncognito.com; object-src');
    expect(csp).toContain("default-src 'self'");
  });

  it('serves /console as console.html (a CloudFront Function on the pages)', () => {
    const [fnResource] = Object.values(resources(built.template, 'AWS::CloudFront::Function'));
    const handler = new Function(`${fnResource!.Properties.FunctionCode}; return handler;`)();
    expect(handler({ request: { uri: '/console' } }).uri).toBe('/console.html');
    expect(handler({ request: { uri: '/verify.html' } }).uri).toBe('/verify.html');
    const [dist] = Object.values(resources(built.template, 'AWS::CloudFront::Distribution'));
    const [association] = dist!.Properties.DistributionConfig.DefaultCacheBehavior.FunctionAssociations;
    expect(association.EventType).toBe('viewer-request');
  });

  it('deploys no local sign-in: no route of the API is an OAuth, login or logout endpoint', () => {
    const routeKeys = Object.values(resources(built.template, 'AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties.RouteKey as string,
    );
    expect(routeKeys.length).toBe(ROUTES.length);
    expect(routeKeys.filter((k) => /oauth2|login|logout|sign-?in/i.test(k))).toEqual([]);
  });
});

describe('web', () => {
  it('serves the bucket through CloudFront with Origin Access Control, HTTPS only', () => {
    const oac = Object.keys(resources(built.template, 'AWS::CloudFront::OriginAccessControl'));
    expect(oac).toHaveLength(1);
    const [dist] = Object.values(resources(built.template, 'AWS::CloudFront::Distribution'));
    const config = dist!.Properties.DistributionConfig;
    const s3Origin = config.Origins.find((o: { S3OriginConfig?: unknown }) => o.S3OriginConfig);
    expect(refId(s3Origin.OriginAccessControlId)).toBe(oac[0]);
    expect(config.DefaultCacheBehavior.TargetOriginId).toBe(s3Origin.Id);
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.DefaultCacheBehavior.ResponseHeadersPolicyId).toBeDefined();
    expect(config.DefaultRootObject).toBe('index.html');
    expect(config.Logging.Bucket).toBeDefined();
  });

  it('sends /v1/* and /health to the API, uncached, with every method and viewer header but Host', () => {
    const [dist] = Object.values(resources(built.template, 'AWS::CloudFront::Distribution'));
    const config = dist!.Properties.DistributionConfig;
    const apiOrigin = config.Origins.find((o: { CustomOriginConfig?: unknown }) => o.CustomOriginConfig);
    expect(apiOrigin.CustomOriginConfig).toMatchObject({
      OriginProtocolPolicy: 'https-only',
      OriginSSLProtocols: ['TLSv1.2'],
    });
    expect(JSON.stringify(apiOrigin.DomainName)).toContain(logicalId(built.stack.api.httpApi));
    // (Then /log/*, the transparency log's tiles from S3: test/cdk/transparency-log.test.ts.)
    const behaviors = config.CacheBehaviors.filter(
      (b: { PathPattern: string }) => b.PathPattern !== '/log/*',
    );
    // The public reads that set their own max-age first (test/cdk/hardening.test.ts), then the rest.
    expect(behaviors.map((b: { PathPattern: string }) => b.PathPattern)).toEqual([
      ...CACHED_API_PATHS,
      ...API_PATH_PATTERNS,
    ]);
    for (const b of behaviors) {
      expect(b.TargetOriginId).toBe(apiOrigin.Id);
      expect(b.AllowedMethods).toHaveLength(7);
      if (!CACHED_API_PATHS.includes(b.PathPattern)) {
        expect(b.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad'); // Managed-CachingDisabled
      }
      expect(b.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac'); // AllViewerExceptHostHeader
      expect(b.ViewerProtocolPolicy).toBe('https-only');
    }
  });

  it('sends security headers', () => {
    built.template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: {
        SecurityHeadersConfig: {
          ContentSecurityPolicy: Match.objectLike({
            ContentSecurityPolicy: Match.anyValue(), // its value: the console sign-in tests below
          }),
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ReferrerPolicy: Match.objectLike({ Override: true }),
          StrictTransportSecurity: Match.objectLike({
            AccessControlMaxAgeSec: 63072000,
            IncludeSubdomains: true,
          }),
        },
      },
    });
  });

  it('keeps the buckets private, encrypted and TLS-only', () => {
    const buckets = Object.entries(resources(built.template, 'AWS::S3::Bucket'));
    expect(buckets.length).toBeGreaterThan(0);
    for (const [bucketId, bucket] of buckets) {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.BucketEncryption).toBeDefined();
      built.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucketId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('deploys web/ when it has files', () => {
    const hasWeb = built.stack.web.deployment !== undefined;
    expect(Object.keys(built.template.findResources('Custom::CDKBucketDeployment')).length).toBe(
      hasWeb ? 1 : 0,
    );
  });
});

describe('the execute-api endpoint is fenced: only CloudFront gets through', () => {
  /** The secret a `{{resolve:secretsmanager:<secret>:SecretString:::}}` reference names, if the value is one. */
  const referencedSecret = (value: unknown): string | undefined => {
    const [sep, parts] = (value as { 'Fn::Join'?: [string, unknown[]] })?.['Fn::Join'] ?? [];
    if (sep !== '' || parts?.length !== 3) return undefined;
    const [open, ref, close] = parts;
    return open === '{{resolve:secretsmanager:' && close === ':SecretString:::}}' ? refId(ref) : undefined;
  };
  const secretId = () => logicalId(built.stack.api.originSecret);

  it('keeps the origin secret in Secrets Manager, generated there, never in the template', () => {
    const secrets = resources(built.template, 'AWS::SecretsManager::Secret');
    expect(Object.keys(secrets)).toContain(secretId()); // (the other: the complaints' address key)
    const props = secrets[secretId()]!.Properties;
    expect(props.SecretString).toBeUndefined();
    expect(props.GenerateSecretString).toMatchObject({ PasswordLength: 64, ExcludePunctuation: true });
  });

  it('has CloudFront send the secret header to the API origin, and nowhere else', () => {
    const [dist] = Object.values(resources(built.template, 'AWS::CloudFront::Distribution'));
    const origins = dist!.Properties.DistributionConfig.Origins as Json[];
    const apiOrigin = origins.find((o) => o.CustomOriginConfig);
    expect(apiOrigin.OriginCustomHeaders).toHaveLength(1);
    const [header] = apiOrigin.OriginCustomHeaders;
    expect(header.HeaderName).toBe(ORIGIN_VERIFY_HEADER);
    expect(referencedSecret(header.HeaderValue)).toBe(secretId());
    for (const o of origins.filter((x) => x !== apiOrigin)) expect(o.OriginCustomHeaders).toBeUndefined();
  });

  it('gives every function behind a route the same secret to check, and the recovery job none', () => {
    const secrets = ROUTE_GROUPS.map((g) => [
      g,
      referencedSecret(fnProps(g).Environment.Variables[ENV.originVerify]),
    ]);
    expect(secrets.length).toBeGreaterThan(0);
    expect(secrets).toEqual(ROUTE_GROUPS.map((g) => [g, secretId()]));
    expect(fnProps(RECOVERY).Environment.Variables[ENV.originVerify]).toBeUndefined();
  });
});

describe('observability', () => {
  it.each(FUNCTION_NAMES)('%s: alarms on errors and throttles', (name) => {
    for (const metric of ['Errors', 'Throttles']) {
      built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        Namespace: 'AWS/Lambda',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId(name) } }],
      });
    }
  });

  it('alarms on DynamoDB system errors of every table, and API 5xx', () => {
    const alarms = Object.values(resources(built.template, 'AWS::CloudWatch::Alarm'));
    for (const t of TABLES) {
      const tableId = logicalId(built.stack.tables.table(t.id));
      expect(
        alarms.some(
          (a) =>
            JSON.stringify(a.Properties.Metrics ?? []).includes('SystemErrors') &&
            JSON.stringify(a.Properties.Metrics).includes(tableId),
        ),
      ).toBe(true);
    }
    expect(
      alarms.some((a) => a.Properties.MetricName === '5xx' && a.Properties.Namespace === 'AWS/ApiGateway'),
    ).toBe(true);
  });

  it('alarms on signing failures (KMS) and on receipts the recovery job could not complete', () => {
    const filters = Object.values(resources(built.template, 'AWS::Logs::MetricFilter'));
    const signing = filters.filter(
      (f) => f.Properties.MetricTransformations[0].MetricName === 'SigningFailures',
    );
    const signers = FUNCTION_NAMES.filter((n) => n !== RECOVERY && FUNCTION_SPECS[n].signingKey === 'sign');
    expect(signers).toEqual(['receipts']);
    expect(signing.map((f) => refId(f.Properties.LogGroupName)).sort()).toEqual(
      signers.map((n) => logicalId(fn(n).logGroup)).sort(),
    );
    for (const f of signing) expect(f.Properties.FilterPattern).toBe('{ $.error.name = "SignerError" }');
    const [recovery] = filters.filter(
      (f) => f.Properties.MetricTransformations[0].MetricName === 'RecoveryFailures',
    );
    expect(refId(recovery!.Properties.LogGroupName)).toBe(logicalId(fn(RECOVERY).logGroup));
    expect(recovery!.Properties.FilterPattern).toBe(
      '{ ($.message = "recovery finished") && ($.failed > 0) }',
    );
    expect(recovery!.Properties.MetricTransformations[0].MetricValue).toBe('$.failed');
    for (const metric of ['SigningFailures', 'RecoveryFailures']) {
      built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        Namespace: 'Feeproof',
        Statistic: 'Sum',
        Threshold: 1,
      });
    }
  });

  it('has a dashboard with the business metrics', () => {
    const [dashboard] = Object.values(resources(built.template, 'AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard!.Properties.DashboardBody);
    for (const m of ['ReceiptsIssued', 'ChargesRefused', 'Verifications']) expect(body).toContain(m);
  });
});

describe('outputs and nag', () => {
  it('outputs the API URL, distribution URL, user pool, client and signing key', () => {
    const outputs = Object.keys(built.template.toJSON().Outputs);
    expect(outputs).toEqual(
      expect.arrayContaining(['ApiUrl', 'DistributionUrl', 'UserPoolId', 'UserPoolClientId', 'SigningKeyId']),
    );
  });

  it('passes cdk-nag AwsSolutions with no unacknowledged finding', () => {
    // cdk-nag 3 reports through CDK policy validation, not annotations: run the pack directly.
    expect(nagFindings(built)).toEqual([]);
    // (v2 style; stays empty in v3 since nag no longer annotates, kept as a guard.)
    expect(
      Annotations.fromStack(built.stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ).toEqual([]);
  });
});
