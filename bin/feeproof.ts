#!/usr/bin/env -S npx tsx
/**
 * feeproof command line: serve the local service, print tokens.
 *   feeproof serve                 start DynamoDB Local, the tables, the demo catalogue and the API
 *   feeproof token --role R [--department D] [--ttl SECONDS] [--username U]
 *   feeproof verify <file.pdf> [--keys keys.json] [--url URL]   exit 0 genuine, 1 not, 2 unusable input
 *   feeproof catalogue import <file.csv> [--url URL] [--token JWT]   all rows or none; a local finance token by default
 */
// Lambda runs Node 22; the SDK's notice that it will need Node 22 in 2027 is not news here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runServiceWorker, startServiceCluster, workerCount } from '../lambdas/local/cluster.js';
import { startLocalService } from '../lambdas/local/service.js';
import { issueToken, loadIssuerKey } from '../lambdas/local/tokens.js';
import { dataDir } from '../lambdas/runtime/config.js';
import type { Role } from '../lambdas/runtime/routes.js';

const ROLES: Role[] = ['finance', 'collector', 'auditor'];

function fail(message: string, code = 2): never {
  process.stderr.write(`feeproof: ${message}\n`);
  process.exit(code);
}

async function serve() {
  if (cluster.isWorker) return runServiceWorker();
  const workers = workerCount();
  const service = workers > 1 ? await startServiceCluster(workers) : await startLocalService();
  process.stderr.write(
    [
      `feeproof is serving on ${service.url}${workers > 1 ? ` (${workers} worker processes)` : ''}`,
      `  data directory:  ${service.dataDir}`,
      `  DynamoDB Local:  ${service.dynamoEndpoint}`,
      `  catalogue:       ${service.url}/v1/catalogue`,
      `  OpenAPI:         ${service.url}/v1/openapi.json`,
      '  get a token:     npm run --silent feeproof -- token --role finance',
      '                   npm run --silent feeproof -- token --role collector --department ZRZY',
      'Ctrl-C stops it (and DynamoDB Local).',
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write('stopping...\n');
    await service.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function token(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      role: { type: 'string' },
      department: { type: 'string' },
      ttl: { type: 'string' },
      username: { type: 'string' },
    },
  });
  const role = values.role as Role | undefined;
  if (!role || !ROLES.includes(role)) fail(`--role must be one of ${ROLES.join(', ')}`);
  if (role === 'collector' && !values.department) fail('a collector token needs --department CODE');
  if (values.department && !/^[A-Z0-9]{2,16}$/.test(values.department))
    fail('--department must be 2-16 uppercase letters or digits');
  const ttl = values.ttl === undefined ? 3600 : Number(values.ttl);
  if (!Number.isSafeInteger(ttl) || ttl < 1) fail('--ttl must be a positive number of seconds');
  const key = await loadIssuerKey(dataDir());
  const jwt = await issueToken(key, {
    role,
    department: values.department,
    ttlSeconds: ttl,
    username: values.username,
  });
  process.stdout.write(`${jwt}\n`);
}

const serverUrl = (url: string | undefined) =>
  (url ?? process.env.FEEPROOF_PUBLIC_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`).replace(
    /\/$/,
    '',
  );

/** Offline check of a receipt PDF against the published keys (a /v1/keys answer). */
async function verify(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { keys: { type: 'string' }, url: { type: 'string' } },
  });
  const [file] = positionals;
  if (!file) fail('usage: feeproof verify <file.pdf> [--keys keys.json] [--url URL]');
  let pdf: Uint8Array;
  let published: { keys: { keyId: string; certificatePem: string; status: string }[] };
  try {
    pdf = new Uint8Array(readFileSync(file));
    published = values.keys
      ? JSON.parse(readFileSync(values.keys, 'utf8'))
      : ((await (await fetch(`${serverUrl(values.url)}/v1/keys`)).json()) as typeof published);
  } catch (e) {
    fail(`cannot read the input: ${(e as Error).message}`);
  }
  const { verifyPdfSignature } = await import('../lambdas/adapters/pdf/verify.js');
  const { certificateFromPem } = await import('../lambdas/adapters/signing/certificate.js');
  const report = await verifyPdfSignature(
    pdf,
    published.keys.map((k) => ({ certificateDer: certificateFromPem(k.certificatePem) })),
  );
  if (report.receipt)
    process.stdout.write(
      `receipt ${report.receipt.code}/${report.receipt.number} (${report.receipt.kind})\n`,
    );
  for (const check of report.checks)
    process.stdout.write(
      `${check.ok ? 'pass' : 'FAIL'}  ${check.name}${check.reason ? `: ${check.reason}` : ''}\n`,
    );
  const readable = report.checks.find((c) => c.name === 'readable')?.ok;
  process.stdout.write(
    `${report.ok ? 'genuine: the signature verifies against a published key' : 'NOT genuine'}\n`,
  );
  process.exit(report.ok ? 0 : readable ? 1 : 2);
}

async function catalogue(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { url: { type: 'string' }, token: { type: 'string' } },
  });
  const [sub, file] = positionals;
  if (sub !== 'import' || !file)
    fail('usage: feeproof catalogue import <file.csv> [--url URL] [--token JWT]');
  // Against AWS, pass a Cognito ID token of a finance user; locally the local issuer makes one.
  const jwt =
    values.token ??
    (await issueToken(await loadIssuerKey(dataDir()), { role: 'finance', username: 'cli-import' }));
  const res = await fetch(`${serverUrl(values.url)}/v1/catalogue/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${jwt}`, 'content-type': 'text/csv' },
    body: readFileSync(file),
  });
  process.stdout.write(`${JSON.stringify(await res.json(), null, 2)}\n`);
  process.exit(res.ok ? 0 : 1);
}

const [command, ...rest] = process.argv.slice(2);
const commands: Record<string, (args: string[]) => Promise<void>> = { serve, token, verify, catalogue };
const run = command ? commands[command] : undefined;
if (!run) fail(`usage: feeproof <${Object.keys(commands).join('|')}> [options]`);
run(rest).catch((e: Error) => fail(e.message, 1));
