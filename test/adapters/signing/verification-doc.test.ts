/**
 * docs/verification.md's worked example, checked: its blocks (marked `<!-- example: name -->`)
 * are the service's answers, the bytes the project's code signs and what its commands print.
 * The example is a real receipt of the local service, signed with the fixed key of
 * test/fixtures/verification-example.json (see its `about`).
 */
import { spawnSync } from 'node:child_process';
import { createPublicKey, verify, X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import type * as asn1js from 'asn1js';
import { PDFDocument } from 'pdf-lib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  equalBytes,
  essCertHash,
  OID,
  parseDetachedCms,
  signedAttribute,
} from '../../../lambdas/adapters/pdf/cms.js';
import { signPdfDocument } from '../../../lambdas/adapters/pdf/pades.js';
import { extractSignature, verifyPdfSignature } from '../../../lambdas/adapters/pdf/verify.js';
import {
  certificateFromPem,
  createSelfSignedCertificate,
  sha256,
  sha256Hex,
} from '../../../lambdas/adapters/signing/certificate.js';
import { derToCompact } from '../../../lambdas/adapters/signing/ecdsa.js';
import { openLocalSigner } from '../../../lambdas/adapters/signing/local-signer.js';
import { localKeyId, p256KeyFromPem, signP256Digest } from '../../../lambdas/adapters/signing/p256.js';
import { canonicalJson } from '../../../lambdas/core/canonical.js';
import { parseYuan } from '../../../lambdas/core/money.js';
import {
  canonicalReceipt,
  contentOf,
  qrMessage,
  qrParams,
  type ReceiptContent,
  verifyUrl,
} from '../../../lambdas/core/receipt.js';

const root = join(import.meta.dirname, '../../..');
const doc = readFileSync(join(root, 'docs/verification.md'), 'utf8');
const fixture = JSON.parse(readFileSync(join(root, 'test/fixtures/verification-example.json'), 'utf8'));
const pdfPath = join(root, 'test/fixtures/verification-example.pdf');
const pdf = new Uint8Array(readFileSync(pdfPath));
const [publishedKey] = fixture.keys.keys;
const certificatePem: string = publishedKey.certificatePem;

/** The marked fenced blocks of the doc, by name. */
const blocks = new Map<string, string>();
for (const m of doc.matchAll(/<!-- example: ([\w.-]+) -->\n```\w*\n([\s\S]*?)\n```/g)) {
  expect(blocks.has(m[1]!), `two blocks named ${m[1]}`).toBe(false);
  blocks.set(m[1]!, m[2]!);
}
const block = (name: string): string => {
  const text = blocks.get(name);
  if (text === undefined) throw new Error(`docs/verification.md has no block "${name}"`);
  return text;
};
/** A `name: value` block as a record. */
const values = (name: string) =>
  Object.fromEntries(
    block(name)
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)]),
  );

/** The receipt content back from the department's answer (amounts in yuan, red ones negative). */
function contentOfAnswer(answer: Record<string, unknown>): ReceiptContent {
  const fen = (yuan: string) => {
    const value = parseYuan(yuan.replace(/^-/, ''));
    if (value === null) throw new Error(`not an amount: ${yuan}`);
    return yuan.startsWith('-') ? -value : value;
  };
  const a = answer as { total: string; lines: { amount: string }[] };
  return contentOf({
    ...a,
    total: fen(a.total),
    lines: a.lines.map((l) => ({ ...l, amount: fen(l.amount) })),
  } as unknown as ReceiptContent);
}

const receipt = fixture.receipt;
const content = contentOfAnswer(receipt);
const canonical = canonicalReceipt(content);
const qr = qrMessage(content);
const qrSig = new URL(receipt.verifyUrl).searchParams.get('sig')!;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A directory holding what the doc tells a reader to save: receipt.json, keys.json, receipt.pdf. */
function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'feeproof-verification-doc-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'receipt.json'), block('receipt.json'));
  writeFileSync(join(dir, 'keys.json'), block('keys.json'));
  copyFileSync(pdfPath, join(dir, 'receipt.pdf'));
  return dir;
}

/** Runs a documented shell block as a reader would (bash, stderr shown in order with stdout). */
function sh(script: string, cwd: string) {
  const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', `exec 2>&1\n${script}`], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC' },
  });
  return { status: r.status, out: r.stdout.trimEnd() };
}

const SHELL_STEPS = ['keys', 'data', 'qr', 'pdf'] as const;

function replaceOnce(text: string, from: string, to: string): string {
  expect(text, `the block contains ${from}`).toContain(from);
  return text.replace(from, to);
}

