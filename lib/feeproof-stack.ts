/**
 * FeeproofStack: tables, Cognito, signing key, functions, HTTP API, web distribution,
 * recovery schedule and observability. Routes come from lambdas/runtime/routes.ts and
 * tables from lambdas/runtime/tables.ts; nothing here lists either.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import { Api } from './api.js';
import { Auth } from './auth.js';
import { type FeeproofStackProps, resolveSettings } from './config.js';
import { FUNCTION_SPECS, Functions, RECOVERY } from './functions.js';
import { acknowledgeFindings } from './nag.js';
import { Observability } from './observability.js';
import { SigningKey } from './signing-key.js';
import { Tables } from './tables.js';
import { Web } from './web.js';

/** The repository root (this file is `<root>/lib/feeproof-stack.ts`). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function defaultHandlerEntry(name: string): string {
  return path.join(PROJECT_ROOT, 'lambdas', 'handlers', `${name}.ts`);
}

export class FeeproofStack extends Stack {
  readonly tables: Tables;
  readonly auth: Auth;
  readonly signingKey: SigningKey;
  readonly api: Api;
  readonly web: Web;
  readonly functions: Functions;
  readonly recoverySchedule: events.Rule;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: FeeproofStackProps = {}) {
    const { handlerEntry, webDir, ...rest } = props;
    super(scope, id, { description: 'feeproof: electronic non-tax receipts and fee transparency', ...rest });
    const settings = resolveSettings(rest);

    this.tables = new Tables(this, 'Data');
    this.auth = new Auth(this, 'Auth', { mfa: settings.mfa });
    this.signingKey = new SigningKey(this, 'Signing', { generation: settings.signingKeyGeneration });

    // Order: the API (no routes yet) -> the distribution in front of it -> the functions,
    // which need the public URL for QR codes -> the routes to the functions.
    this.api = new Api(this, 'Api', {
      issuer: this.auth.issuer,
      audience: this.auth.client.userPoolClientId,
      throttling: settings.throttling,
    });
    this.web = new Web(this, 'Web', {
      webDir: webDir ?? path.join(PROJECT_ROOT, 'web'),
      apiDomainName: this.api.domainName,
      apiOriginHeaders: this.api.originHeaders,
      domain: settings.domain,
      webAclArn: settings.webAclArn,
    });
    const publicUrl =
      settings.publicUrl ?? (settings.domain ? `https://${settings.domain.domainNames[0]}` : this.web.url);

    this.functions = new Functions(this, 'Functions', {
      projectRoot: PROJECT_ROOT,
      handlerEntry: handlerEntry ?? defaultHandlerEntry,
      settings,
      publicUrl,
      tables: this.tables,
      signingKey: this.signingKey,
    });
    this.api.addRoutes(this.functions.byGroup);

    this.recoverySchedule = new events.Rule(this, 'RecoverySchedule', {
      description: 'feeproof: complete receipts whose number was taken but not signed',
      schedule: events.Schedule.rate(Duration.minutes(5)),
      targets: [new targets.LambdaFunction(this.functions.recovery, { retryAttempts: 2 })],
    });

    this.observability = new Observability(this, 'Observability', {
      functions: this.functions.all,
      signingLogGroups: this.functions.all
        .filter(([name]) => name !== RECOVERY && FUNCTION_SPECS[name].signingKey === 'sign')
        .map(([, fn]) => fn.logGroup),
      recoveryLogGroup: this.functions.recovery.logGroup,
      tables: this.tables.all.map(({ definition, table }) => [definition.id, table]),
      httpApi: this.api.httpApi,
      alarmTopicArn: settings.alarmTopicArn,
    });

    acknowledgeFindings(this);

    new CfnOutput(this, 'ApiUrl', { value: this.api.httpApi.apiEndpoint, description: 'HTTP API endpoint' });
    new CfnOutput(this, 'DistributionUrl', {
      value: this.web.url,
      description: 'CloudFront URL (pages and API)',
    });
    new CfnOutput(this, 'PublicUrl', {
      value: publicUrl,
      description: 'Base URL printed in receipt QR codes',
    });
    new CfnOutput(this, 'UserPoolId', { value: this.auth.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.auth.client.userPoolClientId });
    new CfnOutput(this, 'SigningKeyId', { value: this.signingKey.key.keyId });
  }
}
