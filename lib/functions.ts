/**
 * One NodejsFunction per route group of ROUTES (entry `lambdas/handlers/<group>.ts`) plus the
 * scheduled recovery job (`lambdas/handlers/recovery.ts`), each with only the table and key
 * permissions its spec below names.
 */
import * as path from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  LOG_ENTRY_PK_PREFIX,
  LOG_HEAD_KEY,
  LOG_INDEX_PK_PREFIX,
  LOG_QUEUE_PK,
  LOG_RANGE_PK_PREFIX,
  LOG_TREE_PK,
  RANGE_LISTING_PARTITION,
  RECEIPT_PK_PREFIX,
} from '../lambdas/adapters/dynamo/keys.js';
import { ROUTE_GROUPS, type RouteGroup } from '../lambdas/runtime/routes.js';
import type { TableId } from '../lambdas/runtime/tables.js';
import { LAMBDA_FONT_PATH, nodejsBundling } from './bundling.js';
import { ENV, type FeeproofSettings } from './config.js';
import type { ExportsBucket } from './exports-bucket.js';
import { pascal } from './names.js';
import { METRICS_NAMESPACE, METRICS_SERVICE } from './observability.js';
import type { ReceiptPdfStore } from './receipt-store.js';
import type { DepartmentKeys, SigningKey } from './signing-key.js';
import type { Tables } from './tables.js';

/**
 * `read`: get/query; `get+checks`: GetItem only, plus UpdateItem of the public check rows only (partition
 * keys `CHECK#…`: the counters that anonymous callers cause to be written); `read+events`: read plus
 * PutItem of event rows only (partition keys `EVENT#…`, the ledger's change history) and
 * UpdateItem of alert rows only (`ALERT#…`: an auditor acknowledges or resolves an alert);
 * `write`: read, put and update.
 */
export type TableAccess = 'read' | 'get+checks' | 'read+events' | 'write';

/** Partition keys of the ledger's event rows (lambdas/adapters/dynamo/events.ts, eventPut). */
export const EVENT_KEY_PATTERN = 'EVENT#*';
/** The table that holds the event rows: append-only for every role (see grantTable). */
export const EVENTS_TABLE: TableId = 'ledger';
/**
 * Rows the log integrator alone writes (lib/transparency-log.ts, which grants them): the log's
 * sequenced entries, their counter and the tree head in the ledger, the receipts' log index
 * blocks in the receipts table. Every other role that writes those tables is denied them, so
 * that no API function can rewrite what the log has sequenced (see grantTable).
 */
export const INTEGRATOR_ONLY_KEYS: Partial<Record<TableId, string[]>> = {
  ledger: [`${LOG_ENTRY_PK_PREFIX}*`, LOG_HEAD_KEY.pk, LOG_TREE_PK],
  receipts: [`${LOG_INDEX_PK_PREFIX}*`],
};
/** Partition keys of the alert rows (keys.ts alertKey), whose state auditors move. */
export const ALERT_KEY_PATTERN = 'ALERT#*';
/** Partition keys of the audit export job rows (keys.ts exportJobKey). */
export const EXPORT_KEY_PATTERN = 'EXPORT#*';
/** Partition keys of the public check rows (lambdas/adapters/dynamo/keys.ts, checksKey). */
export const CHECK_KEY_PATTERN = 'CHECK#*';
/** Partition keys of the running totals (keys.ts totalsKey): all the statistics function reads. */
export const TOTALS_KEY_PATTERN = 'STATS#*';
/**
 * What the complaints function touches in the ledger: complaints, their contacts and counters
 * and listings (COMPLAINT…), their events, and the payer_complaint alerts with their months row.
 */
export const COMPLAINT_KEY_PATTERNS = ['COMPLAINT*', EVENT_KEY_PATTERN, ALERT_KEY_PATTERN, 'MONTHS#*'];
/**
 * What the ranges function touches in the ledger (lambdas/adapters/dynamo/keys.ts): the ranges,
 * their list and completion watermarks (RANGE#…, RANGES), a department's open-range slots and
 * printed name (DEPT#…), the receipt codes' allocators (CODE#…), the allocation's log entry,
 * queued, and its flag on the range's log watermark (LOGQ, LOGRANGE#…), the events of each
 * change, and the alerts a closed or unavailable range raises with their months row.
 */
