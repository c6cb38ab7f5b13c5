#!/usr/bin/env -S npx tsx
/**
 * feeproof command line: serve the local service, print tokens.
 *   feeproof serve                 start DynamoDB Local, the tables, the demo catalogue and the API
 *   feeproof token --role R [--department D] [--ttl SECONDS] [--username U]
 */
import { parseArgs } from 'node:util';
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
  const service = await startLocalService();
  process.stderr.write(
    [
      `feeproof is serving on ${service.url}`,
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

const [command, ...rest] = process.argv.slice(2);
const commands: Record<string, (args: string[]) => Promise<void>> = { serve, token };
const run = command ? commands[command] : undefined;
if (!run) fail(`usage: feeproof <${Object.keys(commands).join('|')}> [options]`);
run(rest).catch((e: Error) => fail(e.message, 1));
