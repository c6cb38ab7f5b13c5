import { createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CertificateFormatError,
  certificateFromPem,
  certificateToPem,
  createSelfSignedCertificate,
  OID,
  parseCertificate,
} from '../../../lambdas/adapters/signing/certificate.js';
import { openLocalSigner } from '../../../lambdas/adapters/signing/local-signer.js';
import type { Signer } from '../../../lambdas/core/signer.js';

let dir: string;
let signer: Signer;
let portSignatures: number;
let der: Uint8Array;

const notBefore = new Date('2026-01-01T00:00:00.789Z');
const notAfter = new Date('2036-01-01T00:00:00Z');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'feeproof-cert-'));
  const local = await openLocalSigner(join(dir, 'key.pem'));
  portSignatures = 0;
  // Either way through the port: the local key hashes the message itself (signSha256).
  signer = {
    ...local,
    signDigest: (digest) => {
      portSignatures++;
      return local.signDigest(digest);
    },
    signMessageSha256: (message) => {
      portSignatures++;
      return local.signMessageSha256!(message);
    },
  };
  der = await createSelfSignedCertificate(signer, {
    commonName: '某市财政局电子票据签名',
    organization: '某市财政局',
    country: 'CN',
    notBefore,
    notAfter,
    serial: Uint8Array.of(0x8f, 0x01, 0x02),
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createSelfSignedCertificate', () => {
  it('is signed through the Signer port and verifies with its public key (node:crypto)', async () => {
    expect(portSignatures).toBe(1);
    const cert = new X509Certificate(der);
    const publicKey = createPublicKey({
      key: Buffer.from(await signer.publicKeySpki()),
      format: 'der',
      type: 'spki',
    });
    expect(cert.verify(publicKey)).toBe(true);
    expect(cert.publicKey.export({ format: 'der', type: 'spki' })).toEqual(
      Buffer.from(await signer.publicKeySpki()),
    );
  });

  it('verifies with pkijs / WebCrypto too', async () => {
    expect(await parseCertificate(der).verify()).toBe(true);
  });

  it('reports subject, issuer, serial and validity (whole seconds)', () => {
    const cert = new X509Certificate(der);
    expect(cert.subject).toBe('C=CN\nO=某市财政局\nCN=某市财政局电子票据签名');
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.serialNumber).toBe('8F0102');
    // DER INTEGER: a leading zero byte keeps the serial positive.
    expect(Array.from(parseCertificate(der).serialNumber.valueBlock.valueHexView)).toEqual([
      0x00, 0x8f, 0x01, 0x02,
    ]);
    expect(new Date(cert.validFrom)).toEqual(new Date('2026-01-01T00:00:00Z'));
    expect(new Date(cert.validTo)).toEqual(notAfter);
    expect(cert.ca).toBe(false);
  });

  it('is X.509 v3, ecdsa-with-SHA256, with the required extensions', () => {
    const cert = parseCertificate(der);
    expect(cert.version).toBe(2);
    expect(cert.signatureAlgorithm.algorithmId).toBe(OID.ecdsaWithSha256);
    expect(cert.signature.algorithmId).toBe(OID.ecdsaWithSha256);
    const ext = (id: string) => cert.extensions?.find((e) => e.extnID === id);

    const keyUsage = ext(OID.keyUsage)!;
    expect(keyUsage.critical).toBe(true);
    const bits = asn1js.fromBER(keyUsage.extnValue.valueBlock.valueHexView).result as asn1js.BitString;
    expect(bits.valueBlock.valueHexView[0]! & 0xc0).toBe(0xc0); // digitalSignature, nonRepudiation
    expect(bits.valueBlock.valueHexView[0]! & 0x3f).toBe(0);

    const ski = ext(OID.subjectKeyIdentifier)!;
    expect(ski.critical).toBe(false);
    expect(ski.extnValue.valueBlock.valueHexView.length).toBe(22); // OCTET STRING of a SHA-1

    const basic = ext(OID.basicConstraints)!;
    expect(basic.critical).toBe(true);
    expect(Array.from(basic.extnValue.valueBlock.valueHexView)).toEqual([0x30, 0x00]); // cA FALSE
  });

  it('round-trips through PEM and describes itself', async () => {
    const pem = certificateToPem(der);
    expect(pem).toMatch(
      /^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END CERTIFICATE-----\n$/,
    );
    expect(certificateFromPem(pem)).toEqual(der);
    const x509 = new X509Certificate(der);
    expect(x509.subject).toContain('CN=某市财政局电子票据签名');
    expect(new Uint8Array(x509.publicKey.export({ format: 'der', type: 'spki' }))).toEqual(
      await signer.publicKeySpki(),
    );
  });

  it('refuses garbage and bad validity', async () => {
    expect(() => parseCertificate(Uint8Array.of(1, 2, 3))).toThrow(CertificateFormatError);
    expect(() => parseCertificate(Uint8Array.of(0x30, 0x00))).toThrow(CertificateFormatError);
    expect(() => certificateFromPem('nothing here')).toThrow(CertificateFormatError);
    await expect(
      createSelfSignedCertificate(signer, {
        commonName: 'x',
        organization: 'y',
        notBefore: notAfter,
        notAfter: notBefore,
      }),
    ).rejects.toThrow(RangeError);
  });

  it('uses GeneralizedTime from 2050 on', async () => {
    const later = await createSelfSignedCertificate(signer, {
      commonName: 'x',
      organization: 'y',
      notBefore,
      notAfter: new Date('2051-06-01T12:00:00Z'),
    });
    expect(new Date(new X509Certificate(later).validTo)).toEqual(new Date('2051-06-01T12:00:00Z'));
  });
});
