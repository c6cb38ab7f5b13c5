import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { METRIC_NAMES } from '../../lambdas/adapters/metrics.js';
import { BUSINESS_METRICS } from '../../lib/observability.js';
import { type Built, buildStack, FUNCTION_NAMES, type Json, logicalId, resources } from './support.js';

const POWERTOOLS = ['POWERTOOLS_METRICS_NAMESPACE', 'POWERTOOLS_SERVICE_NAME'];
const CLEARED = [...POWERTOOLS, 'FEEPROOF_LOG_LEVEL', 'POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_METRICS_DISABLED'];

let built: Built;
/** Each function's environment variables, by function name. */
let environments: Map<string, Record<string, Json>>;
/** The dashboard's metrics as CloudWatch names them: [namespace, name, dimension, value, ...]. */
let graphed: string[][];

/** The dashboard body is JSON joined with references (region, API id): stand-ins keep it JSON. */
function dashboardMetrics(body: Json): string[][] {
  const text = body['Fn::Join'][1].map((part: Json) => (typeof part === 'string' ? part : 'ref')).join('');
  return JSON.parse(text)
    .widgets.filter((w: Json) => w.type === 'metric')
    .flatMap((w: Json) => w.properties.metrics)
    .map((m: Json[]) => m.filter((x) => typeof x === 'string'));
}

beforeAll(() => {
  built = buildStack();
  const fns = resources(built.template, 'AWS::Lambda::Function');
  environments = new Map(
    built.stack.functions.all.map(([name, fn]) => {
      return [name, fns[logicalId(fn)]!.Properties.Environment.Variables];
    }),
  );
  const [dashboard] = Object.values(resources(built.template, 'AWS::CloudWatch::Dashboard'));
  graphed = dashboardMetrics(dashboard!.Properties.DashboardBody);
}, 120_000);

let saved: Record<string, string | undefined> = {};
afterEach(() => {
  vi.restoreAllMocks();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  saved = {};
});

/** The EMF records a fresh container of `fn` writes when each business metric is emitted once. */
async function emittedBy(fn: string): Promise<Json[]> {
  const env = environments.get(fn)!;
  saved = Object.fromEntries([...CLEARED, 'AWS_LAMBDA_FUNCTION_NAME'].map((k) => [k, process.env[k]]));
  for (const k of CLEARED) delete process.env[k];
  for (const k of POWERTOOLS) if (env[k] !== undefined) process.env[k] = env[k];
  process.env.AWS_LAMBDA_FUNCTION_NAME = `FeeproofStack-${fn}`;
  const written: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  vi.resetModules();
  const { emitMetric } = await import('../../lambdas/adapters/metrics.js');
  for (const name of METRIC_NAMES) emitMetric(name);
  vi.restoreAllMocks();
  return written.map((line) => JSON.parse(line));
}

describe('the dashboard and the functions', () => {
  it('graphs exactly the metrics the handlers emit', () => {
    expect(Object.values(BUSINESS_METRICS).sort()).toEqual([...METRIC_NAMES].sort());
  });

  it('every function gets the namespace and the service of the dashboard', () => {
    expect([...environments.keys()].sort()).toEqual([...FUNCTION_NAMES].sort());
    const values = [...environments.values()].map((env) => POWERTOOLS.map((k) => env[k]));
    for (const v of values) expect(v).toEqual(values[0]);
    for (const v of values[0]!) expect(v).toEqual(expect.any(String));
  });

  it("what each function writes, in Lambda with the stack's environment, is on the dashboard", async () => {
    for (const fn of environments.keys()) {
      const records = await emittedBy(fn);
      expect(
        records.map((r) => r._aws.CloudWatchMetrics[0].Metrics[0].Name),
        fn,
      ).toEqual([...METRIC_NAMES]);
      for (const record of records) {
        const [{ Namespace, Dimensions, Metrics }] = record._aws.CloudWatchMetrics;
        for (const dimensions of Dimensions as string[][])
          expect(graphed, fn).toContainEqual([
            Namespace,
            Metrics[0].Name,
            ...dimensions.flatMap((d) => [d, record[d]]),
          ]);
      }
    }
  });
});