export const RANGES_KEY_PATTERNS = [
  'RANGE#*',
  RANGE_LISTING_PARTITION,
  'DEPT#*',
  'CODE#*',
  LOG_QUEUE_PK,
  `${LOG_RANGE_PK_PREFIX}*`,
  EVENT_KEY_PATTERN,
  ALERT_KEY_PATTERN,
  'MONTHS#*',
];

export interface FunctionSpec {
  description: string;
  tables: Partial<Record<TableId, TableAccess>>;
  /** `sign`: kms:Sign + GetPublicKey; `public-key`: GetPublicKey; `none`. */
  signingKey: 'sign' | 'public-key' | 'none';
  /**
   * Renders receipt PDFs, or checks text against their fonts (ranges: a department's printed
   * name): gets the CJK font bundled and FEEPROOF_FONT_PATH.
   */
  rendersPdf: boolean;
  memorySize: number;
  timeout: Duration;
  /** p99 duration above which the latency alarm fires. */
  latencyP99: Duration;
  /**
   * Partition keys (LeadingKeys patterns) this function may read and write in a table, where it
   * needs only some rows; absent: the whole table, as its access says.
   */
  keys?: Partial<Record<TableId, string[]>>;
  /** The receipts bucket (lib/receipt-store.ts): `write` stores and reads PDFs, `read` reads them; absent: none. */
  receiptPdfs?: 'read' | 'write';
  /** Runs audit export jobs (lib/exports-bucket.ts): writes the exports bucket, invokes itself. */
  exportJobs?: true;
}

export const RECOVERY = 'recovery';
export type FunctionName = RouteGroup | typeof RECOVERY;

/** API functions answer within the HTTP API's 30 s integration limit. */
const API_TIMEOUT = Duration.seconds(29);

/**
 * Keyed by RouteGroup: a new group in routes.ts does not compile until it has a spec here.
 * `verify` and `audit` (DESIGN.md) are specified ahead of their groups.
 */
export const FUNCTION_SPECS: Record<FunctionName, FunctionSpec> & Record<string, FunctionSpec> = {
  public: {
    description: 'Public reads: health, catalogue, OpenAPI',
    tables: { catalogue: 'read' },
    signingKey: 'public-key',
    rendersPdf: false,
    memorySize: 512,
    timeout: Duration.seconds(10),
    latencyP99: Duration.seconds(1),
  },
  verify: {
    description: 'Public verification (by code/number/check code, or by PDF), PDF download, signing keys',
    // Anonymous callers reach it: it reads single items and updates only check counters.
    tables: { receipts: 'get+checks', ledger: 'read' },
    receiptPdfs: 'read',
    signingKey: 'public-key',
    rendersPdf: false,
    memorySize: 1024,
    timeout: API_TIMEOUT,
    latencyP99: Duration.seconds(5),
  },
  'catalogue-admin': {
    description: 'Finance: create, revise, suspend, abolish and import fee items',
    tables: { catalogue: 'write', ledger: 'write' },
    signingKey: 'none',
    rendersPdf: false,
    memorySize: 1024,
    timeout: API_TIMEOUT,
    latencyP99: Duration.seconds(10),
  },
  ranges: {
    description:
      'Finance: allocate, list and close receipt number ranges; rename departments as receipts print them',
    // receipts: a range's unfinished numbers are its pending receipts; catalogue: numbers go only
    // to a department of the catalogue. The font: a department's name must be printable.
    tables: { ledger: 'write', receipts: 'read', catalogue: 'read' },
    keys: { ledger: RANGES_KEY_PATTERNS, receipts: [`${RECEIPT_PK_PREFIX}*`] },
    signingKey: 'none',
    rendersPdf: true,
    memorySize: 512,
    timeout: API_TIMEOUT,
    latencyP99: Duration.seconds(3),
  },
  receipts: {
    description: 'Collectors: charge, issue signed receipts, reverse',
    tables: { catalogue: 'read', receipts: 'write', ledger: 'write' },
    receiptPdfs: 'write',
    signingKey: 'sign',
    rendersPdf: true,
    memorySize: 1769,
    timeout: API_TIMEOUT,
    latencyP99: Duration.seconds(5),
  },
  audit: {
    description: 'Auditors: query, total and export charges; alerts; history',
    // Every audit read is itself recorded as an event.
    tables: { catalogue: 'read', receipts: 'read', ledger: 'read+events' },
    signingKey: 'none',
    rendersPdf: false,
    memorySize: 1024,
    // Export jobs run in asynchronous invocations of this function, for minutes; API Gateway
    // still ends an HTTP request at its 30 s integration limit.
    timeout: Duration.minutes(10),
    exportJobs: true,
    latencyP99: Duration.seconds(10),
  },
  stats: {
    description: 'Public open data: fee statistics from the running totals',
    // Only the running totals' rows (keys.ts totalsKey): never a receipt, nor anything else.
    tables: { ledger: 'read' },
    keys: { ledger: [TOTALS_KEY_PATTERN] },
    signingKey: 'none',
    rendersPdf: false,
    memorySize: 512,
    timeout: Duration.seconds(10),
    latencyP99: Duration.seconds(2),
  },
  complaints: {
    description: 'Payer complaints: the public form and lookup; auditors read, reply, resolve',
    // receipts: a complaint's receipt is checked by its public check row (CHECK#…, read only); ledger:
    // the complaints, their counters, events and alerts; catalogue (public anyway): a department
    // named without a receipt must be one of its departments.
    tables: { receipts: 'read', ledger: 'write', catalogue: 'read' },
    keys: { ledger: COMPLAINT_KEY_PATTERNS, receipts: [CHECK_KEY_PATTERN] },
    signingKey: 'none',
    rendersPdf: false,
    memorySize: 512,
    timeout: API_TIMEOUT,
    latencyP99: Duration.seconds(3),
  },
  [RECOVERY]: {
    description: 'Scheduled: completes receipts whose number was taken but not signed',
    tables: { catalogue: 'read', receipts: 'write', ledger: 'write' },
    receiptPdfs: 'write',
    signingKey: 'sign',
    rendersPdf: true,
    memorySize: 1769,
    timeout: Duration.minutes(4),
    latencyP99: Duration.minutes(3),
  },
};

