/**
 * The public transparency log in AWS (issue 13, docs/transparency-log.md): the log key
 * (KMS Ed25519), the tile bucket served by the site's distribution at /log/*, and the
 * integrator that sequences the ledger's entries (queued, and receipts' from their rows),
 * writes the tiles and signs the checkpoint every minute. Only the integrator may sign with the log key or write the bucket.
 */
import * as path from 'node:path';
import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  LOG_QUEUE_PK,
  LOG_RANGE_PK_PREFIX,
  RANGE_LISTING_PARTITION,
  RECEIPT_PK_PREFIX,
} from '../lambdas/adapters/dynamo/keys.js';
import { SEQUENCER_RECEIPT_ATTRIBUTES } from '../lambdas/adapters/tlog/dynamo-sequence.js';
import { nodejsBundling } from './bundling.js';
import { ENV } from './config.js';
import {
  INTEGRATOR_ONLY_KEYS,
  KEY_READ_ACTIONS,
  KEY_WRITE_ACTIONS,
  TABLE_READ_ACTIONS,
} from './functions.js';
import { adminOnlyKeyPolicy, type KeyAdmin } from './key-policy.js';
import { METRICS_NAMESPACE, METRICS_SERVICE } from './observability.js';
import type { Tables } from './tables.js';
import { accountWideName } from './web.js';

/** The integrator's name: its handler file (lambdas/handlers/log-integrator.ts) and its alarms'. */
export const LOG_INTEGRATOR = 'log-integrator';
/** Where the log lives in the bucket and on the distribution: `log/checkpoint`, `log/tile/...`. */
export const LOG_PREFIX = 'log/';
export const LOG_PATH_PATTERN = `/${LOG_PREFIX}*`;
/**
 * The ledger rows the integrator reads and writes: the queue, the sequence, its counter, the
 * tree head, the ranges' watermarks in the log.
 */
export const LOG_KEY_PATTERNS = [LOG_QUEUE_PK, ...INTEGRATOR_ONLY_KEYS.ledger!, `${LOG_RANGE_PK_PREFIX}*`];
/** The ledger rows the integrator reads and may not write: the ranges and their list. */
export const LOG_RANGE_READ_PATTERNS = ['RANGE#*', RANGE_LISTING_PARTITION];
/**
 * What the integrator may read of a receipt's row (its receipts are logged from their rows:
 * DynamoSequence): the keys, its status, kind and original, completion time and log entry. Not
 * the payer, nor anything else a log entry does not show.
 */
export const LOG_RECEIPT_ATTRIBUTES = ['pk', 'sk', ...SEQUENCER_RECEIPT_ATTRIBUTES];
/** The receipts table's rows the integrator writes: the log's index-block rows (keys.ts logIndexBlockKey). */
export const LOG_INDEX_KEY_PATTERN = INTEGRATOR_ONLY_KEYS.receipts![0]!;
/** The only kms:Sign the log key allows: pure Ed25519 over the note text (kms-note-signer.ts). */
export const LOG_SIGN_CONDITIONS = {
  StringEquals: { 'kms:SigningAlgorithm': 'ED25519_SHA_512', 'kms:MessageType': 'RAW' },
};

export interface LogWitness {
  /** The witness's submission prefix, ending in `/` (add-checkpoint is under it). */
  url: string;
  /** Its cosignature vkey (C2SP, type 0x04). */
  vkey: string;
}

export interface TransparencyLogProps {
  /** The log's name: the checkpoints' origin line and the key name (`<domain>/log`). */
  origin: string;
  witnesses: LogWitness[];
  keyAdmin: KeyAdmin;
  tables: Tables;
  /** The site's distribution, which serves the bucket at /log/* through `originAccess`. */
  distribution: cloudfront.Distribution;
  originAccess: cloudfront.IOriginAccessControl;
  /** Server access logs go here (the site's log bucket), under `s3-log/`. */
  accessLogs: s3.IBucket;
  projectRoot: string;
  /** The integrator's handler file (lambdas/handlers/log-integrator.ts). */
  entry: string;
  /** Functions that publish the log's vkey (GET /v1/keys) and read the tiles: GetPublicKey and read only. */
  readers: lambda.Function[];
}

