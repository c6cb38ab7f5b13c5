import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { describe, expect, it } from 'vitest';
import {
  buildDetachedCms,
  maxDetachedCmsBytes,
  OID,
  parseDetachedCms,
  signedAttribute,
} from '../../../lambdas/adapters/pdf/cms.js';
import { createSelfSignedCertificate } from '../../../lambdas/adapters/signing/certificate.js';
import { openLocalSigner } from '../../../lambdas/adapters/signing/local-signer.js';

describe('buildDetachedCms', () => {
  // It writes the DER itself around parts encoded once per certificate: what it writes must be
  // what pkijs reads and would write again, byte for byte, for short and long certificates.
  it.each([
    ['a short', 'feeproof'],
    ['a long (lengths over 127 bytes)', `feeproof 电子票据签名 ${'长'.repeat(60)}`],
  ])('writes canonical DER that pkijs re-encodes identically, with %s certificate', async (_, commonName) => {
    const dir = await mkdtemp(join(tmpdir(), 'feeproof-cms-'));
    try {
      const signer = await openLocalSigner(join(dir, 'key.pem'));
      const now = Date.now();
      const certificate = await createSelfSignedCertificate(signer, {
        commonName,
        organization: '某市财政局',
        notBefore: new Date(now - 86_400_000),
        notAfter: new Date(now + 86_400_000),
      });
      const digest = createHash('sha256').update(commonName).digest();
      const cms = await buildDetachedCms(digest, signer, certificate);

      const parsed = parseDetachedCms(cms);
      expect(parsed.certificates).toEqual([certificate]);
      const md = signedAttribute(parsed.signerInfo, OID.messageDigest) as asn1js.OctetString;
      expect(Buffer.from(md.valueBlock.valueHexView).equals(digest)).toBe(true);
      const info = new pkijs.ContentInfo({ schema: asn1js.fromBER(cms).result });
      expect(Buffer.from(info.toSchema().toBER()).equals(Buffer.from(cms))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('maxDetachedCmsBytes', () => {
  it.each([
    ['a short', 'feeproof'],
    ['a department of a 100-character name', `${'某'.repeat(100)} (ZRZY) 开票单位签章`],
  ])(
    'is never less than a CMS by %s certificate, and only the signature’s spare bytes more',
    async (_, commonName) => {
      const dir = await mkdtemp(join(tmpdir(), 'feeproof-cms-'));
      try {
        const signer = await openLocalSigner(join(dir, 'key.pem'));
        const certificate = await createSelfSignedCertificate(signer, {
          commonName,
          organization: '某市财政局',
          notBefore: new Date(Date.now() - 86_400_000),
          notAfter: new Date(Date.now() + 86_400_000),
        });
        const most = maxDetachedCmsBytes(certificate);
        // ECDSA's DER signature is 70-72 bytes as r and s need a leading zero or not: many tries.
        const sizes = await Promise.all(
          Array.from(
            { length: 64 },
            async (_, i) =>
              (await buildDetachedCms(createHash('sha256').update(String(i)).digest(), signer, certificate))
                .length,
          ),
        );
        expect(Math.max(...sizes)).toBeLessThanOrEqual(most);
        expect(most - Math.min(...sizes)).toBeLessThanOrEqual(8);
        // The names are in it three times: far more than the certificate plus a fixed margin.
        expect(most).toBeGreaterThan(certificate.length + (commonName.length > 50 ? 1024 : 0));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