export { FONT_FILE, LAMBDA_FONT_PATH } from './bundling.js';

/** Which functions get reserved concurrency (the setting of the same name). */
const RESERVED: Partial<Record<FunctionName, keyof FeeproofSettings['concurrency']>> = {
  receipts: 'receipts',
  [RECOVERY]: 'recovery',
  public: 'public',
  verify: 'verify',
};

export interface FunctionsProps {
  projectRoot: string;
  handlerEntry: (name: string) => string;
  settings: FeeproofSettings;
  publicUrl: string;
  tables: Tables;
  signingKey: SigningKey;
  /** The collecting departments' keys, when the deployment has them (settings.departmentKeys). */
  departmentKeys?: DepartmentKeys;
  receiptPdfs: ReceiptPdfStore;
  exports: ExportsBucket;
}

export class Functions extends Construct {
  /** One per group of ROUTES. */
  readonly byGroup: ReadonlyMap<RouteGroup, nodejs.NodejsFunction>;
  readonly recovery: nodejs.NodejsFunction;
  /** Failed asynchronous (scheduled) recovery invocations, after Lambda's retries. */
  readonly recoveryDeadLetters: sqs.Queue;
  /** The HMAC key that hides complainants' addresses in the per-address counters (issue 15). */
  readonly complaintAddressKey: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    this.recoveryDeadLetters = new sqs.Queue(this, 'RecoveryDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.recoveryDeadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the recovery job; it has an alarm.',
    });
    // Resolved into the complaints function's environment at deploy, as the origin secret is
    // (lib/api.ts): no Secrets Manager call at a cold start, no grant; the template holds only
    // a {{resolve:secretsmanager:...}} reference.
    this.complaintAddressKey = new secretsmanager.Secret(this, 'ComplaintAddressKey', {
      description: 'feeproof: HMAC key of the complaint form per-address counters',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(this.complaintAddressKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        "Resolved into the complaints function at deploy time only; it keys counters that live a few days, so it is replaced by replacing the secret and deploying (which restarts that day's counts).",
    });
    const byGroup = new Map<RouteGroup, nodejs.NodejsFunction>();
    for (const group of ROUTE_GROUPS) byGroup.set(group, this.make(group, props));
    this.byGroup = byGroup;
    this.recovery = this.make(RECOVERY, props);
  }

  /** Every function with its name: the route groups, then the recovery job. */
  get all(): [FunctionName, nodejs.NodejsFunction][] {
    return [...this.byGroup.entries(), [RECOVERY, this.recovery]];
  }

  private make(name: FunctionName, props: FunctionsProps): nodejs.NodejsFunction {
    const spec = FUNCTION_SPECS[name];
    const { settings } = props;
    const id = pascal(name);
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Own role: exactly this log group, instead of the AWSLambdaBasicExecutionRole managed policy.
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `feeproof ${name} function`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );

    const environment: Record<string, string> = {
      [ENV.signer]: 'kms',
      [ENV.kmsKeyId]: props.signingKey.key.keyId,
      [ENV.regionCode]: settings.regionCode,
      [ENV.bureauName]: settings.bureauName,
      [ENV.publicUrl]: props.publicUrl,
      [ENV.rangeSize]: String(settings.rangeSize),
      // The API is reached through CloudFront, which appends the viewer's address.
      [ENV.trustForwardedFor]: 'true',
      // Powertools' Logger and Metrics (lambdas/adapters): the namespace and service the dashboard graphs.
      POWERTOOLS_SERVICE_NAME: METRICS_SERVICE,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    };
    // Only what the deployment overrides: the runtime holds the defaults.
    if (settings.officeHours) environment[ENV.officeHours] = JSON.stringify(settings.officeHours);
    if (settings.alerts) environment[ENV.alerts] = JSON.stringify(settings.alerts);
    for (const { definition, table } of props.tables.all) environment[definition.envVar] = table.tableName;
    if (spec.rendersPdf) environment[ENV.fontPath] = LAMBDA_FONT_PATH;
    // The department keys, to the functions that complete receipts (issuing and recovery) alone.
    if (spec.signingKey === 'sign' && props.departmentKeys) {
      environment[ENV.departmentKeys] = props.departmentKeys.environment(this);
      if (settings.departmentKeys?.keySpec === 'SM2') environment[ENV.departmentKeyAlgorithm] = 'SM2_SM3';
    }
    if (spec.receiptPdfs) environment[ENV.receiptsBucket] = props.receiptPdfs.bucket.bucketName;
    if (spec.exportJobs) environment[ENV.exportsBucket] = props.exports.bucket.bucketName;
    // Issue 15's settings, to the functions that read them: the statistics' small-cell rule, the
    // complaint form (limits, phone, address key) and the scheduled contact retention.
    if (name === 'stats') environment[ENV.statsMinReceipts] = String(settings.statsMinReceipts);
    if (name === 'complaints' || name === RECOVERY)
      environment[ENV.complaintLimits] = JSON.stringify(settings.complaintLimits);
    if (name === 'complaints') {
      if (settings.supervisionPhone) environment[ENV.supervisionPhone] = settings.supervisionPhone;
      environment[ENV.complaintAddressKey] = this.complaintAddressKey.secretValue.unsafeUnwrap();
    }

    const fn = new nodejs.NodejsFunction(this, id, {
      entry: props.handlerEntry(name),
      handler: 'handler',
      description: `feeproof ${name}: ${spec.description}`,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: spec.memorySize,
      timeout: spec.timeout,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: RESERVED[name] ? settings.concurrency[RESERVED[name]] : undefined,
      ...(name === RECOVERY
        ? { retryAttempts: 2, onFailure: new destinations.SqsDestination(this.recoveryDeadLetters) }
        : {}),
      role,
      environment,
      projectRoot: props.projectRoot,
      depsLockFilePath: path.join(props.projectRoot, 'package-lock.json'),
      bundling: nodejsBundling(spec.rendersPdf),
    });

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource but *, as CDK grants them.',
    });
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is pinned on purpose: the bundles target node22 and are tested on it; a runtime upgrade is a deliberate change, not an implicit one.',
    });

    for (const [tableId, access] of Object.entries(spec.tables) as [TableId, TableAccess][]) {
      grantTable(role, props.tables, tableId, access, spec.keys?.[tableId]);
    }
    if (spec.signingKey === 'sign') props.signingKey.grantSign(role, name);
    if (spec.signingKey === 'sign') props.departmentKeys?.grantSign(role, name);
    if (spec.signingKey === 'public-key') props.signingKey.grantPublicKey(fn);
    if (spec.receiptPdfs === 'write') props.receiptPdfs.grantWrite(role);
    if (spec.receiptPdfs === 'read') props.receiptPdfs.grantRead(role);
    if (spec.exportJobs) {
      props.exports.grantJobs(fn);
      // Export job rows (keys.ts exportJobKey): created and moved by this function alone.
      grantExportJobs(role, props.tables);
    }
    return fn;
  }
}

