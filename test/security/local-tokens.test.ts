import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type IssuerKey, issueToken, loadIssuerKey, verifyToken } from '../../lambdas/local/tokens.js';

let key: IssuerKey;
beforeAll(async () => {
  key = await loadIssuerKey(mkdtempSync(join(tmpdir(), 'feeproof-tokens-')));
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the local authorizer (verifyToken)', () => {
  it('accepts a token again and again while it is valid, and refuses it once it has expired', async () => {
    const token = await issueToken(key, { role: 'collector', department: 'GA', ttlSeconds: 60 });
    expect(await verifyToken(key, token)).toMatchObject({ 'custom:department': 'GA' });
    expect(await verifyToken(key, token)).toMatchObject({ 'cognito:groups': ['collector'] });
    vi.useFakeTimers({ now: Date.now() + 61_000 });
    expect(await verifyToken(key, token)).toBeNull();
  });

  it('refuses a token of another issuer key even after the right key has seen it', async () => {
    const token = await issueToken(key, { role: 'finance' });
    expect(await verifyToken(key, token)).not.toBeNull();
    const other = await loadIssuerKey(mkdtempSync(join(tmpdir(), 'feeproof-tokens-')));
    expect(await verifyToken(other, token)).toBeNull();
  });

  it('hands out claims the caller cannot change for the next request', async () => {
    const token = await issueToken(key, { role: 'auditor' });
    const first = await verifyToken(key, token);
    (first!['cognito:groups'] as string[]).push('finance');
    expect((await verifyToken(key, token))!['cognito:groups']).toEqual(['auditor']);
  });
});
