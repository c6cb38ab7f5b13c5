/**
 * Alarms and a dashboard.
 *
 * Business metrics are CloudWatch Embedded Metric Format (EMF) lines the handlers write to
 * stdout (one JSON object per line), in namespace `Feeproof`, with no dimensions:
 *
 *   {"_aws":{"Timestamp":<ms>,"CloudWatchMetrics":[{"Namespace":"Feeproof","Dimensions":[[]],
 *     "Metrics":[{"Name":"ReceiptsIssued","Unit":"Count"}]}]},"ReceiptsIssued":1}
 *
 * | metric          | when                                              |
 * |-----------------|---------------------------------------------------|
 * | ReceiptsIssued  | a receipt (blue or red) is signed and stored       |
 * | ChargesRefused  | a charge is refused by the catalogue check (422)   |
 * | Verifications   | a public verification is answered (found or not)   |
 */
import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { pascal } from './names.js';

export const METRICS_NAMESPACE = 'Feeproof';
export const BUSINESS_METRICS = {
  receiptsIssued: 'ReceiptsIssued',
  chargesRefused: 'ChargesRefused',
  verifications: 'Verifications',
} as const;

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

    const business = (metricName: string) =>
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, statistic: 'Sum', period });

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
