import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { describe, expect, it } from 'vitest';
import {
  buildDetachedCms,
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
