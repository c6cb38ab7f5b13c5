/**
 * Logs and metrics through Powertools (lambdas/adapters/logger.ts, metrics.ts and the
 * middlewares of every group handler): the EMF a Lambda function writes, the Lambda context
 * on its log lines, and a local console that metric lines do not drown.
 *
 * Each test loads the modules afresh under its own environment, as a new container or a new
 * local process would: the logger and the metrics read their settings once, on first use.
 */
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ROUTES, routeKey } from '../../lambdas/runtime/routes.js';

const SETTINGS = [
  'FEEPROOF_LOG_LEVEL',
  'POWERTOOLS_LOG_LEVEL',
  'LOG_LEVEL',
  'AWS_LAMBDA_LOG_LEVEL',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_MAX_CONCURRENCY',
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_METRICS_DISABLED',
  'POWERTOOLS_DEV',
  '_X_AMZN_TRACE_ID',
];
/** What Lambda sets that these modules read. */
const LAMBDA = {
  AWS_LAMBDA_FUNCTION_NAME: 'FeeproofStack-receipts',
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
};

let saved: Record<string, string | undefined>;
let stdout: string[];
let stderr: string[];

beforeEach(() => {
  saved = Object.fromEntries(SETTINGS.map((k) => [k, process.env[k]]));
  stdout = [];
  stderr = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

/** The modules as a process started with this environment (and nothing else of ours) loads them. */
async function load(env: Record<string, string>) {
  for (const k of SETTINGS) delete process.env[k];
  Object.assign(process.env, env);
  vi.resetModules();
  return {
    ...(await import('../../lambdas/adapters/metrics.js')),
    ...(await import('../../lambdas/adapters/logger.js')),
  };
}

type Loaded = Awaited<ReturnType<typeof load>>;

// biome-ignore lint/suspicious/noExplicitAny: log and EMF lines are inspected freely
const lines = (chunks: string[]): any[] =>
  chunks
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
const emf = (chunks: string[]) => lines(chunks).filter((l) => l._aws);

describe('metrics in Lambda', () => {
  it('writes one EMF line per data point: namespace Feeproof, dimension service=feeproof, name, unit', async () => {
    const { emitMetric } = await load(LAMBDA);
    const before = Date.now();
    emitMetric('ReceiptsIssued');
    expect(stdout).toHaveLength(1);
    expect(stdout[0]!.endsWith('\n')).toBe(true);
    const [record] = emf(stdout);
    expect(record).toEqual({
      _aws: {
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [
          {
            Namespace: 'Feeproof',
            Dimensions: [['service']],
            Metrics: [{ Name: 'ReceiptsIssued', Unit: 'Count' }],
          },
        ],
      },
      service: 'feeproof',
      ReceiptsIssued: 1,
    });
    expect(record._aws.Timestamp).toBeGreaterThanOrEqual(before);
    expect(record._aws.Timestamp).toBeLessThanOrEqual(Date.now());

    // The next point is a line of its own, not appended to the first.
    emitMetric('Verifications', 3, 'None');
    const second = emf(stdout)[1];
    expect(second.Verifications).toBe(3);
    expect(second.ReceiptsIssued).toBeUndefined();
    expect(second._aws.CloudWatchMetrics[0].Metrics).toEqual([{ Name: 'Verifications', Unit: 'None' }]);
    expect(stderr).toEqual([]);
  });

  it('takes the namespace and the service from the POWERTOOLS_* variables', async () => {
    const { emitMetric } = await load({
      ...LAMBDA,
      POWERTOOLS_METRICS_NAMESPACE: 'FeeproofStaging',
      POWERTOOLS_SERVICE_NAME: 'feeproof-staging',
    });
    emitMetric('ChargesRefused');
    const [record] = emf(stdout);
    expect(record._aws.CloudWatchMetrics[0].Namespace).toBe('FeeproofStaging');
    expect(record.service).toBe('feeproof-staging');
  });

  it('writes nothing at FEEPROOF_LOG_LEVEL=silent, nor where Powertools metrics are disabled', async () => {
    (await load({ ...LAMBDA, FEEPROOF_LOG_LEVEL: 'silent' })).emitMetric('ReceiptsIssued');
    (await load({ ...LAMBDA, POWERTOOLS_METRICS_DISABLED: 'true' })).emitMetric('ReceiptsIssued');
    expect(stdout).toEqual([]);
    expect(stderr).toEqual([]);
  });

  it('never throws, even when stdout does', async () => {
    const { emitMetric } = await load(LAMBDA);
    vi.mocked(process.stdout.write).mockImplementation(() => {
      throw new Error('EPIPE');
    });
    expect(() => emitMetric('ReceiptsIssued')).not.toThrow();
  });
});

describe('metrics on one machine', () => {
  it('prints nothing at the default level: the local console is for requests and errors', async () => {
    const { emitMetric, logger } = await load({});
    for (let i = 0; i < 3; i++) emitMetric('ReceiptsIssued');
    expect(stdout).toEqual([]);
    // The log itself still speaks at info.
    logger.info('serving');
    expect(lines(stdout).map((l) => l.message)).toEqual(['serving']);
  });

  it.each<Record<string, string>>([{ FEEPROOF_LOG_LEVEL: 'debug' }, { POWERTOOLS_LOG_LEVEL: 'DEBUG' }])(
    'prints them at debug level (%o)',
    async (env) => {
      const { emitMetric } = await load(env);
      emitMetric('ReceiptsIssued');
      expect(emf(stdout).map((r) => r._aws.CloudWatchMetrics[0].Metrics[0].Name)).toEqual(['ReceiptsIssued']);
    },
  );
});

describe('the log', () => {
  it('writes JSON lines: warnings and errors to stderr with the Error named, the rest to stdout', async () => {
    const { logger } = await load({});
    logger.info('recovery finished', { completed: 2, failed: 1 });
    logger.debug('not at info');
    class SignerError extends Error {
      override name = 'SignerError';
    }
    logger.warn('dependency unavailable', { error: new SignerError('KMS throttled'), requestId: 'r1' });
    // The fields lib/observability.ts's metric filters read.
    expect(lines(stdout)).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'recovery finished',
        service: 'feeproof',
        completed: 2,
        failed: 1,
      }),
    ]);
    expect(lines(stderr)).toEqual([
      expect.objectContaining({
        level: 'WARN',
        message: 'dependency unavailable',
        requestId: 'r1',
        error: expect.objectContaining({ name: 'SignerError', message: 'KMS throttled' }),
      }),
    ]);
  });

  it('follows FEEPROOF_LOG_LEVEL, silent included', async () => {
    const quiet = await load({ FEEPROOF_LOG_LEVEL: 'error' });
    quiet.logger.warn('hidden');
    quiet.logger.error('shown');
    const silent = await load({ FEEPROOF_LOG_LEVEL: 'silent' });
    silent.logger.error('hidden too');
    expect(lines(stderr).map((l) => l.message)).toEqual(['shown']);
    expect(stdout).toEqual([]);
  });
});

