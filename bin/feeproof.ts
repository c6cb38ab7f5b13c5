#!/usr/bin/env -S npx tsx
/** feeproof command line: serve the local service, print tokens, verify PDFs, import a catalogue (see USAGE). */
// Lambda runs Node 22; the SDK's notice that it will need Node 22 in 2027 is not news here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import cluster from 'node:cluster';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runServiceWorker, startServiceCluster, workerCount } from '../lambdas/local/cluster.js';
import { issuerKeyPath, issueToken, loadIssuerKey, type TokenRequest } from '../lambdas/local/tokens.js';
import { dataDir, loadConfig } from '../lambdas/runtime/config.js';
import type { Role } from '../lambdas/runtime/routes.js';

const ROLES: Role[] = ['finance', 'collector', 'auditor'];

const USAGE = {
  feeproof: [
    'usage: feeproof <command> [options]   (--help after a command for its own)',
    '  serve                 start DynamoDB Local, the tables, the demo catalogue and the API',
    '  token                 print a token of the local issuer',
    '  verify                check a receipt PDF against the published keys',
    '  catalogue import      import a catalogue CSV (all rows or none)',
    '  log verify            check the transparency log: signatures, consistency, inclusion',
    '  log audit             check the whole log for completeness (ranges, reversals, catalogue)',
    "  witness serve         run a C2SP tlog-witness that cosigns the log's checkpoints",
  ].join('\n'),
  serve: [
    'usage: feeproof serve',
    '  PORT (3000) and FEEPROOF_DATA_DIR (.data) say where; FEEPROOF_WORKERS how many processes.',
  ].join('\n'),
  token: [
    'usage: feeproof token --role finance|collector|auditor [--department D] [--ttl SECONDS] [--username U]',
    '  signed with the issuer key of the server whose data directory is FEEPROOF_DATA_DIR (.data)',
  ].join('\n'),
  verify: [
    'usage: feeproof verify <file.pdf|receipt.xml> [--keys keys.json] [--url URL]',
    "  a PDF is checked for its PAdES signatures (the unit's, then the supervision one) and its",
    '  embedded EInvoice XML (both data signatures over it, the receipt the PDF names);',
    '  a .xml file (the national EInvoice XML) is checked for both signatures: the collecting',
    "  unit's (开票单位签章) and the finance bureau's supervision signature (财政部门监制签章);",
    '  exit 0 genuine, 1 not genuine, 2 unusable input; without --keys the keys come from',
    '  URL/v1/keys (URL: --url, else FEEPROOF_PUBLIC_URL, else http://127.0.0.1:$PORT)',
  ].join('\n'),
  catalogue: [
    'usage: feeproof catalogue import <file.csv> [--url URL] [--token JWT]',
    '  URL: --url, else FEEPROOF_PUBLIC_URL, else http://127.0.0.1:$PORT (as the server reads them);',
    '  JWT: --token (a Cognito ID token of a finance user against AWS), else a local finance token',
    '  signed with the issuer key in FEEPROOF_DATA_DIR (.data)',
  ].join('\n'),
  log: [
    'usage: feeproof log verify (--url PREFIX | --dir DIR) --key VKEY [--witnesses VKEY,...] [--quorum K]',
    '                           [--state FILE] [--proof FILE.tlog-proof]',
    '                           [--receipt CODE NUMBER --check-code C]',
    '  PREFIX/DIR holds checkpoint and tile/ (C2SP tlog-tiles); VKEY is the log key (its name is the',
    '  origin); the checkpoint needs K witness cosignatures (0); --state keeps the last checkpoint seen',
    '  and the new one must extend it; --proof checks that entry is in the log; --receipt asks the',
    "  service (--url's parent, or --api BASE) for the receipt's proof and checks that its entry, with",
    '  the commitment of the receipt as stored now, is in the log.',
    '  exit 0 all checks pass, 1 a check failed, 2 unusable input',
    'usage: feeproof log audit (--url PREFIX | --dir DIR) --key VKEY [--stats-url BASE]',
    '                          [--api BASE [--token JWT]]',
    '  downloads every entry of the signed checkpoint and proves completeness: each number of each',
    '  range logged once, closed ranges complete, reversals after their originals, catalogue versions',
    '  unbroken; --stats-url: BASE/v1/stats (the public statistics) equals what the logged receipts',
    '  add up to; --api: that, and every logged receipt is in the ledger unaltered (auditor API; JWT:',
    '  --token, else a local auditor token from FEEPROOF_DATA_DIR); exit 1 on any finding',
  ].join('\n'),
  witness: [
    'usage: feeproof witness serve --name NAME --logs VKEY[,VKEY...] [--port 7380] [--host 127.0.0.1] [--dir DIR]',
    '  cosigns checkpoints of the given logs (C2SP tlog-witness, POST /add-checkpoint); its key and',
    '  state live in DIR (FEEPROOF_DATA_DIR/witness); prints its vkey for the log configuration',
  ].join('\n'),
};

