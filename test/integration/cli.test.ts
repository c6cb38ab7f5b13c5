import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flipSignedByte } from '../support/pdf.js';
import { issue } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
const dir = mkdtempSync(join(tmpdir(), 'feeproof-cli-'));

/** Runs the CLI without blocking: the server under test lives in this same process. */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ status: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'bin/feeproof.ts', ...args],
      { encoding: 'utf8', env: { ...process.env, ...env } },
      (error, stdout) =>
        resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout }),
    );
  });
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
