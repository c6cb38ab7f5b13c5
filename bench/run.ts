/**
 * `npm run bench`: figures for the README. Starts its own DynamoDB Local (in memory) and the
 * local server as a separate process, then measures from this process over real HTTP.
 *   BENCH_SCALE=0.2 npm run bench   (fewer requests, for a quick look)
 *   BENCH_AUDIT_RECEIPTS=10000 npm run bench   (the audit part over fewer receipts: seeding
 *   100,000, the default, takes minutes)
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { signPdfDocument } from '../lambdas/adapters/pdf/pades.js';
import { renderReceiptDocument } from '../lambdas/adapters/pdf/render.js';
import { createSelfSignedCertificate } from '../lambdas/adapters/signing/certificate.js';
import { openLocalSigner } from '../lambdas/adapters/signing/local-signer.js';
import { groupVersions } from '../lambdas/core/catalogue.js';
import { createdVersion } from '../lambdas/core/catalogue-changes.js';
import { checkCharge } from '../lambdas/core/charge.js';
import { canonicalReceipt, type ReceiptContent } from '../lambdas/core/receipt.js';
import { startChildServer } from '../lambdas/local/child-server.js';
import { workerCount } from '../lambdas/local/cluster.js';
import { DEMO_CATALOGUE } from '../lambdas/local/demo-catalogue.js';
import { startDynamoDbLocal } from '../lambdas/local/dynamodb-local.js';
import { issueToken, loadIssuerKey } from '../lambdas/local/tokens.js';
import { gaCharge, send, sendCharge } from '../test/support/receipts.js';
import { auditBench, seedReceipts } from './audit.js';
import { cpuShare, measure, memorySampler, row } from './stats.js';

const scale = Number(process.env.BENCH_SCALE ?? 1);
const n = (count: number) => Math.max(10, Math.round(count * scale));
const dataDir = mkdtempSync(join(tmpdir(), 'feeproof-bench-'));

async function inProcessIssuing() {
  const signer = await openLocalSigner(join(dataDir, 'bench-key.pem'));
  const now = new Date();
  const cert = await createSelfSignedCertificate(signer, {
    commonName: 'bench',
    organization: 'bench',
    notBefore: now,
    notAfter: new Date(now.getTime() + 86_400_000),
  });
  const stamp = { actor: 'bench', at: now, today: '2026-01-01' };
  const versions = groupVersions(DEMO_CATALOGUE.map((i) => createdVersion(i, 'bench', stamp)));
  let bytes = 0;
  const stats = await measure(n(200), 1, async (i) => {
    const check = checkCharge(
      {
        department: 'ZRZY',
        chargeDate: '2026-06-01',
        lines: [{ itemCode: 'ZRZY-001', quantity: 1, amount: 8000 }],
      },
      versions,
    );
    if (!check.ok) return false;
    const content: ReceiptContent = {
      code: '11010126',
      number: String(i + 1).padStart(10, '0'),
      checkCode: 'ABCDEF',
      kind: 'blue',
      issuedAt: new Date().toISOString(),
      issueDate: '2026-06-01',
      chargeDate: '2026-06-01',
      department: 'ZRZY',
      collectingUnit: '某市自然资源和规划局',
      payer: { type: 'person', name: '张三' },
      lines: check.lines,
      total: check.total,
      handledBy: 'bench',
    };
    await signer.signDigest(createHash('sha256').update(canonicalReceipt(content)).digest());
    const pdf = await signPdfDocument(
      await renderReceiptDocument({
        content,
        verifyUrl: 'http://127.0.0.1:3000/verify.html',
        bureauName: '某市财政局',
      }),
      signer,
      cert,
      { signingTime: new Date() },
    );
    bytes = pdf.length;
    return true;
  });
  console.log(row('issue in-process (check+canonical+sign+PDF)', stats));
  console.log(`PDF size: ${(bytes / 1024).toFixed(1)} KiB`);
}

const prefix = `bench${randomBytes(2).toString('hex')}`;

async function overHttp(url: string, processes: Record<string, () => number[]>) {
  const token = await issueToken(await loadIssuerKey(dataDir), { role: 'collector', department: 'GA' });
  const issued: { code: string; number: string; checkCode: string }[] = [];
  const issue = async () => {
    const res = await sendCharge(url, token, gaCharge('李四'), randomUUID());
    if (res.status === 201) issued.push(res.body);
    return res.status === 201;
  };
  // Warm-up, not measured: every server process and DynamoDB Local compile their hot paths
  // (the first few hundred requests run several times slower), and connections open.
  await measure(n(300), 8, issue);
  for (const c of [1, 8, 32]) {
    const share = cpuShare(processes);
    const stats = await measure(n(c === 1 ? 100 : 400), c, issue);
    console.log(row(`issue over HTTP, one department, concurrency ${c}`, stats));
    if (c === 32) console.log(share(stats.count));
  }

  const verify = async (i: number) => {
    const r = issued[i % issued.length]!;
    const res = await send(`${url}/v1/verify?code=${r.code}&number=${r.number}&checkCode=${r.checkCode}`);
    return res.status === 200;
  };
  await measure(n(3000), 32, verify); // warm-up, as for issuing
  const share = cpuShare(processes);
  const verified = await measure(n(3000), 32, verify);
  console.log(row('verify over HTTP, concurrency 32', verified));
  console.log(share(verified.count));

  const pdf = (
    await send(`${url}/v1/receipts/${issued[0]!.code}/${issued[0]!.number}/pdf`, {
      headers: { authorization: `Bearer ${token}` },
    })
  ).bytes;
  const checkPdf = async () => {
    const res = await send(`${url}/v1/verify/pdf`, {
      method: 'POST',
      headers: { 'content-type': 'application/pdf' },
      body: pdf,
    });
    return res.status === 200 && (JSON.parse(res.bytes.toString()) as { valid: boolean }).valid;
  };
  console.log(row('PDF check over HTTP, concurrency 8', await measure(n(400), 8, checkPdf)));
}

const stopSampling = memorySampler();
console.log(
  `feeproof bench on ${process.platform} ${process.arch}, ${availableParallelism()} cores, node ${process.version}, scale ${scale}; server: ${workerCount()} worker processes`,
);
await inProcessIssuing();
console.log(`peak RSS of the in-process run: ${stopSampling().toFixed(0)} MiB`);
const dynamo = await startDynamoDbLocal();
const server = await startChildServer({
  env: {
    FEEPROOF_DATA_DIR: dataDir,
    FEEPROOF_DYNAMODB_ENDPOINT: dynamo.endpoint,
    FEEPROOF_TABLE_PREFIX: prefix,
  },
});
try {
  await overHttp(server.url, {
    server: () => [server.child.pid!, ...server.workerPids()],
    'DynamoDB Local': () => [dynamo.process.pid!],
  });
  const auditReceipts = Number(process.env.BENCH_AUDIT_RECEIPTS ?? n(100_000));
  if (!Number.isSafeInteger(auditReceipts) || auditReceipts < 100)
    throw new Error('BENCH_AUDIT_RECEIPTS must be a whole number of receipts, at least 100');
  const seeded = await seedReceipts(auditReceipts, prefix, dynamo.endpoint);
  console.log(
    `seeded ${auditReceipts} receipts (and ${Math.floor(auditReceipts / 100)} alerts and events) through the service's write paths in ${seeded.seconds.toFixed(0)} s = ${(auditReceipts / seeded.seconds).toFixed(0)} receipts/s`,
  );
  await auditBench(
    server.url,
    await issueToken(await loadIssuerKey(dataDir), { role: 'auditor' }),
    auditReceipts,
  );
} finally {
  console.log(`server RSS at the end: ${server.rssMiB().toFixed(0)} MiB`);
  server.child.kill('SIGTERM');
  await dynamo.stop();
}
