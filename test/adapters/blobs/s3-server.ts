import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from '@20minutes/s3rver';
import { S3Client } from '@aws-sdk/client-s3';

export interface LocalS3 {
  endpoint: string;
  bucket: string;
  /** The headers of every PUT the server received, in order. */
  puts: Record<string, string | undefined>[];
  client(): S3Client;
  stop(): Promise<void>;
}

/**
 * s3rver (an S3-compatible server, over real HTTP) on a free loopback port with one bucket.
 * s3rver does not implement conditional writes, so this puts S3's documented rule in front of
 * it: a PUT with `If-None-Match: *` to a key that exists answers 412 PreconditionFailed, and such
 * PUTs are taken one at a time, atomic as S3 makes them.
 */
export async function startLocalS3(): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), 'feeproof-s3-'));
  const bucket = 'receipts';
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  let queue: Promise<unknown> = Promise.resolve();
  const puts: LocalS3['puts'] = [];
  server.middleware.unshift(async (ctx, next) => {
    if (ctx.method === 'PUT') puts.push({ ...ctx.headers });
    if (ctx.method !== 'PUT' || ctx.headers['if-none-match'] !== '*') return next();
    const [, b, ...key] = ctx.path.split('/');
    const turn = queue.then(async () => {
      if (await ctx.store.existsObject(b!, decodeURIComponent(key.join('/')))) {
        // Read the body first, as S3 does: answering mid-upload resets the client's connection.
        for await (const _ of ctx.req);
        ctx.status = 412;
        ctx.type = 'application/xml';
        ctx.body =
          '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-None-Match</Condition></Error>';
        return;
      }
      await next();
    });
    queue = turn.catch(() => undefined);
    await turn;
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    puts,
    client: () =>
      new S3Client({
        endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      }),
    stop: async () => {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
