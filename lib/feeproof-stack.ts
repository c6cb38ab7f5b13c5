/**
 * FeeproofStack: tables, Cognito, signing key, functions, HTTP API, web distribution,
 * recovery schedule and observability. Routes come from lambdas/runtime/routes.ts and
 * tables from lambdas/runtime/tables.ts; nothing here lists either.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Annotations, CfnOutput, Duration, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import { Api } from './api.js';
import { Auth } from './auth.js';
import { TableBackup } from './backup.js';
import { type FeeproofStackProps, resolveSettings, weakenedDefaults } from './config.js';
import { ExportsBucket } from './exports-bucket.js';
import { FUNCTION_SPECS, Functions, RECOVERY } from './functions.js';
import { keyAdmin } from './key-policy.js';
import { acknowledgeFindings } from './nag.js';
import { Observability } from './observability.js';
import { ReceiptPdfStore } from './receipt-store.js';
import { DepartmentKeys, SigningKey } from './signing-key.js';
import { Tables } from './tables.js';
import { LOG_INTEGRATOR, TransparencyLog } from './transparency-log.js';
import { WebFirewall } from './waf.js';
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
  /** The collecting departments' keys (settings.departmentKeys), absent without them. */
  readonly departmentKeys?: DepartmentKeys;
  readonly api: Api;
  readonly web: Web;
  readonly functions: Functions;
  readonly receiptPdfs: ReceiptPdfStore;
  /** Audit export jobs' files (issue 14). */
  readonly exports: ExportsBucket;
  readonly recoverySchedule: events.Rule;
  readonly observability: Observability;
  readonly firewall?: WebFirewall;
  readonly backup?: TableBackup;
  /** The public transparency log (issue 13): log key, tile bucket at /log/*, scheduled integrator. */
  readonly transparencyLog: TransparencyLog;

  constructor(scope: Construct, id: string, props: FeeproofStackProps = {}) {
    const { webDir, ...rest } = props;
    const settings = resolveSettings(rest);
    super(scope, id, {
      description: 'feeproof: electronic non-tax receipts and fee transparency',
      terminationProtection: settings.stage === 'production',
      ...rest,
    });
    for (const [setting, message] of weakenedDefaults(settings)) {
      Annotations.of(this).addWarningV2(`feeproof:weakened:${setting}`, `Turned off: ${message}`);
    }

    const admin = keyAdmin(this, settings.keyAdminRoleArn);
    this.tables = new Tables(this, 'Data', { keyAdmin: admin });
    this.auth = new Auth(this, 'Auth', {
      signInDomainPrefix: settings.signInDomainPrefix ?? `feeproof-${settings.stage}-${this.account}`,
      mfa: settings.mfa,
      threatProtection: settings.threatProtection,
      sesSender: settings.sesSender,
    });
    this.signingKey = new SigningKey(this, 'Signing', {
      generation: settings.signingKeyGeneration,
      keyAdmin: admin,
    });
    if (settings.departmentKeys)
      this.departmentKeys = new DepartmentKeys(this, 'DepartmentKeys', {
        departments: settings.departmentKeys.departments,
        keySpec: settings.departmentKeys.keySpec ?? 'ECC_NIST_P256',
        generations: settings.departmentKeys.generations ?? {},
        keyAdmin: admin,
        stage: settings.stage,
      });

    // Order: the API (no routes yet) -> the distribution in front of it -> the functions,
    // which need the public URL for QR codes -> the routes to the functions.
    this.api = new Api(this, 'Api', {
      issuer: this.auth.issuer,
      audience: this.auth.client.userPoolClientId,
      throttling: settings.throttling,
      publicThrottling: settings.publicThrottling,
    });
    if (settings.waf && !settings.webAclArn) {
      this.firewall = new WebFirewall(this, 'Firewall', { rateLimit: settings.wafRateLimit });
      if (settings.stage === 'production' && Token.isUnresolved(this.region)) {
        throw new Error(
          "stage 'production' needs an explicit region (CDK_DEFAULT_REGION, or env in code): the WAF is created only in us-east-1, elsewhere pass webAclArn",
        );
      }
      if (!this.firewall.webAcl) {
        const why = `the stack deploys to ${this.region}, and CLOUDFRONT web ACLs live in us-east-1: create one there and pass webAclArn (docs/deployment.md, WAF)`;
        if (settings.stage === 'production') throw new Error(`no WAF: ${why}`);
        Annotations.of(this).addWarningV2('feeproof:noWaf', `No WAF: ${why}`);
      }
    }
    this.web = new Web(this, 'Web', {
      webDir: webDir ?? path.join(PROJECT_ROOT, 'web'),
      apiDomainName: this.api.domainName,
      apiOriginHeaders: this.api.originHeaders,
      domain: settings.domain,
      webAclArn: settings.webAclArn ?? this.firewall?.webAclArn,
      publicUrl: settings.publicUrl,
      consoleSignIn: { authority: this.auth.domain.baseUrl(), clientId: this.auth.client.userPoolClientId },
    });
    const { publicUrl } = this.web;
    this.auth.registerConsole(this.web.consoleUrl);

    this.receiptPdfs = new ReceiptPdfStore(this, 'ReceiptPdfs', {
      keyAdmin: admin,
      logBucket: this.web.logBucket,
      retentionYears: settings.receiptRetentionYears,
    });
    this.exports = new ExportsBucket(this, 'Exports', { logBucket: this.web.logBucket });
    this.functions = new Functions(this, 'Functions', {
      projectRoot: PROJECT_ROOT,
      handlerEntry: defaultHandlerEntry,
      settings,
      publicUrl,
      tables: this.tables,
      signingKey: this.signingKey,
      ...(this.departmentKeys ? { departmentKeys: this.departmentKeys } : {}),
      receiptPdfs: this.receiptPdfs,
      exports: this.exports,
    });
    this.api.addRoutes(this.functions.byGroup);
    this.transparencyLog = new TransparencyLog(this, 'TransparencyLog', {
      origin:
        settings.logOrigin ??
        `${settings.domain?.domainNames[0] ?? `feeproof-${settings.stage}-${this.account}-${this.region}`}/log`,
      witnesses: settings.logWitnesses ?? [],
      keyAdmin: admin,
      tables: this.tables,
      distribution: this.web.distribution,
      originAccess: this.web.originAccess,
      accessLogs: this.web.logBucket,
      projectRoot: PROJECT_ROOT,
      entry: defaultHandlerEntry(LOG_INTEGRATOR),
      // GET /v1/keys publishes the log's vkey; the verification answer reads the tiles.
      readers: [this.functions.byGroup.get('verify')!],
    });

    this.recoverySchedule = new events.Rule(this, 'RecoverySchedule', {
      description: 'feeproof: complete receipts whose number was taken but not signed',
      schedule: events.Schedule.rate(Duration.minutes(5)),
      targets: [
        new targets.LambdaFunction(this.functions.recovery, {
          retryAttempts: 2,
          deadLetterQueue: this.functions.recoveryDeadLetters,
        }),
      ],
    });

    this.observability = new Observability(this, 'Observability', {
      // The log integrator's errors and throttles too (no latency alarm: a busy run works until 20 s
      // before its timeout by design; the observability's LogNotPublishing watches its backlog).
      functions: [...this.functions.all, [LOG_INTEGRATOR, this.transparencyLog.integrator]],
      signingLogGroups: this.functions.all
        .filter(([name]) => name !== RECOVERY && FUNCTION_SPECS[name].signingKey === 'sign')
        .map(([, fn]) => fn.logGroup),
      recoveryLogGroup: this.functions.recovery.logGroup,
      logIntegratorLogGroup: this.transparencyLog.integrator.logGroup,
      tables: this.tables.all.map(({ definition, table }) => [definition.id, table]),
      httpApi: this.api.httpApi,
      latencyP99: Object.fromEntries(
        this.functions.all.map(([name]) => [name, FUNCTION_SPECS[name].latencyP99]),
      ),
      recoveryDeadLetters: this.functions.recoveryDeadLetters,
      alarmEmails: settings.alarmEmails,
      alarmTopicArn: settings.alarmTopicArn,
      keyAdmin: admin,
    });

    if (settings.backup) {
      this.backup = new TableBackup(this, 'Backup', {
        ...settings.backup,
        tables: this.tables.all.map(({ table }) => table),
      });
    }

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
    new CfnOutput(this, 'ReceiptsBucket', { value: this.receiptPdfs.bucket.bucketName });
  }
}
