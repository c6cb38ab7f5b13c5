/**
 * Sign-in for the console: the OAuth 2.0 authorization-code flow with PKCE against the issuer
 * named by the configuration (Cognito's managed login in AWS, the local server's stand-in
 * locally); the code is the same in both places.
 *
 * Tokens live in this module's memory only, never in localStorage or sessionStorage: a script
 * injected into the page cannot read them from storage, and a closed tab forgets them. What
 * does go to sessionStorage is the PKCE verifier and state, for the one round trip to the
 * sign-in page and back (useless without the single-use code), and the cashier's draft
 * (draft.ts), so that signing in again loses no form.
 */

export interface ConsoleConfig {
  /** Base URL of the OAuth endpoints (`/oauth2/authorize`, `/oauth2/token`, `/oauth2/revoke`, `/logout`). */
  authority: string;
  clientId: string;
  /** The console's URL as registered with the app client (callback and sign-out URL). */
  redirectUri: string;
  /** Base URL of the API. */
  api: string;
}

export type Role = 'finance' | 'collector' | 'auditor';

export interface User {
  username: string;
  roles: Role[];
  department?: string;
}

interface Tokens {
  idToken: string;
  refreshToken?: string;
  /** Milliseconds since the epoch, a minute early so that a request never carries a dying token. */
  expiresAt: number;
  user: User;
}

const FLOW_KEY = 'feeproof.console.sign-in';

let tokens: Tokens | null = null;

const base64url = (bytes: ArrayBuffer | Uint8Array) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

const randomText = (bytes: number) => base64url(crypto.getRandomValues(new Uint8Array(bytes)));

/** The claims of a JWT, read (not verified: the API verifies; the console only shows who is signed in). */
function claimsOf(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1] ?? '';
  const binary = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
}

function userOf(idToken: string): User {
  const claims = claimsOf(idToken);
  const groups = claims['cognito:groups'];
  const department = claims['custom:department'];
  return {
    username: String(claims['cognito:username'] ?? claims.username ?? claims.sub),
    roles: (Array.isArray(groups) ? groups : []).filter((g): g is Role =>
      ['finance', 'collector', 'auditor'].includes(g),
    ),
    ...(typeof department === 'string' ? { department } : {}),
  };
}

export function currentUser(): User | null {
  return tokens?.user ?? null;
}

/** Goes to the sign-in page; it comes back to the console with a code. */
export async function startSignIn(config: ConsoleConfig): Promise<never> {
  const verifier = randomText(32);
  const state = randomText(16);
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(FLOW_KEY, JSON.stringify({ verifier, state }));
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: 'openid',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  location.assign(`${config.authority}/oauth2/authorize?${query}`);
  return new Promise<never>(() => {}); // the page is leaving
}

async function tokenRequest(config: ConsoleConfig, fields: Record<string, string>) {
  const res = await fetch(`${config.authority}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: config.clientId, ...fields }),
  });
  if (!res.ok) return null;
  return (await res.json()) as {
    id_token: string;
    refresh_token?: string;
    expires_in: number;
  };
}

function keep(answer: { id_token: string; refresh_token?: string; expires_in: number }) {
  tokens = {
    idToken: answer.id_token,
    refreshToken: answer.refresh_token ?? tokens?.refreshToken,
    expiresAt: Date.now() + (answer.expires_in - 60) * 1000,
    user: userOf(answer.id_token),
  };
}

/**
 * Back from the sign-in page: exchanges the code (with the verifier) for tokens and takes the
 * code out of the address bar. False when the URL carries no code or the exchange failed.
 */
export async function completeSignIn(config: ConsoleConfig): Promise<boolean> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  if (!code) return false;
  const flow = JSON.parse(sessionStorage.getItem(FLOW_KEY) ?? 'null') as {
    verifier: string;
    state: string;
  } | null;
  sessionStorage.removeItem(FLOW_KEY);
  history.replaceState(null, '', new URL(config.redirectUri).pathname);
  if (!flow || params.get('state') !== flow.state) return false;
  const answer = await tokenRequest(config, {
    grant_type: 'authorization_code',
    code,
    code_verifier: flow.verifier,
    redirect_uri: config.redirectUri,
  });
  if (!answer) return false;
  keep(answer);
  return true;
}

/** New tokens from the refresh token; false when there is none or it was refused (expired, revoked). */
export async function refresh(config: ConsoleConfig): Promise<boolean> {
  const refreshToken = tokens?.refreshToken;
  if (!refreshToken) return false;
  const answer = await tokenRequest(config, { grant_type: 'refresh_token', refresh_token: refreshToken });
  if (!answer) {
    tokens = null;
    return false;
  }
  keep(answer);
  return true;
}

/** The bearer token for the API (Cognito's ID token: it carries custom:department), refreshed when due. */
export async function bearer(config: ConsoleConfig): Promise<string | null> {
  if (tokens && tokens.expiresAt <= Date.now()) await refresh(config);
  return tokens?.idToken ?? null;
}

/** Revokes the refresh token, forgets the tokens and signs out of the managed login. */
export async function signOut(config: ConsoleConfig): Promise<void> {
  const refreshToken = tokens?.refreshToken;
  tokens = null;
  if (refreshToken)
    await fetch(`${config.authority}/oauth2/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshToken, client_id: config.clientId }),
    }).catch(() => undefined);
  const query = new URLSearchParams({
    client_id: config.clientId,
    logout_uri: `${config.redirectUri}?signed-out=1`,
  });
  location.assign(`${config.authority}/logout?${query}`);
}
