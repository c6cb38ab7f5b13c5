import { createHash, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { Signer } from '../../core/signer.js';
import { type Sm2Signer, signSm2Message } from './sm2.js';

export const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  /** SM2 signature with SM3 (GM/T 0006), as GM/T 0015 certificates are signed. */
  sm2WithSm3: '1.2.156.10197.1.501',
  commonName: '2.5.4.3',
  country: '2.5.4.6',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
} as const;

export class CertificateFormatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CertificateFormatError';
  }
}

export interface SelfSignedOptions {
  commonName: string;
  organization: string;
  country?: 'CN';
  notBefore: Date;
  notAfter: Date;
  /** Big-endian serial; a random positive 16-byte serial when absent. */
  serial?: Uint8Array;
}

/**
 * A self-signed X.509 v3 certificate for the signer's key, signed through the Signer port
 * (signSha256), so it works the same with a key file and with KMS.
 */
export async function createSelfSignedCertificate(
  signer: Signer,
  opts: SelfSignedOptions,
): Promise<Uint8Array> {
  return selfSigned(
    await signer.publicKeySpki(),
    OID.ecdsaWithSha256,
    (tbs) => signSha256(signer, tbs),
    opts,
  );
}

/**
 * The same for an SM2 key (a department's SM2 key, locally or in KMS): signature algorithm
 * SM2-with-SM3, the signature over e = SM3(Z ‖ tbs) with Z from the key and its ID (the default
 * 1234567812345678, as GM/T 0015 certificates use), through the Sm2Signer port.
 */
export async function createSelfSignedSm2Certificate(
  signer: Sm2Signer,
  opts: SelfSignedOptions,
): Promise<Uint8Array> {
  return selfSigned(await signer.publicKeySpki(), OID.sm2WithSm3, (tbs) => signSm2Message(signer, tbs), opts);
}

async function selfSigned(
  spki: Uint8Array,
  algorithmId: string,
  sign: (tbs: Uint8Array) => Promise<Uint8Array>,
  opts: SelfSignedOptions,
): Promise<Uint8Array> {
  if (!(opts.notBefore < opts.notAfter)) throw new RangeError('notBefore must be before notAfter');
  const publicKeyInfo = new pkijs.PublicKeyInfo({ schema: fromDer(spki, 'public key') });
  const name = distinguishedName(opts);
  const algorithm = new pkijs.AlgorithmIdentifier({ algorithmId });

  const cert = new pkijs.Certificate({
    version: 2, // v3
    serialNumber: new asn1js.Integer({ valueHex: positiveInteger(opts.serial ?? randomBytes(16)) }),
    signature: algorithm,
    issuer: name,
    subject: name,
    notBefore: certificateTime(opts.notBefore),
    notAfter: certificateTime(opts.notAfter),
    subjectPublicKeyInfo: publicKeyInfo,
    extensions: [
      // digitalSignature (bit 0) + nonRepudiation (bit 1): 0b11 followed by six unused bits.
      extension(
        OID.keyUsage,
        true,
        new asn1js.BitString({ valueHex: new Uint8Array([0xc0]), unusedBits: 6 }),
      ),
      extension(
        OID.subjectKeyIdentifier,
        false,
        new asn1js.OctetString({ valueHex: keyIdentifier(publicKeyInfo) }),
      ),
      // cA FALSE is the DEFAULT, so DER leaves the SEQUENCE empty.
      extension(OID.basicConstraints, true, new asn1js.Sequence({ value: [] })),
    ],
    signatureAlgorithm: algorithm,
  });

  cert.tbsView = new Uint8Array(cert.encodeTBS().toBER());
  const signature = await sign(cert.tbsView);
  cert.signatureValue = new asn1js.BitString({ valueHex: signature });
  return new Uint8Array(cert.toSchema().toBER());
}

export function certificateToPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
}

export function certificateFromPem(pem: string): Uint8Array {
  const m = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new CertificateFormatError('no PEM certificate found');
  return new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
}

/** The certificate as a pkijs object (for CMS building and checking). */
export function parseCertificate(der: Uint8Array): pkijs.Certificate {
  try {
    return new pkijs.Certificate({ schema: fromDer(der, 'certificate') });
  } catch (cause) {
    throw new CertificateFormatError('not a DER X.509 certificate', { cause });
  }
}

export function sha256(data: string | Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/**
 * ECDSA P-256 with SHA-256 over `message`, DER: hashed by the signer where it hashes itself (a
 * local key: node:crypto, some twenty times faster than @noble/curves over a digest), else over
 * the digest computed here (KMS, MessageType DIGEST). Every signature a receipt carries goes
 * through here.
 */
export function signSha256(signer: Signer, message: string | Uint8Array): Promise<Uint8Array> {
  if (!signer.signMessageSha256) return signer.signDigest(sha256(message));
  return signer.signMessageSha256(typeof message === 'string' ? Buffer.from(message) : message);
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Parses DER into an asn1js tree; refuses trailing bytes. */
export function fromDer(der: Uint8Array, what: string): asn1js.AsnType {
  const asn1 = asn1js.fromBER(der);
  if (asn1.offset === -1 || asn1.offset !== der.byteLength)
    throw new CertificateFormatError(`${what}: malformed DER (${asn1.result.error || 'trailing bytes'})`);
  return asn1.result;
}

/** C, O, CN, each in its own RDN (pkijs would put them all in one multi-valued RDN). */
function distinguishedName(opts: SelfSignedOptions): pkijs.RelativeDistinguishedNames {
  const rdn = (type: string, value: asn1js.BaseBlock) =>
    new asn1js.Set({
      value: [new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: type }), value] })],
    });
  const sequence = new asn1js.Sequence({
    value: [
      rdn(OID.country, new asn1js.PrintableString({ value: opts.country ?? 'CN' })),
      rdn(OID.organization, new asn1js.Utf8String({ value: opts.organization })),
      rdn(OID.commonName, new asn1js.Utf8String({ value: opts.commonName })),
    ],
  });
  return new pkijs.RelativeDistinguishedNames({ schema: fromDer(new Uint8Array(sequence.toBER()), 'name') });
}

/** RFC 5280: UTCTime through 2049, GeneralizedTime after; whole seconds only. */
function certificateTime(date: Date): pkijs.Time {
  const value = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return new pkijs.Time({ type: value.getUTCFullYear() < 2050 ? 0 : 1, value });
}

/** Minimal two's-complement encoding of a positive serial. */
function positiveInteger(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && bytes[start + 1]! < 0x80) start++;
  const trimmed = bytes.slice(start);
  if (trimmed.length === 0 || trimmed.every((b) => b === 0)) throw new RangeError('serial must be positive');
  return trimmed[0]! >= 0x80 ? Uint8Array.of(0, ...trimmed) : trimmed;
}

/** RFC 5280 method 1: SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(info: pkijs.PublicKeyInfo): Uint8Array {
  return new Uint8Array(createHash('sha1').update(info.subjectPublicKey.valueBlock.valueHexView).digest());
}

function extension(extnID: string, critical: boolean, value: asn1js.BaseBlock): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER() });
}