describe('a group handler in Lambda', () => {
  const health = ROUTES.find((r) => r.id === 'health')!;
  const event = (requestId: string) => ({
    version: '2.0',
    routeKey: routeKey(health),
    rawPath: health.path,
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      requestId,
      http: { method: 'GET', path: health.path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 't' },
    },
  });
  const context = (awsRequestId: string) =>
    ({
      awsRequestId,
      functionName: LAMBDA.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${LAMBDA.AWS_LAMBDA_FUNCTION_NAME}`,
      memoryLimitInMB: '1769',
      getRemainingTimeInMillis: () => 29_000,
    }) as unknown as Context;

  /** The public group's handler with stubs for its operations; `health` answers what `answer` returns. */
  async function publicHandler(answer: (modules: Loaded) => Promise<unknown>) {
    const modules = await load(LAMBDA);
    const { groupHandler } = await import('../../lambdas/handlers/http/group.js');
    const { json } = await import('../../lambdas/handlers/http/types.js');
    const operations = Object.fromEntries(
      ROUTES.filter((r) => r.group === 'public').map((r) => [r.id, async () => json(200, {})]),
    );
    operations.health = async () => json(200, await answer(modules));
    // Stubs take no input, so they fit any route's operation type.
    // biome-ignore lint/suspicious/noExplicitAny: invoked as Lambda invokes it
    const handler = groupHandler('public', operations as never) as (e: any, c: Context) => Promise<any>;
    return handler;
  }

  it('puts the invocation on every log line and a ColdStart metric on the first only', async () => {
    const handler = await publicHandler(async ({ logger, emitMetric }) => {
      logger.info('answering');
      emitMetric('Verifications');
      return { ok: true };
    });
    expect((await handler(event('api-1'), context('lambda-1'))).statusCode).toBe(200);
    expect((await handler(event('api-2'), context('lambda-2'))).statusCode).toBe(200);

    expect(lines(stdout).filter((l) => l.message === 'answering')).toEqual([
      expect.objectContaining({
        cold_start: true,
        function_name: LAMBDA.AWS_LAMBDA_FUNCTION_NAME,
        function_request_id: 'lambda-1',
        function_memory_size: '1769',
      }),
      expect.objectContaining({ cold_start: false, function_request_id: 'lambda-2' }),
    ]);
    const metrics = emf(stdout).map((r) => ({
      names: r._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name),
      dimensions: r._aws.CloudWatchMetrics[0].Dimensions,
    }));
    expect(metrics).toEqual([
      { names: ['ColdStart'], dimensions: [['service', 'function_name']] },
      { names: ['Verifications'], dimensions: [['service']] },
      { names: ['Verifications'], dimensions: [['service']] },
    ]);
    // An invocation without metrics is no warning.
    expect(stderr).toEqual([]);
  });

  it('logs an unhandled error with the invocation it happened in, and answers 500', async () => {
    const handler = await publicHandler(async () => {
      throw new TypeError('boom');
    });
    expect((await handler(event('api-3'), context('lambda-3'))).statusCode).toBe(500);
    expect(lines(stderr)).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'unhandled error',
        requestId: 'api-3',
        function_request_id: 'lambda-3',
        error: expect.objectContaining({ name: 'TypeError', message: 'boom' }),
      }),
    ]);
  });
});
