import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  calculateJwkThumbprint,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import { BoundedCache } from '../core/bounded-cache.js';
import type { Role } from '../runtime/routes.js';

/** The local stand-in for the Cognito user pool: issuer and audience checked like API Gateway's JWT authorizer. */
export const LOCAL_ISSUER = 'https://feeproof.local/issuer';
export const LOCAL_AUDIENCE = 'feeproof-local-client';
const ALG = 'ES256';

export interface IssuerKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  kid: string;
}

/** The issuer key's file in a data directory. */
export const issuerKeyPath = (dataDir: string) => join(dataDir, 'token-issuer-key.json');

/**
 * Loads the issuer key from the data directory, creating it (mode 0600) on first use; with
 * `create: false` a missing key is an error (the CLI: a key it made would sign tokens that
 * no running server accepts). A new key's kid is its JWK thumbprint (RFC 7638).
 */
export async function loadIssuerKey(dataDir: string, { create = true } = {}): Promise<IssuerKey> {
  const path = issuerKeyPath(dataDir);
  if (!existsSync(path)) {
    if (!create) throw new Error(`no token issuer key at ${path}`);
    const { privateKey } = await generateKeyPair(ALG, { extractable: true });
    const jwk = await exportJWK(privateKey);
    jwk.kid = await calculateJwkThumbprint(jwk);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(jwk), { mode: 0o600, flag: 'wx' });
  }
  const jwk = JSON.parse(readFileSync(path, 'utf8')) as JWK;
  const { d: _d, ...publicJwk } = jwk;
  return {
    privateKey: (await importJWK(jwk, ALG)) as CryptoKey,
    publicKey: (await importJWK(publicJwk, ALG)) as CryptoKey,
    kid: jwk.kid ?? 'local',
  };
}

export interface TokenRequest {
  role: Role;
  department?: string;
  username?: string;
  ttlSeconds?: number;
  /** Tests only: a different issuer or audience, to prove they are refused. */
  issuer?: string;
  audience?: string;
}

/** A token with the claims Cognito would put in an ID token. */
export async function issueToken(key: IssuerKey, request: TokenRequest): Promise<string> {
  const username =
    request.username ?? `${request.role}${request.department ? `-${request.department.toLowerCase()}` : ''}`;
  const claims: JWTPayload = {
    'cognito:groups': [request.role],
    username,
    ...(request.department ? { 'custom:department': request.department } : {}),
  };
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: ALG, kid: key.kid })
    .setSubject(`local|${username}`)
    .setIssuer(request.issuer ?? LOCAL_ISSUER)
    .setAudience(request.audience ?? LOCAL_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + (request.ttlSeconds ?? 3600))
    .sign(key.privateKey);
}

/**
 * The claims of a token, or null, decided as API Gateway's HTTP API JWT authorizer decides
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html):
 * the header's `kid` must name a key of the issuer (here the one local key) and `alg` must be
 * ES256; `iss` must be the issuer; `aud` must be the audience, or, only when there is no
 * `aud`, `client_id` (what a Cognito access token carries); `exp` is required and must be in
 * the future, `nbf` and `iat`, when present, must not be.
 */
export async function verifyToken(key: IssuerKey, token: string): Promise<JWTPayload | null> {
  const verified = verifiedTokens.get(key) ?? new BoundedCache<string, JWTPayload>(1_000);
  verifiedTokens.set(key, verified);
  const now = Math.floor(Date.now() / 1000);
  // A client sends the same token for its whole life: its signature and issuer are checked
  // once, its validity period at every use, by the same inForce on first and later uses.
  let payload = verified.get(token);
  if (!payload) {
    try {
      ({ payload } = await jwtVerify(token, (header) => keyById(key, header), {
        issuer: LOCAL_ISSUER,
        algorithms: [ALG],
        requiredClaims: ['exp'],
        currentDate: new Date(now * 1000),
      }));
    } catch {
      return null;
    }
    if (!forAudience(payload)) return null;
    verified.set(token, payload);
  }
  return inForce(payload, now) ? structuredClone(payload) : null;
}

/** A 401's message and `WWW-Authenticate` challenge. */
export interface BearerRefusal {
  message: string;
  challenge: string;
}

/**
 * The claims of a request's bearer token (its `Authorization` header), as verifyToken decides,
 * or why it was refused (bearerRefusal): what the local server does in API Gateway's place.
 */
export async function bearerClaims(
  key: IssuerKey,
  authorization: string | undefined,
): Promise<{ claims: JWTPayload } | { refusal: BearerRefusal }> {
  const token = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1];
  const claims = token ? await verifyToken(key, token) : null;
  return claims ? { claims } : { refusal: bearerRefusal(token) };
}

/**
 * Why a request's bearer token was refused, as a 401 says it: the message, and the
 * `WWW-Authenticate` challenge of RFC 6750 §3 (what API Gateway's JWT authorizer answers too).
 * An expired token is told apart, so that a client knows to sign in again rather than to look
 * for a fault; the expiry is read without the signature, for the wording alone.
 */
function bearerRefusal(token: string | undefined): BearerRefusal {
  if (!token) return { message: 'a valid bearer token is required', challenge: 'Bearer' };
  let expired = false;
  try {
    const { exp } = decodeJwt(token);
    expired = typeof exp === 'number' && exp <= Math.floor(Date.now() / 1000);
  } catch {} // not a JWT at all: invalid
  const description = expired ? 'the token has expired' : 'the token is not valid';
  return {
    message: `${description}: sign in again for a new one`,
    challenge: `Bearer error="invalid_token", error_description="${description}"`,
  };
}

/** The key a token's `kid` names, as the authorizer looks it up in the issuer's JWKS. */
function keyById(key: IssuerKey, header: JWTHeaderParameters): CryptoKey {
  if (header.kid !== key.kid) throw new Error('the token names no key of this issuer');
  return key.publicKey;
}

/** `aud` is evaluated when present; `client_id` only when there is no `aud`. */
function forAudience(payload: JWTPayload): boolean {
  if (payload.aud !== undefined)
    return (Array.isArray(payload.aud) ? payload.aud : [payload.aud]).includes(LOCAL_AUDIENCE);
  return payload.client_id === LOCAL_AUDIENCE;
}

/** `exp` after now, `nbf` and `iat` (when present) not after now; jose checked they are numbers. */
function inForce(payload: JWTPayload, now: number): boolean {
  return (
    typeof payload.exp === 'number' &&
    payload.exp > now &&
    (payload.nbf === undefined || payload.nbf <= now) &&
    (payload.iat === undefined || payload.iat <= now)
  );
}

/** Tokens whose signature, kid, issuer and audience were checked, per issuer key. */
const verifiedTokens = new WeakMap<IssuerKey, BoundedCache<string, JWTPayload>>();
