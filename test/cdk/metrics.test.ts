/**
 * The handlers' business metrics (lambdas/adapters/metrics.ts) are CloudWatch Embedded Metric
 * Format lines that the stack's dashboard (lib/observability.ts) graphs: same namespace,
 * same names, no dimensions.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { emitMetric, METRIC_NAMES, METRICS_NAMESPACE, metricRecord } from '../../lambdas/adapters/metrics.js';
import { ENV } from '../../lambdas/runtime/env.js';
import { BUSINESS_METRICS, METRICS_NAMESPACE as DASHBOARD_NAMESPACE } from '../../lib/observability.js';

let written: string[];
let level: string | undefined;

beforeEach(() => {
  written = [];
  level = process.env[ENV.logLevel];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  if (level === undefined) delete process.env[ENV.logLevel];
  else process.env[ENV.logLevel] = level;
});

describe('emitMetric', () => {
  it('writes one EMF line: namespace Feeproof, no dimensions, the value under the metric name', () => {
    process.env[ENV.logLevel] = 'info';
    const before = Date.now();
    emitMetric('ReceiptsIssued');
    expect(written).toHaveLength(1);
    const line = written[0]!;
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    const record = JSON.parse(line);
    expect(record).toEqual({
      _aws: {
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [
          { Namespace: 'Feeproof', Dimensions: [[]], Metrics: [{ Name: 'ReceiptsIssued', Unit: 'Count' }] },
        ],
      },
      ReceiptsIssued: 1,
    });
    expect(record._aws.Timestamp).toBeGreaterThanOrEqual(before);
    expect(record._aws.Timestamp).toBeLessThanOrEqual(Date.now());
  });

  it('takes a value and a unit', () => {
    process.env[ENV.logLevel] = 'info';
    emitMetric('Verifications', 3, 'None');
    const record = JSON.parse(written[0]!);
    expect(record.Verifications).toBe(3);
    expect(record._aws.CloudWatchMetrics[0].Metrics).toEqual([{ Name: 'Verifications', Unit: 'None' }]);
  });

  it('writes by default (no log level set)', () => {
    delete process.env[ENV.logLevel];
    emitMetric('ChargesRefused');
    expect(written).toHaveLength(1);
  });

  it('is silent when FEEPROOF_LOG_LEVEL=silent', () => {
    process.env[ENV.logLevel] = 'silent';
    emitMetric('ChargesRefused');
    expect(written).toEqual([]);
  });

  it('never throws, even when stdout does', () => {
    process.env[ENV.logLevel] = 'info';
    vi.mocked(process.stdout.write).mockImplementation(() => {
      throw new Error('EPIPE');
    });
    expect(() => emitMetric('ReceiptsIssued')).not.toThrow();
  });

  it('keeps metric names out of the _aws key space (the record has exactly two keys)', () => {
    for (const name of METRIC_NAMES)
      expect(Object.keys(metricRecord(name, 1, 'Count')).sort()).toEqual(['_aws', name].sort());
  });
});

describe('the dashboard', () => {
  it('graphs exactly the metrics the handlers emit, in the same namespace', () => {
    expect(DASHBOARD_NAMESPACE).toBe(METRICS_NAMESPACE);
    expect(Object.values(BUSINESS_METRICS).sort()).toEqual([...METRIC_NAMES].sort());
  });
});
