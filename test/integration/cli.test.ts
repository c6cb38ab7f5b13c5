import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dateInZone } from '../../lambdas/core/dates.js';
import { issuerKeyPath, loadIssuerKey } from '../../lambdas/local/tokens.js';
import { runCli as cli } from '../support/cli.js';
import { flipSignedByte } from '../support/pdf.js';
import { issue } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
const dir = mkdtempSync(join(tmpdir(), 'feeproof-cli-'));

/** A loopback port where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((ok) => server.once('listening', ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}

beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => svc?.stop());

describe('feeproof token', () => {
  it('prints one JWT and nothing else, with the claims Cognito would carry', async () => {
    const out = await cli(['token', '--role', 'collector', '--department', 'GA', '--ttl', '120'], {
      FEEPROOF_DATA_DIR: svc.dataDir,
    });
    expect(out.status).toBe(0);
    const lines = out.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const claims = decodeJwt(lines[0]!);
    expect(claims['cognito:groups']).toEqual(['collector']);
    expect(claims['custom:department']).toBe('GA');
    expect(claims.exp! - claims.iat!).toBe(120);
  });

  it('is accepted by the server, and refuses a bad role', async () => {
    const jwt = (await cli(['token', '--role', 'finance'], { FEEPROOF_DATA_DIR: svc.dataDir })).stdout.trim();
    const res = await svc.api('POST', '/v1/ranges', { token: jwt, json: { department: 'GA', size: 5 } });
    expect(res.status).toBe(201);
    const bad = await cli(['token', '--role', 'king'], { FEEPROOF_DATA_DIR: svc.dataDir });
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
  });
});

describe('feeproof verify', () => {
  it('exits 0 for a genuine PDF, 1 for an altered one and 2 for unusable input', async () => {
    const token = await svc.token({ role: 'collector', department: 'ZRZY' });
    const receipt = (await issue(svc, token)).body;
    const pdf = (await svc.api('GET', `/v1/receipts/${receipt.code}/${receipt.number}/pdf`, { token })).bytes;
    const keys = join(dir, 'keys.json');
    writeFileSync(keys, JSON.stringify((await svc.api('GET', '/v1/keys')).body));
    writeFileSync(join(dir, 'genuine.pdf'), pdf);
    const altered = flipSignedByte(pdf, 0x20);
    writeFileSync(join(dir, 'altered.pdf'), altered);
    writeFileSync(join(dir, 'garbage.pdf'), 'not a pdf');

    const genuine = await cli(['verify', join(dir, 'genuine.pdf'), '--keys', keys]);
    expect(genuine.status).toBe(0);
    expect(genuine.stdout).toContain(`receipt ${receipt.code}/${receipt.number}`);
    expect(genuine.stdout).toContain('pass  signature');
    const bad = await cli(['verify', join(dir, 'altered.pdf'), '--keys', keys]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('FAIL');
    expect((await cli(['verify', join(dir, 'garbage.pdf'), '--keys', keys])).status).toBe(2);
    expect((await cli(['verify', join(dir, 'missing.pdf'), '--keys', keys])).status).toBe(2);
    // Against the server's keys over HTTP too.
    expect((await cli(['verify', join(dir, 'genuine.pdf'), '--url', svc.url])).status).toBe(0);
  });
});

describe('feeproof finds the server as the server finds itself', () => {
  const csv = [
    'code,name,department,unit,standard_type,amount,min,max,fund_management,valid_from,valid_to,basis_title,basis_number,basis_issuer,basis_date,exemptions,status,effective_from,reason',
    // A new item takes effect today or later.
    `CLI-001,命令行导入项目,CLI,次,fixed,12.00,,,treasury,${dateInZone(new Date())},,关于导入的通知,导〔2025〕1号,某市财政局,2025-01-01,,active,,`,
  ].join('\n');
  const file = join(dir, 'catalogue.csv');
  beforeAll(() => writeFileSync(file, csv));

  it('token refuses to sign with a key the server does not have, naming the directory it looked in', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'feeproof-cli-empty-'));
    const out = await cli(['token', '--role', 'finance'], { FEEPROOF_DATA_DIR: empty });
    expect(out.status).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(issuerKeyPath(empty));
    expect(out.stderr).toContain('FEEPROOF_DATA_DIR');
    expect(existsSync(issuerKeyPath(empty))).toBe(false);
  });

  it('catalogue import reaches the server on PORT with the key in FEEPROOF_DATA_DIR', async () => {
    const out = await cli(['catalogue', 'import', file], {
      PORT: new URL(svc.url).port,
      FEEPROOF_DATA_DIR: svc.dataDir,
      FEEPROOF_PUBLIC_URL: undefined,
    });
    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ imported: 1 });
    expect((await svc.api('GET', '/v1/catalogue/CLI-001')).status).toBe(200);
  });

  it('catalogue import names the URL it could not reach and why', async () => {
    const port = await closedPort();
    const out = await cli(['catalogue', 'import', file], {
      PORT: String(port),
      FEEPROOF_DATA_DIR: svc.dataDir,
      FEEPROOF_PUBLIC_URL: undefined,
    });
    expect(out.status).toBe(1);
    expect(out.stderr).toContain(`POST http://127.0.0.1:${port}/v1/catalogue/import failed`);
    expect(out.stderr).toContain('ECONNREFUSED');
  });

  it('catalogue import refused for a key of another data directory names that directory', async () => {
    const other = mkdtempSync(join(tmpdir(), 'feeproof-cli-other-'));
    await loadIssuerKey(other);
    const out = await cli(['catalogue', 'import', file, '--url', svc.url], {
      FEEPROOF_DATA_DIR: other,
    });
    expect(out.status).toBe(1);
    expect(out.stderr).toContain(`POST ${svc.url}/v1/catalogue/import answered 401`);
    expect(out.stderr).toContain(other);
  });
});

describe('feeproof --help', () => {
  const env = { FEEPROOF_DATA_DIR: mkdtempSync(join(tmpdir(), 'feeproof-cli-help-')), PORT: '0' };

  it.each([
    '--help',
    '-h',
    'serve --help',
    'token -h',
    'verify --help',
    'catalogue --help',
    'catalogue import --help',
  ])('feeproof %s prints the usage and exits 0', async (line) => {
    const args = line.split(' ');
    const out = await cli(args, env);
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^usage: feeproof/);
    if (!args[0]!.startsWith('-')) expect(out.stdout).toContain(`feeproof ${args[0]}`);
  });

  it.each(['serve --bogus', 'token --rol finance', 'catalogue import x.csv --bogus', 'frobnicate'])(
    'feeproof %s prints the usage and exits 2, serving nothing',
    async (line) => {
      const out = await cli(line.split(' '), env);
      expect(out.status).toBe(2);
      expect(out.stdout).toBe('');
      expect(out.stderr).toContain('usage: feeproof');
    },
  );
});
