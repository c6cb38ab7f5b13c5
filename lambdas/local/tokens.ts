import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, type JWTPayload, jwtVerify, SignJWT } from 'jose';
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

/** Loads the issuer key from the data directory, creating it (mode 0600) on first use. */
export async function loadIssuerKey(dataDir: string): Promise<IssuerKey> {
  const path = join(dataDir, 'token-issuer-key.json');
  if (!existsSync(path)) {
    const { privateKey } = await generateKeyPair(ALG, { extractable: true });
    const jwk = await exportJWK(privateKey);
    jwk.kid = `local-${Date.now().toString(36)}`;
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

/** Checks signature, issuer, audience and expiry; returns the claims or null, as the authorizer would. */
export async function verifyToken(key: IssuerKey, token: string): Promise<JWTPayload | null> {
  const verified = verifiedTokens.get(key) ?? new BoundedCache<string, JWTPayload>(1_000);
  verifiedTokens.set(key, verified);
  const now = Date.now() / 1000;
  const hit = verified.get(token);
  // A client sends the same token for its whole life: its signature is checked once, its
  // validity period at every use.
  if (hit) return (hit.exp ?? 0) > now && (hit.nbf ?? 0) <= now ? structuredClone(hit) : null;
  try {
    const { payload } = await jwtVerify(token, key.publicKey, {
      issuer: LOCAL_ISSUER,
      audience: LOCAL_AUDIENCE,
      algorithms: [ALG],
    });
    verified.set(token, payload);
    return structuredClone(payload);
  } catch {
    return null;
  }
}

/** Tokens whose signature, issuer and audience were checked, per issuer key. */
const verifiedTokens = new WeakMap<IssuerKey, BoundedCache<string, JWTPayload>>();
