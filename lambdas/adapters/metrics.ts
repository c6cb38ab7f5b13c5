/**
 * Business metrics as CloudWatch Embedded Metric Format (EMF): one JSON line on stdout per
 * data point, which CloudWatch Logs turns into a metric of namespace `Feeproof` with no
 * dimensions (the dashboard of lib/observability.ts graphs them). Locally the line is just
 * a log line. Nothing is written when FEEPROOF_LOG_LEVEL is `silent`.
 */
import { ENV } from '../runtime/env.js';

export const METRICS_NAMESPACE = 'Feeproof';

/** The metrics the handlers emit; lib/observability.ts documents when each one is. */
export const METRIC_NAMES = ['ReceiptsIssued', 'ChargesRefused', 'Verifications'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** The EMF units CloudWatch accepts that these metrics can use. */
export type MetricUnit = 'Count' | 'Milliseconds' | 'Bytes' | 'None';

/** The EMF document of one data point. */
export function metricRecord(name: MetricName, value: number, unit: MetricUnit, timestamp = Date.now()) {
  return {
    _aws: {
      Timestamp: timestamp,
      // One empty dimension set: the metric is published without dimensions.
      CloudWatchMetrics: [
        { Namespace: METRICS_NAMESPACE, Dimensions: [[]], Metrics: [{ Name: name, Unit: unit }] },
      ],
    },
    [name]: value,
  };
}

/** Writes one data point (by default: one more `name`). Never throws. */
export function emitMetric(name: MetricName, value = 1, unit: MetricUnit = 'Count'): void {
  if (process.env[ENV.logLevel] === 'silent') return;
  try {
    process.stdout.write(`${JSON.stringify(metricRecord(name, value, unit))}\n`);
  } catch {
    // A metric is never worth failing a request for.
  }
}