export class TransparencyLog extends Construct {
  readonly key: kms.Key;
  readonly bucket: s3.Bucket;
  readonly integrator: nodejs.NodejsFunction;
  readonly schedule: events.Rule;
  /** How CloudFront caches /log/*: as long as each object's Cache-Control says. */
  readonly cachePolicy: cloudfront.CachePolicy;

  constructor(scope: Construct, id: string, props: TransparencyLogProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: `feeproof: signs the transparency log's checkpoints (${props.origin}, Ed25519)`,
      keySpec: kms.KeySpec.ECC_NIST_EDWARDS25519,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      policy: adminOnlyKeyPolicy(props.keyAdmin),
      // The log's identity: every checkpoint ever published is verified with it.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.bucket = new s3.Bucket(this, 'Tiles', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // SSE-S3: CloudFront reads through OAC without a KMS grant; the tiles are public anyway.
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 's3-log/',
      // Tiles are written once; the checkpoint is replaced every minute: its old versions go after a year
      // (the ledger's LOGTREE rows keep every head the log signed).
      versioned: true,
      lifecycleRules: [{ id: 'OldCheckpoints', noncurrentVersionExpiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Served at /log/* by the site's distribution, through the site's origin access control. The
    // objects carry their Cache-Control (lambdas/adapters/tlog/serving.ts): full tiles a year,
    // immutable; partial tiles and the checkpoint 5 s.
    this.cachePolicy = new cloudfront.CachePolicy(this, 'CachePolicy', {
      cachePolicyName: accountWideName('log'),
      comment: 'feeproof: transparency log tiles and checkpoint, cached as their Cache-Control says',
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.seconds(5),
      maxTtl: Duration.days(365),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.none(),
      headerBehavior: cloudfront.CacheHeaderBehavior.none(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    props.distribution.addBehavior(
      LOG_PATH_PATTERN,
      origins.S3BucketOrigin.withOriginAccessControl(this.bucket, {
        originAccessControl: props.originAccess,
      }),
      {
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: this.cachePolicy,
        // Monitors and witnesses in browsers on other sites may read the log.
        responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.CORS_ALLOW_ALL_ORIGINS,
        compress: true,
      },
    );
    // A tile not written yet is a 404 (tlog-tiles clients then fall back), not S3's 403.
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudFrontListsTheLog',
        principals: [new iam.ServicePrincipal('cloudfront.amazonaws.com')],
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: {
          StringEquals: {
            'AWS:SourceArn': Stack.of(this).formatArn({
              service: 'cloudfront',
              region: '',
              resource: 'distribution',
              resourceName: props.distribution.distributionId,
            }),
          },
        },
      }),
    );

    this.integrator = this.makeIntegrator(props);
    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'feeproof: integrate the transparency log (sequence, tiles, signed checkpoint)',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      // A failed run is not retried: the next minute's run completes it.
      targets: [new targets.LambdaFunction(this.integrator, { retryAttempts: 0 })],
    });

    for (const fn of props.readers) this.grantRead(fn, props.origin);
  }

  private makeIntegrator(props: TransparencyLogProps): nodejs.NodejsFunction {
    const logGroup = new logs.LogGroup(this, 'IntegratorLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const role = new iam.Role(this, 'IntegratorRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'feeproof transparency log integrator: the only signer of checkpoints',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );

    // kms:Sign: in the key policy (the account is given no use of the key), for this role only,
    // and only as the signer uses it.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SignByLogIntegrator',
        principals: [role],
        actions: ['kms:Sign'],
        resources: ['*'],
        conditions: LOG_SIGN_CONDITIONS,
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Sign', 'kms:GetPublicKey'],
        resources: [this.key.keyArn],
      }),
    );

    // The tile bucket: write-once puts (If-None-Match), reads, and listing under log/ (so that a
    // missing object is a 404, not a 403).
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:GetObject'],
        resources: [this.bucket.arnForObjects(`${LOG_PREFIX}*`)],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${LOG_PREFIX}*`] } },
      }),
    );
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnElement);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${LOG_PREFIX}*]`,
      reason:
        'The log is thousands of tile objects named by their position (log/tile/<L>/<N>); the grant covers the log/ prefix of the tile bucket only, with no delete.',
    });

    // The ledger: its log rows only (queue, sequence, counter, tree head, range watermarks). A
    // batch's cleanup deletes its queue items (BatchWriteItem of LOGQ keys): those, and only
    // those, are deleted.
    const ledger = props.tables.table('ledger');
    const logRows = { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': LOG_KEY_PATTERNS } };
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [...TABLE_READ_ACTIONS, 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [ledger.tableArn],
        conditions: logRows,
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:BatchWriteItem'],
        resources: [ledger.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [LOG_QUEUE_PK] } },
      }),
    );
    // The ranges, read to take their receipts from (DynamoSequence); ranges allocated before they
    // had listing rows are listed by the ledger's listing index.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: TABLE_READ_ACTIONS,
        resources: [ledger.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': LOG_RANGE_READ_PATTERNS } },
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${ledger.tableArn}/index/listing`],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [RANGE_LISTING_PARTITION] } },
      }),
    );
    // The receipts' index-block rows: a batch's cleanup writes its receipt entries' indexes there
    // (UpdateItem; never a read).
    const receipts = props.tables.table('receipts');
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [receipts.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [LOG_INDEX_KEY_PATTERN] } },
      }),
    );
    // The receipt rows, their log attributes alone (fine-grained access: dynamodb:Attributes).
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:BatchGetItem'],
        resources: [receipts.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${RECEIPT_PK_PREFIX}*`] },
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': LOG_RECEIPT_ATTRIBUTES },
          StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
        },
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [...KEY_READ_ACTIONS, ...KEY_WRITE_ACTIONS],
        resources: [props.tables.key.keyArn],
      }),
    );

    const environment: Record<string, string> = {
      [ENV.logOrigin]: props.origin,
      [ENV.logKmsKeyId]: this.key.keyArn,
      [ENV.logBucket]: this.bucket.bucketName,
      POWERTOOLS_SERVICE_NAME: METRICS_SERVICE,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    };
    if (props.witnesses.length) environment[ENV.logWitnesses] = JSON.stringify(props.witnesses);
    for (const { definition, table } of props.tables.all) environment[definition.envVar] = table.tableName;

    const fn = new nodejs.NodejsFunction(this, 'Integrator', {
      entry: props.entry,
      handler: 'handler',
      description:
        'feeproof log-integrator: sequences the ledger, writes the log tiles, signs the checkpoint',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      // Every minute: a run stops integrating 20 s before this (app/transparency-log.ts runLog).
      timeout: Duration.seconds(55),
      // One run at a time (two would be safe, not useful: one loses the swap).
      reservedConcurrentExecutions: 1,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      role,
      environment,
      projectRoot: props.projectRoot,
      depsLockFilePath: path.join(props.projectRoot, 'package-lock.json'),
      bundling: nodejsBundling(false),
    });
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is pinned on purpose, as for every feeproof function: the bundles target node22 and are tested on it.',
    });
    return fn;
  }

  /** GetPublicKey (the vkey for GET /v1/keys) and reads of the tiles; never Sign, never a write. */
  private grantRead(fn: lambda.Function, origin: string): void {
    fn.addEnvironment(ENV.logOrigin, origin);
    fn.addEnvironment(ENV.logKmsKeyId, this.key.keyArn);
    fn.addEnvironment(ENV.logBucket, this.bucket.bucketName);
    this.key.grant(fn, 'kms:GetPublicKey');
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [this.bucket.arnForObjects(`${LOG_PREFIX}*`)],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${LOG_PREFIX}*`] } },
      }),
    );
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnElement);
    Validations.of(fn.role!).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${LOG_PREFIX}*]`,
      reason:
        'Reads the public log tiles (log/ prefix of the tile bucket) to build inclusion proofs; read only.',
    });
  }
}