function fail(message: string, code = 2): never {
  process.stderr.write(`feeproof: ${message}\n`);
  process.exit(code);
}

/**
 * The command's options and positionals, with `--help`/`-h` (usage on stdout, exit 0); an
 * unknown option or too many positionals prints the usage and exits 2.
 */
function parse(
  command: keyof typeof USAGE,
  args: string[],
  options: Record<string, { type: 'string' }> = {},
  maxPositionals = 0,
): { values: Record<string, string | undefined>; positionals: string[] } {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE[command]}`);
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE[command]}\n`);
    process.exit(0);
  }
  if (parsed.positionals.length > maxPositionals)
    fail(`unexpected argument ${parsed.positionals[maxPositionals]}\n${USAGE[command]}`);
  const { help: _help, ...values } = parsed.values;
  return { values: values as Record<string, string | undefined>, positionals: parsed.positionals };
}

/** A token of the local issuer, whose key the server made in its data directory (never made here). */
async function localToken(request: TokenRequest): Promise<string> {
  const dir = resolve(dataDir());
  if (!existsSync(issuerKeyPath(dir)))
    fail(
      `no token issuer key at ${issuerKeyPath(dir)}: start the server first (npm start), or set ` +
        'FEEPROOF_DATA_DIR to the data directory of the server you run',
      1,
    );
  return issueToken(await loadIssuerKey(dir, { create: false }), request);
}

/** The server's base URL: --url, else where the server says it is (FEEPROOF_PUBLIC_URL, PORT). */
const serverUrl = (url: string | undefined) => (url ?? loadConfig().publicUrl).replace(/\/$/, '');

/** fetch, or an error naming the URL and why it could not be reached. */
async function request(url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    const reason = ((e as Error).cause as Error | undefined)?.message ?? (e as Error).message;
    throw new Error(
      `${init.method ?? 'GET'} ${url} failed: ${reason}. Is the server there? Give --url, or set ` +
        'FEEPROOF_PUBLIC_URL or PORT as for the server.',
    );
  }
}

