import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { BoundedCache } from '../../core/bounded-cache.js';
import type { Signer } from '../../core/signer.js';
import { OID as CERT_OID, fromDer, parseCertificate, sha256, signSha256 } from '../signing/certificate.js';

export const OID = {
  ...CERT_OID,
  sha256: '2.16.840.1.101.3.4.2.1',
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
} as const;

export class CmsSignError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CmsSignError';
  }
}

/** The parts of a signature by one certificate that every signature repeats, as DER. */
interface CertificateParts {
  spki: Uint8Array;
  certificate: Uint8Array;
  /** IssuerAndSerialNumber, the SignerInfo's sid. */
  sid: Uint8Array;
  signingCertificateAttribute: Uint8Array;
}

const encoded = (schema: { toBER(): ArrayBuffer }) => new Uint8Array(schema.toBER());

/**
 * Made once per process and key (every receipt is signed with the same certificate): pkijs
 * re-encoded the certificate and these parts at every signature, more than half the time of
 * a receipt's CMS, so a signature only writes the DER around them (tlv).
 */
const certificateParts = new BoundedCache<string, CertificateParts>(16);
const partsOf = (certificateDer: Uint8Array): CertificateParts =>
  certificateParts.getOrCompute(Buffer.from(certificateDer).toString('base64'), () => {
    const cert = parseCertificate(certificateDer);
    return {
      spki: encoded(cert.subjectPublicKeyInfo.toSchema()),
      certificate: certificateDer.slice(),
      sid: encoded(
        new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }).toSchema(),
      ),
      signingCertificateAttribute: encoded(
        attribute(OID.signingCertificateV2, signingCertificateV2(cert, certificateDer)).toSchema(),
      ),
    };
  });

const oid = (value: string) => encoded(new asn1js.ObjectIdentifier({ value }));
const DATA = oid(OID.data);
const SIGNED_DATA = oid(OID.signedData);
const MESSAGE_DIGEST = oid(OID.messageDigest);
const VERSION_1 = encoded(new asn1js.Integer({ value: 1 }));
const SHA256 = encoded(new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 }).toSchema());
const ECDSA_WITH_SHA256 = encoded(
  new pkijs.AlgorithmIdentifier({ algorithmId: OID.ecdsaWithSha256 }).toSchema(),
);
const CONTENT_TYPE_ATTRIBUTE = encoded(
  attribute(OID.contentType, new asn1js.ObjectIdentifier({ value: OID.data })).toSchema(),
);

/** One DER element: tag, definite length, contents. */
function tlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const length = contents.reduce((n, c) => n + c.length, 0);
  const lengthBytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) lengthBytes.unshift(n & 0xff);
  const header = length < 0x80 ? [tag, length] : [tag, 0x80 | lengthBytes.length, ...lengthBytes];
  const out = new Uint8Array(header.length + length);
  out.set(header);
  let at = header.length;
  for (const c of contents) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * A detached CAdES signature (CMS SignedData without eContent) over content whose SHA-256
 * is `contentDigest`, as PAdES baseline B-B wants it: signed attributes contentType,
 * messageDigest and signing-certificate-v2; no signing-time (the PDF's /M carries it);
 * ecdsa-with-SHA256 computed by the Signer port over the DER SET of signed attributes.
 */
export async function buildDetachedCms(
  contentDigest: Uint8Array,
  signer: Signer,
  certificateDer: Uint8Array,
): Promise<Uint8Array> {
  const parts = partsOf(certificateDer);
  if (!equalBytes(parts.spki, await signer.publicKeySpki()))
    throw new CmsSignError('the certificate is not for the signer key');

  const attributes = signedAttributesOf(parts, contentDigest);
  // What is signed is the attributes encoded as a SET (tag 0x31), not as the [0] IMPLICIT
  // field that the SignerInfo carries (RFC 5652 §5.4).
  const signedAttributes = tlv(0x31, ...attributes);
  return signedDataOf(parts, attributes, await signSha256(signer, signedAttributes));
}

/**
 * The longest DER ECDSA signature over a 256-bit curve (P-256, as every PAdES signature here
 * is; SM2 alike): SEQUENCE { INTEGER r, INTEGER s }, each 32 bytes and a leading zero at most.
 */
const MAX_SIGNATURE_DER = 2 + 2 * (2 + 33);

/**
 * The most bytes a detached CMS by this certificate can take (buildDetachedCms): everything in
 * it but the signature is fixed by the certificate, and the signature is at most
 * MAX_SIGNATURE_DER. What a PDF reserves for it: a certificate's names appear three times (in
 * the certificate, the signer's id and the signing-certificate attribute), so a long
 * department name takes as much room again as it does in the certificate.
 */
export function maxDetachedCmsBytes(certificateDer: Uint8Array): number {
  const parts = partsOf(certificateDer);
  const attributes = signedAttributesOf(parts, new Uint8Array(32)); // a SHA-256 digest's size
  return signedDataOf(parts, attributes, new Uint8Array(MAX_SIGNATURE_DER)).length;
}

/** The signed attributes over `contentDigest`, in the order DER encodes a SET OF (ascending). */
function signedAttributesOf(parts: CertificateParts, contentDigest: Uint8Array): Uint8Array[] {
  return [
    CONTENT_TYPE_ATTRIBUTE,
    tlv(0x30, MESSAGE_DIGEST, tlv(0x31, tlv(0x04, contentDigest))),
    parts.signingCertificateAttribute,
  ].sort(compareBytes);
}

/** The ContentInfo of a SignedData by `parts`' certificate: its signed attributes and signature. */
function signedDataOf(parts: CertificateParts, attributes: Uint8Array[], signature: Uint8Array): Uint8Array {
  const signerInfo = tlv(
    0x30,
    VERSION_1,
    parts.sid,
    SHA256,
    tlv(0xa0, ...attributes),
    ECDSA_WITH_SHA256,
    tlv(0x04, signature),
  );
  const signedData = tlv(
    0x30,
    VERSION_1,
    tlv(0x31, SHA256), // digestAlgorithms
    tlv(0x30, DATA), // encapContentInfo, detached
    tlv(0xa0, parts.certificate), // certificates [0] IMPLICIT
    tlv(0x31, signerInfo),
  );
  return tlv(0x30, SIGNED_DATA, tlv(0xa0, signedData)); // ContentInfo, content [0] EXPLICIT
}

/**
 * SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 } (RFC 5035), one
 * ESSCertIDv2 { certHash, issuerSerial } whose hashAlgorithm is left out because SHA-256 is
 * its DEFAULT.
 */
function signingCertificateV2(cert: pkijs.Certificate, certificateDer: Uint8Array): asn1js.Sequence {
  const issuerSerial = new pkijs.IssuerSerial({
    issuer: new pkijs.GeneralNames({ names: [new pkijs.GeneralName({ type: 4, value: cert.issuer })] }),
    serialNumber: cert.serialNumber,
  });
  const essCertIdV2 = new asn1js.Sequence({
    value: [new asn1js.OctetString({ valueHex: sha256(certificateDer) }), issuerSerial.toSchema()],
  });
  return new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertIdV2] })] });
}

