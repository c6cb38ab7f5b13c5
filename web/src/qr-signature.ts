/**
 * Offline check of the compact signature that a receipt's QR code carries: ECDSA P-256 with
 * SHA-256 over `feeproof-qr-v1|code|number|checkCode|issueDate|total`, the 64-byte r||s
 * value in base64url, made with the key named by `kid` (published by GET /v1/keys).
 * Runs wherever WebCrypto does (browsers in a secure context, Node 20).
 */

export interface QrParams {
  code: string;
  number: string;
  checkCode: string;
  /** Issue date as printed, `YYYY-MM-DD`. */
  d: string;
  /** Total in yuan, e.g. `80.00`. */
  t: string;
  kid: string;
  sig: string;
}

export interface PublishedKey {
  keyId: string;
  status: 'current' | 'retired' | string;
  notBefore?: string;
  notAfter?: string;
  certificatePem?: string;
  jwk: { kty: string; crv: string; x: string; y: string };
}

export type OfflineResult =
  | { state: 'valid'; key: PublishedKey }
  | { state: 'invalid'; reason: OfflineReason; key?: PublishedKey }
  | { state: 'unavailable'; reason: OfflineReason };

export type OfflineReason =
  | 'incomplete'
  | 'malformed_signature'
  | 'unknown_key'
  | 'bad_key'
  | 'signature_mismatch'
  | 'no_webcrypto'
  | 'keys_unreachable';

export function qrMessage(p: Omit<QrParams, 'kid' | 'sig'>): Uint8Array {
  return new TextEncoder().encode(`feeproof-qr-v1|${p.code}|${p.number}|${p.checkCode}|${p.d}|${p.t}`);
}

/** base64url (padding optional) to bytes; null when it is not base64url. */
export function fromBase64Url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) return null;
  const b64 = text.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  if (b64.length % 4 === 1) return null;
  try {
    const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** The QR parameters of a verification URL's query, or null when it carries no signature. */
export function qrParamsOf(search: URLSearchParams): Partial<QrParams> | null {
  if (!search.has('sig') && !search.has('kid')) return null;
  const get = (name: keyof QrParams) => search.get(name) ?? undefined;
  return {
    code: get('code'),
    number: get('number'),
    checkCode: get('checkCode'),
    d: get('d'),
    t: get('t'),
    kid: get('kid'),
    sig: get('sig'),
  };
}

function isComplete(p: Partial<QrParams>): p is QrParams {
  return (['code', 'number', 'checkCode', 'd', 't', 'kid', 'sig'] as const).every(
    (k) => typeof p[k] === 'string' && p[k] !== '',
  );
}

/** Verifies the QR signature against the published keys (already fetched). */
export async function verifyQrSignature(
  params: Partial<QrParams>,
  keys: readonly PublishedKey[],
  subtle: SubtleCrypto | null = globalThis.crypto?.subtle ?? null,
): Promise<OfflineResult> {
  if (!isComplete(params)) return { state: 'invalid', reason: 'incomplete' };
  if (!subtle) return { state: 'unavailable', reason: 'no_webcrypto' };
  const signature = fromBase64Url(params.sig);
  if (signature?.length !== 64) return { state: 'invalid', reason: 'malformed_signature' };
  const key = keys.find((k) => k.keyId === params.kid);
  if (!key) return { state: 'invalid', reason: 'unknown_key' };
  let publicKey: CryptoKey;
  try {
    if (key.jwk.kty !== 'EC' || key.jwk.crv !== 'P-256') throw new Error('not a P-256 key');
    publicKey = await subtle.importKey(
      'jwk',
      { kty: 'EC', crv: 'P-256', x: key.jwk.x, y: key.jwk.y, ext: true },
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    );
  } catch {
    return { state: 'invalid', reason: 'bad_key', key };
  }
  const ok = await subtle.verify(
    { name: 'ECDSA', hash: 'SHA-256' },
    publicKey,
    signature as Uint8Array<ArrayBuffer>,
    qrMessage(params) as Uint8Array<ArrayBuffer>,
  );
  return ok ? { state: 'valid', key } : { state: 'invalid', reason: 'signature_mismatch', key };
}

export const OFFLINE_REASONS: Record<OfflineReason, readonly [string, string]> = {
  incomplete: ['二维码参数不完整', 'the QR code lacks some of its fields'],
  malformed_signature: ['签名格式错误', 'the signature is malformed'],
  unknown_key: ['签名密钥不是本系统公布的密钥', 'the signing key is not one this service publishes'],
  bad_key: ['公布的密钥无法使用', 'the published key cannot be used'],
  signature_mismatch: [
    '签名与二维码内容不符，内容可能被改动',
    'the signature does not match the QR content, which may have been altered',
  ],
  no_webcrypto: ['此浏览器不支持离线验签', 'this browser cannot check signatures offline'],
  keys_unreachable: ['无法获取公钥', 'the public keys could not be fetched'],
};