async function serve(args: string[]) {
  if (cluster.isWorker) return runServiceWorker();
  parse('serve', args);
  const workers = workerCount();
  const service = await startServiceCluster(workers);
  process.stderr.write(
    [
      `feeproof is serving on ${service.url} (${workers} worker process${workers > 1 ? 'es' : ''})`,
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
  const { values } = parse('token', args, {
    role: { type: 'string' },
    department: { type: 'string' },
    ttl: { type: 'string' },
    username: { type: 'string' },
  });
  const role = values.role as Role | undefined;
  if (!role || !ROLES.includes(role)) fail(`--role must be one of ${ROLES.join(', ')}`);
  if (role === 'collector' && !values.department) fail('a collector token needs --department CODE');
  if (values.department && !/^[A-Z0-9]{2,16}$/.test(values.department))
    fail('--department must be 2-16 uppercase letters or digits');
  const ttl = values.ttl === undefined ? 3600 : Number(values.ttl);
  if (!Number.isSafeInteger(ttl) || ttl < 1) fail('--ttl must be a positive number of seconds');
  const jwt = await localToken({
    role,
    department: values.department,
    ttlSeconds: ttl,
    username: values.username,
  });
  process.stdout.write(`${jwt}\n`);
}

/** Offline check of a receipt PDF against the published keys (a /v1/keys answer). */
async function verify(args: string[]) {
  const { values, positionals } = parse(
    'verify',
    args,
    { keys: { type: 'string' }, url: { type: 'string' } },
    1,
  );
  const [file] = positionals;
  if (!file) fail(USAGE.verify);
  let pdf: Uint8Array;
  let published: {
    keys: {
      keyId: string;
      certificatePem: string;
      status: string;
      role?: 'unit' | 'supervision';
      department?: string;
    }[];
  };
  try {
    pdf = new Uint8Array(readFileSync(file));
    published = values.keys
      ? JSON.parse(readFileSync(values.keys, 'utf8'))
      : ((await (await request(`${serverUrl(values.url)}/v1/keys`)).json()) as typeof published);
  } catch (e) {
    fail(`cannot read the input: ${(e as Error).message}`);
  }
  if (file.endsWith('.xml')) await verifyEInvoice(pdf, published.keys);
  const [{ verifyPdfSignature }, { certificateFromPem }, { readEmbeddedData, checkEmbeddedData }, keyring] =
    await Promise.all([
      import('../lambdas/adapters/pdf/verify.js'),
      import('../lambdas/adapters/signing/certificate.js'),
      import('../lambdas/adapters/pdf/embedded.js'),
      import('../lambdas/adapters/dynamo/keyring.js'),
    ]);
  // The embedded EInvoice XML names the collecting department whose key must make the first signature.
  const embedded = await readEmbeddedData(pdf);
  const department = embedded.einvoice.found ? embedded.einvoice.content.department : undefined;
  const report = await verifyPdfSignature(
    pdf,
    published.keys.map((k) => ({
      certificateDer: certificateFromPem(k.certificatePem),
      role: keyring.roleOf(k),
      ...(k.department ? { department: k.department } : {}),
    })),
    department ? { department } : {},
  );
  if (report.receipt)
    process.stdout.write(
      `receipt ${report.receipt.code}/${report.receipt.number} (${report.receipt.kind})\n`,
    );
  const readable = report.checks.find((c) => c.name === 'readable')?.ok;
  const checks: { name: string; ok: boolean; reason?: string }[] = [...report.checks];
  if (readable) {
    const data = await checkEmbeddedData(embedded.einvoice, {
      pdfSignatures: report.signatures.length,
      receipt: report.receipt,
      resolver: keyring.keyResolverOf(published.keys),
    });
    checks.push({ name: 'embedded_data', ...data });
  }
  for (const check of checks)
    process.stdout.write(
      `${check.ok ? 'pass' : 'FAIL'}  ${check.name}${check.reason ? `: ${check.reason}` : ''}\n`,
    );
  for (const s of report.signatures) {
    const whose =
      s.expectedRole === 'unit' ? 'collecting unit (开票单位签章)' : 'supervision (财政部门监制签章)';
    const [, b, c, d] = s.byteRange;
    process.stdout.write(
      `signature ${s.index}: ${whose}${s.department ? `, department ${s.department}` : ''}; ${s.signer ? s.signer.subject.replaceAll('\n', ', ') : 'no certificate'}` +
        `${s.signer ? ` (SHA-256 ${s.signer.certificateSha256.slice(0, 16)}…)` : ''}; signs bytes 0-${b - 1} and ${c}-${c + d - 1}` +
        `${s.coversWholeFile ? ' (the whole file)' : ' (its revision, a prefix of the file)'}: ${s.ok ? 'valid' : s.failures.join('; ')}\n`,
    );
  }
  if (embedded.logSalt) process.stdout.write(`log salt: ${embedded.logSalt}\n`);
  const ok = checks.every((c) => c.ok);
  process.stdout.write(
    `${ok ? `genuine: ${report.signatures.length === 2 ? 'both signatures verify' : 'the signature verifies'} against published keys` : 'NOT genuine'}\n`,
  );
  process.exit(ok ? 0 : readable ? 1 : 2);
}

/** Offline check of a receipt's national XML: the data rebuilt from it, and both signatures over it. */
async function verifyEInvoice(
  bytes: Uint8Array,
  keys: Parameters<typeof import('../lambdas/adapters/dynamo/keyring.js').keyResolverOf>[0],
): Promise<never> {
  const [
    { parseEInvoiceXml, receiptOfEInvoice },
    { canonicalReceipt },
    { checkTwoSignatures },
    { keyResolverOf },
  ] = await Promise.all([
    import('../lambdas/core/einvoice.js'),
    import('../lambdas/core/receipt.js'),
    import('../lambdas/core/two-signatures.js'),
    import('../lambdas/adapters/dynamo/keyring.js'),
  ]);
  let read: ReturnType<typeof receiptOfEInvoice>;
  try {
    read = receiptOfEInvoice(parseEInvoiceXml(new TextDecoder('utf-8', { fatal: true }).decode(bytes)));
  } catch (e) {
    fail(`not a receipt's EInvoice XML: ${(e as Error).message}`);
  }
  const { content, signatures } = read;
  process.stdout.write(`receipt ${content.code}/${content.number} (${content.kind})\n`);
  const report = await checkTwoSignatures(
    canonicalReceipt(content),
    content.department,
    signatures,
    keyResolverOf(keys),
  );
  for (const [name, check] of [
    ['unit signature (开票单位签章)', report.unit],
    ['supervision signature (财政部门监制签章)', report.supervision],
  ] as const)
    process.stdout.write(
      check.ok
        ? `pass  ${name}: key ${check.keyId}\n`
        : `FAIL  ${name}: ${check.error.code}: ${check.error.message}\n`,
    );
  process.stdout.write(
    `${report.ok ? 'genuine: both signatures verify against published keys' : 'NOT genuine'}\n`,
  );
  process.exit(report.ok ? 0 : 1);
}

async function catalogue(args: string[]) {
  const { values, positionals } = parse(
    'catalogue',
    args,
    { url: { type: 'string' }, token: { type: 'string' } },
    2,
  );
  const [sub, file] = positionals;
  if (sub !== 'import' || !file) fail(USAGE.catalogue);
  let csv: Uint8Array<ArrayBuffer>;
  try {
    csv = readFileSync(file);
  } catch (e) {
    fail(`cannot read ${file}: ${(e as Error).message}`);
  }
  const jwt = values.token ?? (await localToken({ role: 'finance', username: 'cli-import' }));
  const url = `${serverUrl(values.url)}/v1/catalogue/import`;
  const res = await request(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${jwt}`, 'content-type': 'text/csv' },
    body: csv,
  });
  let answer = await res.text();
  try {
    answer = JSON.stringify(JSON.parse(answer), null, 2);
  } catch {
    // Not JSON (a proxy's error page): shown as it came.
  }
  process.stdout.write(`${answer}\n`);
  if (res.ok) process.exit(0);
  const hint =
    res.status === 401 && !values.token
      ? `; the token was signed with the issuer key in ${resolve(dataDir())}: set FEEPROOF_DATA_DIR to the server's data directory, or give --token`
      : '';
  fail(`POST ${url} answered ${res.status}${hint}`, 1);
}

/** `log audit`'s service checks: --stats-url (public statistics), --api (those and the ledger). */
async function logAuditApis(values: Record<string, string | undefined>) {
  const statsBase = values['stats-url'] ?? values.api;
  if (values.token && !values.api) fail('--token goes with --api');
  if (!values.api) return statsBase ? { stats: { base: statsBase } } : {};
  const token = values.token ?? (await localToken({ role: 'auditor', username: 'log-audit' }));
  return { stats: { base: statsBase! }, ledger: { base: values.api, token } };
}

/** feeproof log verify: everything an outside verifier checks, from a URL or a directory. */
async function log(args: string[]) {
  const { values, positionals } = parse(
    'log',
    args,
    {
      url: { type: 'string' },
      dir: { type: 'string' },
      key: { type: 'string' },
      witnesses: { type: 'string' },
      quorum: { type: 'string' },
      state: { type: 'string' },
      proof: { type: 'string' },
      receipt: { type: 'string' },
      'check-code': { type: 'string' },
      'stats-url': { type: 'string' },
      api: { type: 'string' },
      token: { type: 'string' },
    },
    2,
  );
  const command = positionals[0];
  const auditApi = command === 'audit' ? await logAuditApis(values) : {};
  if (
    (command !== 'verify' && command !== 'audit') ||
    !values.key ||
    !(values.url || values.dir) ||
    (values.url && values.dir)
  )
    fail(USAGE.log);
  // --receipt CODE NUMBER: the number is the positional after `verify`.
  const receiptNumber = positionals[1];
  if (
    (values.receipt || values['check-code'] || receiptNumber) &&
    (command !== 'verify' || !values.receipt || !values['check-code'] || !receiptNumber)
  )
    fail(`--receipt CODE NUMBER goes with --check-code C (verify only)\n${USAGE.log}`);
  const api = values.api ?? values.url?.replace(/\/log\/?$/, '');
  if (values.receipt && !api) fail('--receipt needs --url (the service serves /log/ beside /v1/) or --api');
  const quorum = values.quorum === undefined ? 0 : Number(values.quorum);
  if (!Number.isSafeInteger(quorum) || quorum < 0) fail('--quorum must be a whole number');
  const { verifyLog, directorySource, urlSource } = await import('../lambdas/adapters/tlog/log-verify.js');
  const { parseVkey } = await import('../lambdas/core/tlog/note.js');
  let checks: Awaited<ReturnType<typeof verifyLog>>;
  try {
    const witnessKeys = values.witnesses ? values.witnesses.split(',') : [];
    for (const k of [values.key, ...witnessKeys]) parseVkey(k);
    const policy = { origin: parseVkey(values.key).name, logKeys: [values.key], witnessKeys, quorum };
    const source = values.url ? urlSource(values.url) : directorySource(values.dir!);
    const { auditLog } = await import('../lambdas/adapters/tlog/audit.js');
    checks =
      command === 'audit'
        ? await auditLog(source, policy, auditApi)
        : await verifyLog({
            source,
            policy,
            statePath: values.state,
            proof: values.proof ? readFileSync(values.proof, 'utf8') : undefined,
            receipt: values.receipt
              ? { code: values.receipt, number: receiptNumber!, checkCode: values['check-code']!, api: api! }
              : undefined,
          });
  } catch (e) {
    fail(`cannot check the log: ${(e as Error).message}`);
  }
  for (const c of checks) process.stdout.write(`${c.ok ? 'pass' : 'FAIL'}  ${c.name}: ${c.detail}\n`);
  process.exit(checks.every((c) => c.ok) ? 0 : 1);
}

async function witness(args: string[]) {
  const { values, positionals } = parse(
    'witness',
    args,
    {
      name: { type: 'string' },
      logs: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      dir: { type: 'string' },
    },
    1,
  );
  if (positionals[0] !== 'serve' || !values.name || !values.logs) fail(USAGE.witness);
  const port = values.port === undefined ? 7380 : Number(values.port);
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535) fail('--port must be a port number');
  const { Witness } = await import('../lambdas/adapters/tlog/witness.js');
  let w: Awaited<ReturnType<typeof Witness.open>>;
  try {
    w = await Witness.open({
      name: values.name,
      dir: values.dir ?? resolve(dataDir(), 'witness'),
      logKeys: values.logs.split(','),
    });
  } catch (e) {
    fail(`cannot start the witness: ${(e as Error).message}`);
  }
  const { url } = await w.listen(port, values.host ?? '127.0.0.1');
  process.stderr.write(
    `witness ${values.name} is serving on ${url} (POST /add-checkpoint)\n  its vkey: ${w.vkey}\n`,
  );
}

const [command, ...rest] = process.argv.slice(2);
const commands: Record<string, (args: string[]) => Promise<void>> = {
  serve,
  token,
  verify,
  catalogue,
  log,
  witness,
};
if (command === '--help' || command === '-h') {
  process.stdout.write(`${USAGE.feeproof}\n`);
  process.exit(0);
}
const run = command ? commands[command] : undefined;
if (!run) fail(`${command ? `unknown command ${command}\n` : ''}${USAGE.feeproof}`);
run(rest).catch((e: Error) => fail(e.message, 1));