/**
 * Item-level DynamoDB actions, listed instead of CDK's grantReadData/grantReadWriteData:
 * no Scan, no batch writes and no DeleteItem (receipts and the ledger are never deleted).
 * Transactions are authorized per item by these same actions.
 */
export const TABLE_READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
];
export const TABLE_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem'];
/** The table key, used through DynamoDB (the key policy allows nothing else). */
export const KEY_READ_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'];
export const KEY_WRITE_ACTIONS = [
  'kms:Encrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
];

/**
 * The public verify function's access to the receipts table (issue 16): GetItem of any row (a
 * check row, a receipt, its PDF), no query, and UpdateItem of the check partitions alone (the counts).
 */
function grantChecks(role: iam.IRole, tables: Tables, id: TableId): void {
  const { table } = tables.byId.get(id)!;
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [table.tableArn] }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      // The counts' `ADD` per block of receipts (check-count-blocks.ts: CHECK#COUNTS#… rows).
      actions: ['dynamodb:UpdateItem'],
      resources: [table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [CHECK_KEY_PATTERN] } },
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: [...KEY_READ_ACTIONS, ...KEY_WRITE_ACTIONS],
      resources: [tables.key.keyArn],
    }),
  );
}

function grantTable(
  role: iam.IRole,
  tables: Tables,
  id: TableId,
  access: TableAccess,
  keys?: string[],
): void {
  if (access === 'get+checks') {
    grantChecks(role, tables, id);
    return;
  }
  const { definition, table } = tables.byId.get(id)!;
  const indexArns = definition.indexes.map((index) => `${table.tableArn}/index/${index.name}`);
  const onlyKeys = keys ? { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': keys } } : undefined;
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: TABLE_READ_ACTIONS,
      resources: [table.tableArn, ...indexArns],
      conditions: onlyKeys,
    }),
  );
  const writes = {
    read: [],
    'get+checks': [], // grantChecks
    'read+events': ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
    write: TABLE_WRITE_ACTIONS,
  }[access];
  if (access === 'read+events') {
    for (const [action, pattern] of [
      ['dynamodb:PutItem', EVENT_KEY_PATTERN],
      ['dynamodb:UpdateItem', ALERT_KEY_PATTERN],
    ] as const) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [action],
          resources: [table.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [pattern] } },
        }),
      );
    }
  } else if (writes.length > 0) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: writes, resources: [table.tableArn], conditions: onlyKeys }),
    );
  }
  // The change history is append-only: no role updates an event row (IAM cannot see a
  // PutItem's condition, so a put over an existing event is refused by eventPut's
  // attribute_not_exists alone).
  if (writes.length > 0 && id === EVENTS_TABLE) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        actions: ['dynamodb:UpdateItem'],
        resources: [table.tableArn],
        conditions: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': [EVENT_KEY_PATTERN] } },
      }),
    );
  }
  const integratorOnly = INTEGRATOR_ONLY_KEYS[id];
  if (writes.length > 0 && integratorOnly) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        actions: TABLE_WRITE_ACTIONS,
        resources: [table.tableArn],
        conditions: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': integratorOnly } },
      }),
    );
  }
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: writes.length > 0 ? [...KEY_READ_ACTIONS, ...KEY_WRITE_ACTIONS] : KEY_READ_ACTIONS,
      resources: [tables.key.keyArn],
    }),
  );
}

/** PutItem and UpdateItem of the export job rows alone (their reads come with the table's). */
function grantExportJobs(role: iam.IRole, tables: Tables): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: TABLE_WRITE_ACTIONS,
      resources: [tables.byId.get(EVENTS_TABLE)!.table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [EXPORT_KEY_PATTERN] } },
    }),
  );
}
