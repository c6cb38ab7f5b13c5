// Fetches DynamoDB Local (the real engine, with transactions) from the npm registry: the
// amplify-dynamodb-simulator package ships it under emulator/. Only that folder is kept,
// which avoids the package's JavaScript dependencies. Idempotent; run by postinstall.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = 'amplify-dynamodb-simulator@2.9.30';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, '.dynamodb-local');
const jar = join(target, 'emulator', 'DynamoDBLocal.jar');

if (existsSync(jar)) process.exit(0);
const work = mkdtempSync(join(tmpdir(), 'ddb-local-'));
try {
  execFileSync('npm', ['pack', PACKAGE, '--silent', '--pack-destination', work], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack ${PACKAGE} produced no tarball`);
  execFileSync('tar', ['xzf', join(work, tarball), '-C', work, 'package/emulator']);
  mkdirSync(target, { recursive: true });
  rmSync(join(target, 'emulator'), { recursive: true, force: true });
  renameSync(join(work, 'package', 'emulator'), join(target, 'emulator'));
  console.error(`DynamoDB Local installed in ${target}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
