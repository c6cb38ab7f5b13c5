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
 */
import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
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
export const RECOVERY_SUMMARY_LOG = { message: 'recovery finished', failedField: 'failed' } as const;

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
  /** Log groups of the functions that sign (request path): watched for signer failures. */
  signingLogGroups: logs.ILogGroup[];
  /** Log group of the scheduled recovery job: watched for receipts it could not complete. */
  recoveryLogGroup: logs.ILogGroup;
  tables: [string, dynamodb.ITable][];
  httpApi: apigw.HttpApi;
  alarmTopicArn?: string;
}

export class Observability extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const topic = props.alarmTopicArn
      ? sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn)
      : undefined;
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
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, description: string): void => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      if (topic) created.addAlarmAction(new actions.SnsAction(topic));
      this.alarms.push(created);
    };

    for (const [name, fn] of props.functions) {
      alarm(`${pascal(name)}Errors`, fn.metricErrors({ period }), `feeproof ${name}: function errors`);
      alarm(
        `${pascal(name)}Throttles`,
        fn.metricThrottles({ period }),
        `feeproof ${name}: function throttled`,
      );
    }
    for (const [name, table] of props.tables) {
      alarm(
        `${pascal(name)}TableSystemErrors`,
        table.metricSystemErrorsForOperations({ operations: TABLE_OPERATIONS, period }),
        `feeproof ${name} table: DynamoDB system errors`,
      );
    }
    alarm('Api5xx', props.httpApi.metricServerError({ period }), 'feeproof API: 5xx answers');

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
    new logs.MetricFilter(this, 'RecoveryFailuresFilter', {
      logGroup: props.recoveryLogGroup,
      filterPattern: logs.FilterPattern.all(
        logs.FilterPattern.stringValue('$.message', '=', RECOVERY_SUMMARY_LOG.message),
        logs.FilterPattern.numberValue(`$.${RECOVERY_SUMMARY_LOG.failedField}`, '>', 0),
      ),
      metricNamespace: METRICS_NAMESPACE,
      metricName: 'RecoveryFailures',
      metricValue: `$.${RECOVERY_SUMMARY_LOG.failedField}`,
      unit: cloudwatch.Unit.COUNT,
    });
    alarm(
      'RecoveryFailures',
      fromLogs('RecoveryFailures'),
      'feeproof: the recovery job could not complete pending receipts (numbers taken, not signed)',
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
