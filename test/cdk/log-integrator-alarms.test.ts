/**
 * The transparency log's integrator is watched like the other functions (errors, throttles) and
 * for what only it can fail at: publishing the log. Each run logs its summary with the backlog
 * it left (lambdas/app/transparency-log.ts LogRun; test/cdk/bundles.test.ts runs the bundle
 * and reads that line); a metric filter on its log group turns it into LogBacklog, and one
 * alarm fires when every run for 15 minutes left a backlog, or none finished.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { LOG_RUN_SUMMARY_LOG, LOG_STALLED_PERIODS } from '../../lib/observability.js';
import { type Built, buildStack, logicalId, resources } from './support.js';

let built: Built;
beforeAll(() => {
  built = buildStack();
}, 120_000);

const integrator = () => built.stack.transparencyLog.integrator;
const alarms = () => Object.values(resources(built.template, 'AWS::CloudWatch::Alarm'));

describe('alarms on the log integrator', () => {
  it.each(['Errors', 'Throttles'])('on its %s, to the alarm topic', (metric) => {
    const found = alarms().filter(
      (a) =>
        a.Properties.Namespace === 'AWS/Lambda' &&
        a.Properties.MetricName === metric &&
        JSON.stringify(a.Properties.Dimensions) ===
          JSON.stringify([{ Name: 'FunctionName', Value: { Ref: logicalId(integrator()) } }]),
    );
    expect(found).toHaveLength(1);
    expect(found[0]!.Properties).toMatchObject({
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: logicalId(built.stack.observability.topic) }],
    });
  });

  it("turns each run's backlog, from its summary line in its own log group, into LogBacklog", () => {
    const filters = Object.values(resources(built.template, 'AWS::Logs::MetricFilter')).filter(
      (f) => f.Properties.MetricTransformations[0].MetricName === 'LogBacklog',
    );
    expect(filters).toHaveLength(1);
    expect(filters[0]!.Properties).toMatchObject({
      LogGroupName: { Ref: logicalId(integrator().logGroup) },
      // Every summary, a backlog of 0 included: the alarm reads the smallest of a period.
      FilterPattern: `{ $.message = "${LOG_RUN_SUMMARY_LOG.message}" }`,
      MetricTransformations: [
        { MetricNamespace: 'Feeproof', MetricName: 'LogBacklog', MetricValue: '$.backlog', Unit: 'Count' },
      ],
    });
  });

  it('alarms when every run for 15 minutes left entries unpublished, or no run finished (missing data breaches)', () => {
    const found = alarms().filter((a) => a.Properties.MetricName === 'LogBacklog');
    expect(found).toHaveLength(1);
    expect(LOG_STALLED_PERIODS * 5).toBe(15);
    expect(found[0]!.Properties).toMatchObject({
      Namespace: 'Feeproof',
      Statistic: 'Minimum',
      Period: 300,
      EvaluationPeriods: LOG_STALLED_PERIODS,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: logicalId(built.stack.observability.topic) }],
      OKActions: [{ Ref: logicalId(built.stack.observability.topic) }],
    });
    expect(found[0]!.Properties.Dimensions).toBeUndefined();
  });
});