function attribute(type: string, value: asn1js.BaseBlock): pkijs.Attribute {
  return new pkijs.Attribute({ type, values: [value] });
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, b) === 0;
}

/** What a verifier needs from a detached CMS signature, with the certificate's exact bytes. */
export interface ParsedCms {
  signedData: pkijs.SignedData;
  signerInfo: pkijs.SignerInfo;
  /** The signed attributes re-tagged as a SET: the bytes the signature covers. */
  signedAttributes: Uint8Array;
  /** The certificates as they appear in the CMS, byte for byte. */
  certificates: Uint8Array[];
}

/** Parses CMS SignedData with exactly one signer that has signed attributes; throws otherwise. */
export function parseDetachedCms(der: Uint8Array): ParsedCms {
  const root = fromDer(der, 'CMS');
  const contentInfo = new pkijs.ContentInfo({ schema: root });
  if (contentInfo.contentType !== OID.signedData) throw new CmsSignError('not CMS SignedData');
  const signedData = new pkijs.SignedData({ schema: contentInfo.content });
  if (signedData.signerInfos.length !== 1) throw new CmsSignError('expected exactly one signer');
  if (signedData.encapContentInfo.eContent) throw new CmsSignError('not a detached signature');
  const signerInfo = signedData.signerInfos[0]!;
  if (!signerInfo.signedAttrs) throw new CmsSignError('the signer has no signed attributes');
  return {
    signedData,
    signerInfo,
    signedAttributes: new Uint8Array(signerInfo.signedAttrs.encodedValue),
    certificates: rawCertificates(contentInfo.content),
  };
}

/** The [0] IMPLICIT certificates of a SignedData, as encoded (pkijs would re-encode them). */
function rawCertificates(signedData: unknown): Uint8Array[] {
  if (!(signedData instanceof asn1js.Sequence)) return [];
  const set = signedData.valueBlock.value.find(
    (e) => e.idBlock.tagClass === 3 && e.idBlock.tagNumber === 0 && e instanceof asn1js.Constructed,
  ) as asn1js.Constructed | undefined;
  return (set?.valueBlock.value ?? []).map((c) => new Uint8Array(c.valueBeforeDecodeView));
}

/** The single value of a signed attribute, or undefined. */
export function signedAttribute(signerInfo: pkijs.SignerInfo, type: string): asn1js.AsnType | undefined {
  const attr = signerInfo.signedAttrs?.attributes.find((a) => a.type === type);
  return attr?.values.length === 1 ? attr.values[0] : undefined;
}

/** The certHash of the first ESSCertIDv2 in a signing-certificate-v2 value, if it uses SHA-256. */
export function essCertHash(value: asn1js.AsnType | undefined): Uint8Array | undefined {
  const certs = value instanceof asn1js.Sequence ? value.valueBlock.value[0] : undefined;
  const first = certs instanceof asn1js.Sequence ? certs.valueBlock.value[0] : undefined;
  if (!(first instanceof asn1js.Sequence)) return undefined;
  let [hashOrAlgorithm, maybeHash] = first.valueBlock.value;
  if (hashOrAlgorithm instanceof asn1js.Sequence) {
    const algorithm = new pkijs.AlgorithmIdentifier({ schema: hashOrAlgorithm });
    if (algorithm.algorithmId !== OID.sha256) return undefined;
    hashOrAlgorithm = maybeHash;
  }
  return hashOrAlgorithm instanceof asn1js.OctetString
    ? new Uint8Array(hashOrAlgorithm.valueBlock.valueHexView)
    : undefined;
}
