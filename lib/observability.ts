/**
 * Alarms and a dashboard.
 *
 * Business metrics are CloudWatch Embedded Metric Format (EMF) lines the handlers write to
 * stdout through Powertools' Metrics (lambdas/adapters/metrics.ts), in namespace `Feeproof`
 * with the dimension `service` = `feeproof` (the functions get both as POWERTOOLS_* variables,
 * lib/functions.ts); Powertools adds `ColdStart` (dimensions service, function_name):
 *
 *   {"_aws":{"Timestamp":<ms>,"CloudWatchMetrics":[{"Namespace":"Feeproof","Dimensions":[["service"]],
 *     "Metrics":[{"Name":"ReceiptsIssued","Unit":"Count"}]}]},"service":"feeproof","ReceiptsIssued":1}
 *
 * | metric          | when                                              |
 * |-----------------|---------------------------------------------------|
 * | ReceiptsIssued  | a receipt (blue or red) is signed and stored       |
 * | ChargesRefused  | a charge is refused by the catalogue check (422)   |
 * | Verifications   | a public verification is answered (found or not)   |
 *
 * Two more, without dimensions, come from metric filters on the functions' JSON logs
 * (lambdas/adapters/logger.ts), because a KMS failure is answered (503, retry later) or
 * retried by the recovery job rather than failing the function, so the Errors alarms would
 * never see it:
 *
 * | metric           | log line                                                     |
 * |------------------|--------------------------------------------------------------|
 * | SigningFailures  | a request failed on the signer: `error.name` is SignerError  |
 * | RecoveryFailures | the recovery job's summary, `recovery finished`, `failed` > 0 |
 * | RecoveryRuns     | every summary: the heartbeat (missing data is breaching)     |
 * | ReceiptsStuck    | the summary's `stuck` count, pending past the stuck threshold |
 * | LogBacklog       | the log integrator's summary, `transparency log run finished`: its `backlog`, |
 * |                  | entries sequenced but not in the checkpoint it left published (0: caught up)  |
 *
 * Every alarm notifies the stack's KMS-encrypted SNS topic (subscriptions: `alarmEmails`)
 * and, when given, an existing topic (`alarmTopicArn`).
 */
