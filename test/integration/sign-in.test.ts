/**
 * The local stand-in for Cognito's managed login, over HTTP: the authorization-code flow with
 * PKCE, single-use codes, refresh and revocation, tokens in Cognito's shape that the API takes;
 * and proof that it is local only: no sign-in path is in the route table, which is what the
 * CDK stack makes its HTTP API routes from (one route per entry).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CLIENT_ID, seedUsers } from '../../lambdas/local/sign-in.js';
import { ROUTES } from '../../lambdas/runtime/routes.js';
import { registrationCharge } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
let redirectUri: string;

beforeAll(async () => {
  svc = await startTestService();
  redirectUri = `${svc.url}/console`;
});
afterAll(async () => svc?.stop());

const SIGN_IN_PATHS = ['/oauth2/authorize', '/oauth2/token', '/oauth2/revoke', '/login', '/logout'];

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

const authorizeParams = (challenge: string, overrides: Record<string, string> = {}) => ({
  response_type: 'code',
  client_id: LOCAL_CLIENT_ID,
  redirect_uri: redirectUri,
  state: 'state-123',
  code_challenge: challenge,
  code_challenge_method: 'S256',
  ...overrides,
});

const form = (path: string, fields: Record<string, string>) =>
  fetch(`${svc.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
    redirect: 'manual',
  });

/** Signs in as `username` through the sign-in page's form; the code from the redirect to the console. */
async function authorize(username: string, challenge: string): Promise<string> {
  const res = await form('/login', { ...authorizeParams(challenge), username });
  expect(res.status).toBe(302);
  const back = new URL(res.headers.get('location')!);
  expect(`${back.origin}${back.pathname}`).toBe(redirectUri);
  expect(back.searchParams.get('state')).toBe('state-123');
  return back.searchParams.get('code')!;
}

const exchange = (code: string, verifier: string) =>
  form('/oauth2/token', {
    grant_type: 'authorization_code',
    client_id: LOCAL_CLIENT_ID,
    code,
    code_verifier: verifier,
    redirect_uri: redirectUri,
  });

const refresh = (refreshToken: string) =>
  form('/oauth2/token', {
    grant_type: 'refresh_token',
    client_id: LOCAL_CLIENT_ID,
    refresh_token: refreshToken,
  });

/** The ID token is what the console sends: the API must take it. */
const checkAs = (idToken: string) =>
  svc.api('POST', '/v1/charges/check', { token: idToken, json: registrationCharge() });

