/**
 * Business metrics through Powertools for AWS Lambda's Metrics: CloudWatch Embedded Metric
 * Format (EMF) lines on stdout, which CloudWatch Logs turns into metrics of namespace
 * POWERTOOLS_METRICS_NAMESPACE (default `Feeproof`) with one dimension, `service`
 * (POWERTOOLS_SERVICE_NAME, default `feeproof`); lib/observability.ts graphs them.
 *
 *   {"_aws":{"Timestamp":<ms>,"CloudWatchMetrics":[{"Namespace":"Feeproof",
 *     "Dimensions":[["service"]],"Metrics":[{"Name":"ReceiptsIssued","Unit":"Count"}]}]},
 *    "service":"feeproof","ReceiptsIssued":1}
 *
 * The lines are written only where CloudWatch reads them, in Lambda (AWS_LAMBDA_FUNCTION_NAME
 * is set), or locally at log level `debug`; never at `silent`. Elsewhere they would only drown
 * the local server's console.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { powertoolsLogger, SERVICE_NAME } from './logger.js';

export const METRICS_NAMESPACE = 'Feeproof';

/** The metrics the handlers emit; lib/observability.ts documents when each one is. */
export const METRIC_NAMES = ['ReceiptsIssued', 'ChargesRefused', 'Verifications'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** The EMF units these metrics can use (Powertools' MetricUnit has them all). */
export type MetricUnit = 'Count' | 'Milliseconds' | 'Bytes' | 'None';

/** undefined: not decided yet; null: this process writes no metrics. */
let instance: Metrics | null | undefined;

function publishesHere(): boolean {
  const level = powertoolsLogger().getLevelName();
  if (level === 'SILENT') return false;
  return Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME) || level === 'DEBUG' || level === 'TRACE';
}

/**
 * The process's Metrics where EMF lines are written, else null; decided on first use (as the
 * log level is, see logger.ts).
 */
export function publishedMetrics(): Metrics | null {
  if (instance !== undefined) return instance;
  const log = powertoolsLogger();
  // Powertools' own advisories, above all "No application metrics to publish" after every
  // invocation that emitted none, are about how this code uses the library: debug lines.
  const advisory = (message: string) => log.debug(message);
  instance = publishesHere()
    ? new Metrics({
        namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || METRICS_NAMESPACE,
        serviceName: process.env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME,
        logger: { debug: advisory, info: advisory, warn: advisory, error: (m: string) => log.error(m) },
      })
    : null;
  return instance;
}

/**
 * Records one data point (by default: one more `name`) and writes it at once: the recovery
 * job completes receipts outside any handler middleware, and a handler emits at most one
 * point per invocation, so holding them for the invocation's end would gain nothing. Never
 * throws.
 */
export function emitMetric(name: MetricName, value = 1, unit: MetricUnit = 'Count'): void {
  try {
    publishedMetrics()?.addMetric(name, unit, value).publishStoredMetrics();
  } catch {
    // A metric is never worth failing a request for.
  }
}
