import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type IssuerKey,
  issueToken,
  LOCAL_AUDIENCE,
  LOCAL_ISSUER,
  loadIssuerKey,
  verifyToken,
} from '../../lambdas/local/tokens.js';

let key: IssuerKey;
beforeAll(async () => {
  key = await loadIssuerKey(mkdtempSync(join(tmpdir(), 'feeproof-tokens-')));
});
afterEach(() => {
  vi.useRealTimers();
});

const now = () => Math.floor(Date.now() / 1000);

/** A token made by hand: the claims a local token carries, with `claims` laid over (undefined removes one). */
async function handMade(
  claims: Record<string, unknown> = {},
  header: { alg?: string; kid?: string | null } = {},
  signingKey: CryptoKey | Uint8Array = key.privateKey,
): Promise<string> {
  const payload: JWTPayload = {
    'cognito:groups': ['finance'],
    sub: 'local|hand-made',
    iss: LOCAL_ISSUER,
    aud: LOCAL_AUDIENCE,
    iat: now(),
    exp: now() + 3600,
    ...claims,
  };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  const kid = header.kid === null ? undefined : (header.kid ?? key.kid);
  return new SignJWT(payload).setProtectedHeader({ alg: header.alg ?? 'ES256', kid }).sign(signingKey);
}

/** The authorizer's answer on a token's first use and on its next, which must agree. */
async function twice(token: string) {
  return [await verifyToken(key, token), await verifyToken(key, token)];
}

describe('the local authorizer (verifyToken) checks what API Gateway JWT authorizer checks', () => {
  it('accepts a well-formed hand-made token (the baseline the refusals below differ from)', async () => {
    const [first, second] = await twice(await handMade());
    expect(first).toMatchObject({ 'cognito:groups': ['finance'] });
    expect(second).toMatchObject({ 'cognito:groups': ['finance'] });
  });

  it('refuses a token without exp, on its first use as on later ones', async () => {
    expect(await twice(await handMade({ exp: undefined }))).toEqual([null, null]);
  });

  it('refuses a token whose exp is not a number', async () => {
    expect(await twice(await handMade({ exp: String(now() + 3600) }))).toEqual([null, null]);
  });

  it('refuses a token without kid, and one whose kid names no key of the issuer', async () => {
    expect(await twice(await handMade({}, { kid: null }))).toEqual([null, null]);
    expect(await twice(await handMade({}, { kid: 'some-other-key' }))).toEqual([null, null]);
  });

  it('refuses another algorithm, even under the right kid, and an unsigned token', async () => {
    const p384 = await generateKeyPair('ES384');
    expect(await twice(await handMade({}, { alg: 'ES384' }, p384.privateKey))).toEqual([null, null]);
    const secret = new TextEncoder().encode('a shared secret of thirty-two bytes!');
    expect(await twice(await handMade({}, { alg: 'HS256' }, secret))).toEqual([null, null]);
    const [header, payload] = (await handMade()).split('.');
    const unsigned = JSON.parse(Buffer.from(header!, 'base64url').toString());
    const none = Buffer.from(JSON.stringify({ ...unsigned, alg: 'none' })).toString('base64url');
    expect(await twice(`${none}.${payload}.`)).toEqual([null, null]);
  });

  it('refuses a token signed by another key under the issuer key kid', async () => {
    const forger = await generateKeyPair('ES256');
    expect(await twice(await handMade({}, {}, forger.privateKey))).toEqual([null, null]);
  });

  it('refuses an expired token, and one that expires this very second', async () => {
    expect(await twice(await handMade({ iat: now() - 120, exp: now() - 60 }))).toEqual([null, null]);
    expect(await twice(await handMade({ exp: now() }))).toEqual([null, null]);
  });

  it('refuses a token before its nbf and before its iat, and accepts it once that time has come', async () => {
    const notYet = await handMade({ nbf: now() + 60 });
    const issuedLater = await handMade({ iat: now() + 60 });
    expect(await twice(notYet)).toEqual([null, null]);
    expect(await twice(issuedLater)).toEqual([null, null]);
    vi.useFakeTimers({ now: Date.now() + 61_000 });
    expect(await verifyToken(key, notYet)).not.toBeNull();
    expect(await verifyToken(key, issuedLater)).not.toBeNull();
  });

  it('refuses a token without iss or with another issuer', async () => {
    expect(await twice(await handMade({ iss: undefined }))).toEqual([null, null]);
    expect(await twice(await handMade({ iss: 'https://evil.example/issuer' }))).toEqual([null, null]);
  });

  it('refuses another audience; client_id counts only when there is no aud', async () => {
    expect(await twice(await handMade({ aud: 'some-other-client' }))).toEqual([null, null]);
    expect(await twice(await handMade({ aud: undefined }))).toEqual([null, null]);
    expect(await twice(await handMade({ aud: ['x', LOCAL_AUDIENCE] }))).not.toContain(null);
    // A Cognito access token: client_id, no aud.
    expect(await twice(await handMade({ aud: undefined, client_id: LOCAL_AUDIENCE }))).not.toContain(null);
    expect(await twice(await handMade({ aud: undefined, client_id: 'other' }))).toEqual([null, null]);
    expect(await twice(await handMade({ aud: 'other', client_id: LOCAL_AUDIENCE }))).toEqual([null, null]);
  });

  it('accepts a token again and again while it is valid, and refuses it once it has expired', async () => {
    const token = await issueToken(key, { role: 'collector', department: 'GA', ttlSeconds: 60 });
    expect(await verifyToken(key, token)).toMatchObject({ 'custom:department': 'GA' });
    expect(await verifyToken(key, token)).toMatchObject({ 'cognito:groups': ['collector'] });
    vi.useFakeTimers({ now: Date.now() + 61_000 });
    expect(await twice(token)).toEqual([null, null]);
  });

  it('refuses a token of another issuer key even after the right key has seen it', async () => {
    const token = await issueToken(key, { role: 'finance' });
    expect(await verifyToken(key, token)).not.toBeNull();
    const other = await loadIssuerKey(mkdtempSync(join(tmpdir(), 'feeproof-tokens-')));
    expect(other.kid).not.toBe(key.kid);
    expect(await verifyToken(other, token)).toBeNull();
  });

  it('hands out claims the caller cannot change for the next request', async () => {
    const token = await issueToken(key, { role: 'auditor' });
    const first = await verifyToken(key, token);
    (first!['cognito:groups'] as string[]).push('finance');
    expect((await verifyToken(key, token))!['cognito:groups']).toEqual(['auditor']);
  });
});
