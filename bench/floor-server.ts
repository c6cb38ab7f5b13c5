/**
 * The floor of issue 14 for public checks: a bare node:http server with as many worker
 * processes (node:cluster) as the local server, doing per check one strongly consistent
 * GetItem of the receipt's check row through the SDK on the same DynamoDB Local, one ECDSA
 * verification of the stored copy (the bureau's supervision signature, with FLOOR_CERT_PEM its
 * certificate), and a JSON answer: 200 when the signature holds, 422 when not, which the bench
 * counts (a yardstick that stopped verifying would look cheap). Nothing else: no routing table,
 * no middleware, no validation beyond what the lookup needs, no logging, no counting.
 *
 *   FLOOR_PORT=… FLOOR_WORKERS=2 FLOOR_DYNAMODB_ENDPOINT=… FLOOR_TABLE=… FLOOR_CERT_PEM=… \
 *     node --import tsx bench/floor-server.ts
 * says `floor serving on <port>` on stderr once every worker listens.
 */
import cluster from 'node:cluster';
import { verify, X509Certificate } from 'node:crypto';
import { createServer } from 'node:http';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { checksKey } from '../lambdas/adapters/dynamo/keys.js';
import { storedCopy } from '../lambdas/adapters/dynamo/receipt-copy.js';
import { canonicalReceipt, contentOf } from '../lambdas/core/receipt.js';
import { supervisionMessage } from '../lambdas/core/two-signatures.js';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const port = Number(env('FLOOR_PORT'));

if (cluster.isPrimary) {
  const workers = Number(env('FLOOR_WORKERS'));
  let listening = 0;
  for (let i = 0; i < workers; i++)
    cluster.fork().once('listening', () => {
      if (++listening === workers) process.stderr.write(`floor serving on ${port}\n`);
    });
  process.once('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const table = env('FLOOR_TABLE');
  const key = new X509Certificate(env('FLOOR_CERT_PEM')).publicKey;
  const db = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: env('FLOOR_DYNAMODB_ENDPOINT'),
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const answer = (res: import('node:http').ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  createServer(async (req, res) => {
    try {
      const q = new URL(req.url ?? '/', 'http://floor').searchParams;
      const code = q.get('code') ?? '';
      const number = q.get('number') ?? '';
      const k = checksKey({ code, number });
      const out = await db.send(
        new GetItemCommand({
          TableName: table,
          Key: { pk: { S: k.pk }, sk: { S: k.sk } },
          ConsistentRead: true,
        }),
      );
      const row = out.Item;
      const stored = row && storedCopy({ copy: row.copy?.B, receipt: row.receipt?.S });
      if (!stored || row.checkCode?.S !== q.get('checkCode'))
        return answer(res, 404, { valid: false, error: 'not_found' });
      const receipt = stored.parse();
      const { unit, supervision } = receipt.signatures ?? {};
      const valid =
        unit !== undefined &&
        supervision !== undefined &&
        verify(
          'sha256',
          Buffer.from(supervisionMessage(canonicalReceipt(contentOf(receipt)), unit.value)),
          key,
          Buffer.from(supervision.value, 'base64'),
        );
      answer(res, valid ? 200 : 422, { valid, status: row.status?.S, receipt });
    } catch (e) {
      answer(res, 500, { error: String(e) });
    }
  }).listen(port, '127.0.0.1');
}