describe('docs/verification.md', () => {
  it('has every block of the worked example', () => {
    expect([...blocks.keys()].sort()).toEqual(
      [
        'keys.json',
        'run-keys',
        'out-keys',
        'receipt.json',
        'canonical',
        'data-values',
        'run-data',
        'out-data',
        'qr-message',
        'qr-values',
        'run-qr',
        'out-qr',
        'pdf-values',
        'run-pdf',
        'out-pdf',
        'run-pdfsig',
        'out-pdfsig',
        'python',
        'out-python',
      ].sort(),
    );
  });

  it("shows the service's answers of the fixture", () => {
    expect(JSON.parse(block('receipt.json'))).toEqual(receipt);
    expect(JSON.parse(block('keys.json'))).toEqual(fixture.keys);
  });

  it("prints the bytes that the project's code signs", () => {
    expect(block('canonical')).toBe(canonical);
    expect(block('qr-message')).toBe(qr);
    // The doc's recipe: the department's answer without seven members (the example's answer
    // predates `checks` and `signatures`), plus "v": 1.
    const {
      status: _s,
      verifyUrl: _u,
      pdfUrl: _p,
      reversedBy: _r,
      checks: _c,
      signature: _sig,
      signatures: _sigs,
      ...signed
    } = receipt;
    expect(canonicalJson({ ...signed, v: 1 })).toBe(canonical);
    // The QR URL is what the code makes of the content, the key and the signature.
    expect(
      verifyUrl('https://feeproof.example.org', content, qrParams(content, publishedKey.keyId, qrSig)),
    ).toBe(receipt.verifyUrl);
  });

  it('gives the right lengths, digests and signatures', () => {
    const data = values('data-values');
    expect(data).toEqual({
      length: `${Buffer.byteLength(canonical)} bytes`,
      'SHA-256': sha256Hex(canonical),
      'signature (DER, base64)': receipt.signature.value,
      keyId: receipt.signature.keyId,
    });
    const compact = Buffer.from(qrSig, 'base64url');
    expect(values('qr-values')).toEqual({
      length: `${qr.length} bytes`,
      'SHA-256': sha256Hex(qr),
      'sig (r‖s, base64url)': qrSig,
      'r (hex)': compact.subarray(0, 32).toString('hex'),
      's (hex)': compact.subarray(32).toString('hex'),
      'the same signature as DER (base64)': Buffer.from(
        p256.Signature.fromBytes(compact, 'compact').toBytes('der'),
      ).toString('base64'),
      kid: new URL(receipt.verifyUrl).searchParams.get('kid'),
    });

    const { byteRange, cms } = extractSignature(pdf);
    const parsed = parseDetachedCms(cms);
    const messageDigest = signedAttribute(parsed.signerInfo, OID.messageDigest) as asn1js.OctetString;
    const certHash = essCertHash(signedAttribute(parsed.signerInfo, OID.signingCertificateV2))!;
    expect(values('pdf-values')).toEqual({
      'file length': `${pdf.length} bytes`,
      ByteRange: `[${byteRange.join(' ')}]`,
      'signed bytes': String(byteRange[1] + byteRange[3]),
      'message-digest (SHA-256 of the signed bytes)': Buffer.from(
        messageDigest.valueBlock.valueHexView,
      ).toString('hex'),
      'certHash (SHA-256 of the certificate)': Buffer.from(certHash).toString('hex'),
      'SHA-256 of the whole file': sha256Hex(pdf),
    });
    expect(Buffer.from(certHash).toString('hex')).toBe(sha256Hex(certificateFromPem(certificatePem)));
  });

  it('node:crypto verifies both signatures with the public key the doc prints', () => {
    const pem = /-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----\n/.exec(
      `${block('out-keys')}\n`,
    )![0];
    const key = createPublicKey(pem);
    const spki = (k: ReturnType<typeof createPublicKey>) => k.export({ format: 'der', type: 'spki' });
    expect(spki(key)).toEqual(spki(new X509Certificate(certificatePem).publicKey));
    const data = Buffer.from(receipt.signature.value, 'base64');
    const compact = Buffer.from(qrSig, 'base64url');
    expect(verify('sha256', Buffer.from(canonical), { key, dsaEncoding: 'der' }, data)).toBe(true);
    expect(verify('sha256', Buffer.from(qr), { key, dsaEncoding: 'ieee-p1363' }, compact)).toBe(true);
    expect(verify('sha256', Buffer.from(canonical.replace('张三', '李四')), key, data)).toBe(false);
    expect(
      verify(
        'sha256',
        Buffer.from(qr.replace('80.00', '81.00')),
        { key, dsaEncoding: 'ieee-p1363' },
        compact,
      ),
    ).toBe(false);
  });

  it('the fixed example key of the fixture made these signatures, as the service signs', () => {
    const key = p256KeyFromPem(fixture.signingKeyPem);
    expect(localKeyId(key.spki)).toBe(publishedKey.keyId);
    // Deterministic ECDSA (RFC 6979): signing again gives the very bytes the service stored.
    const data = signP256Digest(sha256(canonical), key.secretKey);
    expect(Buffer.from(data).toString('base64')).toBe(receipt.signature.value);
    const compact = derToCompact(signP256Digest(sha256(qr), key.secretKey));
    expect(Buffer.from(compact).toString('base64url')).toBe(qrSig);
  });

  it("the PDF passes the project's own signature checks against the published certificate", async () => {
    const report = await verifyPdfSignature(pdf, [{ certificateDer: certificateFromPem(certificatePem) }]);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.receipt).toEqual({ code: receipt.code, number: receipt.number, kind: 'blue' });
  });

  it('its commands print what it shows', () => {
    const dir = workDir();
    for (const step of SHELL_STEPS) {
      const { status, out } = sh(block(`run-${step}`), dir);
      expect(out, `the output of run-${step}`).toBe(block(`out-${step}`));
      expect(status, out).toBe(0);
    }
    expect(sh(block('run-data'), dir).out).toContain('Verified OK');
    expect(sh(block('run-qr'), dir).out).toContain('Verified OK');
    expect(readFileSync(join(dir, 'cert.pem'), 'utf8')).toBe(certificatePem);
    expect(readFileSync(join(dir, 'msg.bin'), 'utf8')).toBe(canonical);
    expect(readFileSync(join(dir, 'qr.bin'), 'utf8')).toBe(qr);
    expect(readFileSync(join(dir, 'qrsig.der')).toString('base64')).toBe(
      values('qr-values')['the same signature as DER (base64)'],
    );

    // pdfsig's wording and layout belong to poppler: every line shown must appear.
    const pdfsig = sh(block('run-pdfsig'), dir);
    const lines = pdfsig.out.split('\n').map((l) => l.trim());
    for (const line of block('out-pdfsig').split('\n')) expect(lines, pdfsig.out).toContain(line.trim());
  });

  it.each([
    ['data', (s: string) => replaceOnce(s, '"total":"80.00"', '"total":"81.00"'), 'Verification failure'],
    ['qr', (s: string) => replaceOnce(s, '|80.00', '|81.00'), 'Verification failure'],
  ])('its %s check fails when one signed value changes', (step, alter, failure) => {
    const dir = workDir();
    expect(sh(block('run-keys'), dir).status).toBe(0);
    const { status, out } = sh(alter(block(`run-${step}`)), dir);
    expect(status).not.toBe(0);
    expect(out).toContain(failure);
    expect(out).not.toContain('Verified OK');
  });

  it('its PDF check fails for a changed byte in the signed range', () => {
    const dir = workDir();
    expect(sh(block('run-keys'), dir).status).toBe(0);
    const altered = new Uint8Array(pdf);
    const { byteRange } = extractSignature(pdf);
    const at = byteRange[2] + 100; // in the second signed range, after the signature dictionary
    altered[at] = altered[at]! ^ 0x01;
    writeFileSync(join(dir, 'receipt.pdf'), altered);
    const { status, out } = sh(block('run-pdf'), dir);
    expect(status).not.toBe(0);
    expect(out).toContain('CMS Verification failure');
  });

  it('a forged PDF with a home-made certificate in the bureau name: pdfsig calls it valid, the /v1/keys check refuses it', async () => {
    const dir = workDir();
    expect(sh(block('run-keys'), dir).status).toBe(0);
    const forger = await openLocalSigner(join(dir, 'forger-key.pem'));
    const certificate = await createSelfSignedCertificate(forger, {
      commonName: '某市财政局 电子票据签章',
      organization: '某市财政局',
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2036-01-01T00:00:00Z'),
    });
    const page = await PDFDocument.create();
    page.addPage();
    const forged = await signPdfDocument(page, forger, certificate, { signingTime: new Date() });
    writeFileSync(join(dir, 'receipt.pdf'), forged);

    expect(sh(block('run-pdfsig'), dir).out).toContain('Signature is Valid.');
    const { status, out } = sh(block('run-pdf'), dir);
    expect(status).not.toBe(0);
    expect(out).toContain('self-signed certificate');
    expect(out).not.toContain('CMS Verification successful');
    expect(equalBytes(certificate, certificateFromPem(certificatePem))).toBe(false);
  });

  const python = spawnSync('python3', ['-c', 'import cryptography'], { encoding: 'utf8' });
  const noPython = python.status !== 0 ? 'python3 with the cryptography package is not installed here' : '';

  it('its Python snippet verifies both signatures, and refuses a changed receipt', (ctx) => {
    if (noPython) ctx.skip(noPython);
    const dir = workDir();
    writeFileSync(join(dir, 'cert.pem'), certificatePem);
    writeFileSync(join(dir, 'verify.py'), block('python'));
    const run = () => spawnSync('python3', ['verify.py'], { cwd: dir, encoding: 'utf8' });
    const ok = run();
    expect(ok.stdout.trimEnd(), ok.stderr).toBe(block('out-python'));
    expect(ok.status).toBe(0);

    writeFileSync(
      join(dir, 'receipt.json'),
      replaceOnce(block('receipt.json'), '"name": "张三"', '"name": "李四"'),
    );
    const altered = run();
    expect(altered.status).not.toBe(0);
    expect(altered.stderr).toContain('InvalidSignature');
  });
});