describe('local sign-in (the stand-in for Cognito managed login)', () => {
  it('shows a sign-in page listing the users of the users file, seeded on first use', async () => {
    const { challenge } = pkce();
    const res = await fetch(`${svc.url}/oauth2/authorize?${new URLSearchParams(authorizeParams(challenge))}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const users = JSON.parse(readFileSync(join(svc.dataDir, 'users.json'), 'utf8')).users;
    expect(users).toEqual(seedUsers());
    expect(users.map((u: { role: string }) => u.role).sort()).toEqual([
      'auditor',
      ...Array(6).fill('collector'),
      'finance',
    ]);
    for (const u of users) expect(html).toContain(`value="${u.username}"`);
    // The authorization request travels through the form unchanged.
    expect(html).toContain(`name="code_challenge" value="${challenge}"`);
  });

  it('refuses an authorization request without PKCE or with a foreign redirect_uri', async () => {
    const { challenge } = pkce();
    const cases: Record<string, string>[] = [
      { code_challenge_method: 'plain' },
      { code_challenge: 'short' },
      { redirect_uri: 'https://evil.example/console' },
      { client_id: 'another-client' },
      { response_type: 'token' },
    ];
    for (const overrides of cases) {
      const query = new URLSearchParams(authorizeParams(challenge, overrides));
      const res = await fetch(`${svc.url}/oauth2/authorize?${query}`);
      expect(res.status, JSON.stringify(overrides)).toBe(400);
      const posted = await form('/login', { ...authorizeParams(challenge, overrides), username: 'finance' });
      expect(posted.status, JSON.stringify(overrides)).toBe(400);
    }
  });

  it('exchanges a code and its verifier for tokens in Cognito shape that the API takes', async () => {
    const { verifier, challenge } = pkce();
    const code = await authorize('collector-zrzy', challenge);
    const res = await exchange(code, verifier);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const tokens = await res.json();
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    const id = decodeJwt(tokens.id_token);
    expect(id).toMatchObject({
      aud: LOCAL_CLIENT_ID,
      'cognito:groups': ['collector'],
      'custom:department': 'ZRZY',
      username: 'collector-zrzy',
    });
    const access = decodeJwt(tokens.access_token);
    expect(access).toMatchObject({
      client_id: LOCAL_CLIENT_ID,
      token_use: 'access',
      username: 'collector-zrzy',
    });
    expect(access.aud).toBeUndefined();
    expect(typeof tokens.refresh_token).toBe('string');
    expect((await checkAs(tokens.id_token)).status).toBe(200);
  });

  it('refuses a wrong verifier, and the code is spent by it', async () => {
    const { verifier, challenge } = pkce();
    const code = await authorize('collector-zrzy', challenge);
    const wrong = await exchange(code, pkce().verifier);
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_grant' });
    expect((await exchange(code, verifier)).status).toBe(400);
  });

  it('refuses a code used a second time, even with the right verifier, and one never issued', async () => {
    const { verifier, challenge } = pkce();
    const code = await authorize('finance', challenge);
    const [first, second] = await Promise.all([exchange(code, verifier), exchange(code, verifier)]);
    expect([first.status, second.status].sort()).toEqual([200, 400]);
    const third = await exchange(code, verifier);
    expect(third.status).toBe(400);
    expect(await third.json()).toMatchObject({ error: 'invalid_grant' });
    expect((await exchange(randomBytes(32).toString('base64url'), verifier)).status).toBe(400);
  });

  it('refreshes with the refresh token until it is revoked', async () => {
    const { verifier, challenge } = pkce();
    const tokens = await (await exchange(await authorize('collector-zrzy', challenge), verifier)).json();
    const refreshed = await refresh(tokens.refresh_token);
    expect(refreshed.status).toBe(200);
    const again = await refreshed.json();
    expect(again.refresh_token).toBeUndefined();
    expect(decodeJwt(again.id_token)).toMatchObject({ 'custom:department': 'ZRZY' });
    expect((await checkAs(again.id_token)).status).toBe(200);

    const revoked = await form('/oauth2/revoke', { token: tokens.refresh_token, client_id: LOCAL_CLIENT_ID });
    expect(revoked.status).toBe(200);
    const after = await refresh(tokens.refresh_token);
    expect(after.status).toBe(400);
    expect(await after.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('never takes a code or a refresh token as a bearer token', async () => {
    const { verifier, challenge } = pkce();
    const code = await authorize('collector-zrzy', challenge);
    expect((await checkAs(code)).status).toBe(401);
    const tokens = await (await exchange(code, verifier)).json();
    expect((await checkAs(tokens.refresh_token)).status).toBe(401);
  });

  it('signs out to the console, and nowhere else', async () => {
    const logout = (uri: string) =>
      fetch(`${svc.url}/logout?${new URLSearchParams({ client_id: LOCAL_CLIENT_ID, logout_uri: uri })}`, {
        redirect: 'manual',
      });
    const ok = await logout(`${redirectUri}?signed-out=1`);
    expect(ok.status).toBe(302);
    expect(ok.headers.get('location')).toBe(`${redirectUri}?signed-out=1`);
    expect((await logout('https://evil.example/')).status).toBe(400);
  });
});

describe('the local sign-in is never deployed', () => {
  it('is not in the route table', () => {
    const paths = ROUTES.map((r) => r.path);
    for (const path of SIGN_IN_PATHS) expect(paths).not.toContain(path);
    expect(paths.filter((p) => /oauth2|login|logout/i.test(p))).toEqual([]);
  });
});
