/**
 * A stand-in for the Lambda Node.js runtime, for test/cdk/bundles.test.ts:
 *
 *   node lambda-runtime.mjs <package directory>   (forked with an IPC channel)
 *
 * Imports `<package directory>/index.mjs` once (the init phase), then invokes its `handler`
 * for every `{ id, event }` message and answers `{ id, result }` or `{ id, error }`. The
 * function's stdout and stderr stay its own (its logs), as in Lambda.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = process.argv[2];
const { handler } = await import(pathToFileURL(join(dir, 'index.mjs')).href);
if (typeof handler !== 'function') throw new Error(`${dir}/index.mjs exports no handler function`);

const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'feeproof';

process.on('message', async ({ id, event, timeoutMs = 29_000 }) => {
  const deadline = Date.now() + timeoutMs;
  const context = {
    awsRequestId: id,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '1024',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  let reply;
  try {
    reply = { id, result: (await handler(event, context)) ?? null };
  } catch (error) {
    reply = { id, error: String(error?.stack ?? error) };
  }
  // The invocation's log lines leave before its answer does.
  await new Promise((resolve) => process.stdout.write('', resolve));
  process.send(reply);
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