import { Annotations, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { LogRun } from '../lambdas/app/transparency-log.js';
import { adminOnlyKeyPolicy, type KeyAdmin } from './key-policy.js';
import { pascal } from './names.js';

export const METRICS_NAMESPACE = 'Feeproof';
/** Powertools' `service` dimension of the business metrics. */
export const METRICS_SERVICE = 'feeproof';
export const BUSINESS_METRICS = {
  receiptsIssued: 'ReceiptsIssued',
  chargesRefused: 'ChargesRefused',
  verifications: 'Verifications',
} as const;

/**
 * The log fields the failure metrics are filtered on, as the runtime writes them: the HTTP
 * error middleware logs a SignerError as `error`, the recovery job logs its counts.
 * test/cdk/bundles.test.ts checks the bundles really write these lines.
 */
export const SIGNING_FAILURE_LOG = { field: 'error.name', value: 'SignerError' } as const;
export const RECOVERY_SUMMARY_LOG = {
  message: 'recovery finished',
  failedField: 'failed',
  /** Receipts still pending past the stuck threshold (the recovery job must log it). */
  stuckField: 'stuck',
} as const;

/** The recovery job runs every 5 minutes: no summary for this long means it is not running. */
export const RECOVERY_HEARTBEAT_PERIODS = 3;

/**
 * The transparency log integrator's summary of each run (lambdas/handlers/log-integrator.ts,
 * `LogRun`): `backlog` is what the run left sequenced but unpublished.
 */
export const LOG_RUN_SUMMARY_LOG = {
  message: 'transparency log run finished',
  backlogField: 'backlog' satisfies keyof LogRun,
} as const;
/**
 * Periods of 5 minutes in which every integrator run (one a minute) left a backlog, or none
 * finished, before the log is alarmed on as not publishing.
 */
export const LOG_STALLED_PERIODS = 3;

/**
 * KMS's request quota for ECC signing in most regions (Sign, shared by the account): the
 * throttle alarm fires at 80 % of it. Raise it with the quota.
 */
export const KMS_ECC_QUOTA_PER_SECOND = 300;
/** 5xx share of API requests (percent, over 5 minutes, at least 20 requests) that pages. */
export const API_5XX_RATE_PERCENT = 5;

/** The operations whose DynamoDB system errors are alarmed on (an alarm takes at most 10 metrics). */
const TABLE_OPERATIONS = [
  'GetItem',
  'PutItem',
  'UpdateItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactGetItems',
  'TransactWriteItems',
] as dynamodb.Operation[];

export interface ObservabilityProps {
  functions: [string, lambda.IFunction][];
  /** p99 duration above which each function's latency alarm fires, by function name. */
  latencyP99: Record<string, Duration>;
  /** Log groups of the functions that sign (request path): watched for signer failures. */
  signingLogGroups: logs.ILogGroup[];
  /** Log group of the scheduled recovery job: watched for receipts it could not complete. */
  recoveryLogGroup: logs.ILogGroup;
  /** Log group of the transparency log's integrator (also in `functions`): watched for a log that stopped publishing. */
  logIntegratorLogGroup: logs.ILogGroup;
  tables: [string, dynamodb.ITable][];
  httpApi: apigw.HttpApi;
  /** Failed scheduled recovery invocations land here. */
  recoveryDeadLetters: sqs.IQueue;
  alarmEmails: string[];
  /** An existing topic every alarm also notifies. */
  alarmTopicArn?: string;
  keyAdmin: KeyAdmin;
}

export class Observability extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;
  /** The topic every alarm notifies. */
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const period = Duration.minutes(5);

    // CloudWatch cannot publish to a topic encrypted with the AWS managed aws/sns key: a key
    // of our own lets the CloudWatch service use it.
    const topicKeyPolicy = adminOnlyKeyPolicy(props.keyAdmin);
    topicKeyPolicy.addStatements(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    const topicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: 'feeproof: encrypts the alarm topic',
      enableKeyRotation: true,
      policy: topicKeyPolicy,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'feeproof alarms',
      masterKey: topicKey,
      enforceSSL: true,
    });
    for (const email of props.alarmEmails) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    if (props.alarmEmails.length === 0 && !props.alarmTopicArn) {
      Annotations.of(this).addWarningV2(
        'feeproof:nobodyPaged',
        'NOBODY IS PAGED: the alarm topic has no subscription. Set alarmEmails and/or alarmTopicArn.',
      );
    }
    const alarmActions = [
      new actions.SnsAction(this.topic),
      ...(props.alarmTopicArn
        ? [new actions.SnsAction(sns.Topic.fromTopicArn(this, 'ExternalAlarmTopic', props.alarmTopicArn))]
        : []),
    ];
    const business = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: METRICS_SERVICE },
        statistic: 'Sum',
        period,
      });
    const fromLogs = (metricName: string) =>
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, statistic: 'Sum', period });
    const alarm = (
      alarmId: string,
      metric: cloudwatch.IMetric,
      description: string,
      options: Partial<cloudwatch.AlarmProps> = {},
    ): void => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
        ...options,
      });
      created.addAlarmAction(...alarmActions);
      created.addOkAction(...alarmActions);
      this.alarms.push(created);
    };

    for (const [name, fn] of props.functions) {
      alarm(`${pascal(name)}Errors`, fn.metricErrors({ period }), `feeproof ${name}: function errors`);
      alarm(
        `${pascal(name)}Throttles`,
        fn.metricThrottles({ period }),
        `feeproof ${name}: function throttled`,
      );
      const p99 = props.latencyP99[name];
      if (p99) {
        alarm(
          `${pascal(name)}LatencyP99`,
          fn.metricDuration({ period, statistic: 'p99' }),
          `feeproof ${name}: p99 duration above ${p99.toSeconds()} s`,
          { threshold: p99.toMilliseconds(), evaluationPeriods: 3, datapointsToAlarm: 2 },
        );
      }
    }
    for (const [name, table] of props.tables) {
      alarm(
        `${pascal(name)}TableSystemErrors`,
        table.metricSystemErrorsForOperations({ operations: TABLE_OPERATIONS, period }),
        `feeproof ${name} table: DynamoDB system errors`,
      );
      alarm(
        `${pascal(name)}TableThrottles`,
        table.metricThrottledRequestsForOperations({ operations: TABLE_OPERATIONS, period }),
        `feeproof ${name} table: DynamoDB throttled requests`,
      );
    }
    alarm('Api5xx', props.httpApi.metricServerError({ period }), 'feeproof API: 5xx answers');
    alarm(
      'Api5xxRate',
      new cloudwatch.MathExpression({
        expression: 'IF(requests >= 20, 100 * errors / requests, 0)',
        usingMetrics: {
          errors: props.httpApi.metricServerError({ period }),
          requests: props.httpApi.metricCount({ period }),
        },
        period,
        label: '5xx share of requests (%)',
      }),
      `feeproof API: more than ${API_5XX_RATE_PERCENT} % of requests answered 5xx`,
      {
        threshold: API_5XX_RATE_PERCENT,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      },
    );
    // KMS publishes no per-key error metrics: its failures are SigningFailures (below), its
    // throttling shows as the account's Sign calls nearing the quota.
    alarm(
      'KmsSignNearQuota',
      new cloudwatch.Metric({
        namespace: 'AWS/Usage',
        metricName: 'CallCount',
        dimensionsMap: { Service: 'KMS', Type: 'API', Resource: 'Sign', Class: 'None' },
        statistic: 'Sum',
        period: Duration.minutes(1),
      }),
      `feeproof: kms:Sign calls above 80 % of the ECC quota (${KMS_ECC_QUOTA_PER_SECOND}/s): signing will be throttled`,
      { threshold: Math.floor(KMS_ECC_QUOTA_PER_SECOND * 60 * 0.8) },
    );
    alarm(
      'RecoveryDeadLetters',
      props.recoveryDeadLetters.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      'feeproof: a scheduled recovery invocation failed after its retries (message in the dead-letter queue)',
    );

    // KMS (or the local signer) failing: answered 503 to the client, so not a function error.
    props.signingLogGroups.forEach((logGroup, i) => {
      new logs.MetricFilter(this, `SigningFailuresFilter${i}`, {
        logGroup,
        filterPattern: logs.FilterPattern.stringValue(
          `$.${SIGNING_FAILURE_LOG.field}`,
          '=',
          SIGNING_FAILURE_LOG.value,
        ),
        metricNamespace: METRICS_NAMESPACE,
        metricName: 'SigningFailures',
        metricValue: '1',
        unit: cloudwatch.Unit.COUNT,
      });
    });
    alarm(
      'SigningFailures',
      fromLogs('SigningFailures'),
      'feeproof: signing failed (KMS unavailable, throttled or refusing); receipts wait for recovery',
    );
    /** A metric of one count in the recovery job's summary line, published when it is above 0. */
    const recoverySummaryCount = (metricName: string, field: string) =>
      new logs.MetricFilter(this, `${metricName}Filter`, {
        logGroup: props.recoveryLogGroup,
        filterPattern: logs.FilterPattern.all(
          logs.FilterPattern.stringValue('$.message', '=', RECOVERY_SUMMARY_LOG.message),
          logs.FilterPattern.numberValue(`$.${field}`, '>', 0),
        ),
        metricNamespace: METRICS_NAMESPACE,
        metricName,
        metricValue: `$.${field}`,
        unit: cloudwatch.Unit.COUNT,
      });
    recoverySummaryCount('RecoveryFailures', RECOVERY_SUMMARY_LOG.failedField);
    alarm(
      'RecoveryFailures',
      fromLogs('RecoveryFailures'),
      'feeproof: the recovery job could not complete pending receipts (numbers taken, not signed)',
    );
    new logs.MetricFilter(this, 'RecoveryRunsFilter', {
      logGroup: props.recoveryLogGroup,
      filterPattern: logs.FilterPattern.stringValue('$.message', '=', RECOVERY_SUMMARY_LOG.message),
      metricNamespace: METRICS_NAMESPACE,
      metricName: 'RecoveryRuns',
      metricValue: '1',
      unit: cloudwatch.Unit.COUNT,
    });
    alarm(
      'RecoveryNotRunning',
      fromLogs('RecoveryRuns'),
      `feeproof: the recovery job has not finished a run in ${RECOVERY_HEARTBEAT_PERIODS * 5} minutes`,
      {
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: RECOVERY_HEARTBEAT_PERIODS,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      },
    );
    recoverySummaryCount('ReceiptsStuck', RECOVERY_SUMMARY_LOG.stuckField);
    alarm(
      'ReceiptsStuck',
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: 'ReceiptsStuck',
        statistic: 'Maximum',
        period,
      }),
      'feeproof: receipts pending longer than the stuck threshold (numbers taken, not signed)',
    );

    // The transparency log: every run logs its backlog, so a log that stopped publishing what is
    // sequenced, or an integrator that no longer finishes a run (missing data), is one alarm.
    new logs.MetricFilter(this, 'LogBacklogFilter', {
      logGroup: props.logIntegratorLogGroup,
      filterPattern: logs.FilterPattern.stringValue('$.message', '=', LOG_RUN_SUMMARY_LOG.message),
      metricNamespace: METRICS_NAMESPACE,
      metricName: 'LogBacklog',
      metricValue: `$.${LOG_RUN_SUMMARY_LOG.backlogField}`,
      unit: cloudwatch.Unit.COUNT,
    });
    alarm(
      'LogNotPublishing',
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: 'LogBacklog',
        statistic: 'Minimum',
        period,
      }),
      `feeproof: for ${LOG_STALLED_PERIODS * 5} minutes no transparency log run published a checkpoint of everything sequenced, or no run finished`,
      { evaluationPeriods: LOG_STALLED_PERIODS, treatMissingData: cloudwatch.TreatMissingData.BREACHING },
    );

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(24) });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Receipts, refusals, verifications',
        left: Object.values(BUSINESS_METRICS).map(business),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'API requests and errors',
        left: [props.httpApi.metricCount({ period })],
        right: [props.httpApi.metricClientError({ period }), props.httpApi.metricServerError({ period })],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API latency (p99)',
        left: [props.httpApi.metricLatency({ period, statistic: 'p99' })],
        width: 12,
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 12 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Function errors',
        left: props.functions.map(([name, fn]) => fn.metricErrors({ period, label: name })),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function duration (p99)',
        left: props.functions.map(([name, fn]) =>
          fn.metricDuration({ period, statistic: 'p99', label: name }),
        ),
        width: 12,
      }),
    );
    // One graph per table: each sums its operations with ids that would clash in one graph.
    this.dashboard.addWidgets(
      ...props.tables.map(
        ([name, table]) =>
          new cloudwatch.GraphWidget({
            title: `DynamoDB ${name}: system errors`,
            left: [
              table.metricSystemErrorsForOperations({ operations: TABLE_OPERATIONS, period, label: name }),
            ],
            width: Math.floor(24 / props.tables.length),
          }),
      ),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'DynamoDB consumed capacity',
        left: props.tables.map(([name, table]) =>
          table.metricConsumedReadCapacityUnits({ period, label: `${name} read` }),
        ),
        right: props.tables.map(([name, table]) =>
          table.metricConsumedWriteCapacityUnits({ period, label: `${name} write` }),
        ),
        width: 24,
      }),
    );
  }
}
