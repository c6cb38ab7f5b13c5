import { generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkTwoSignatures,
  type MessageSigner,
  type ResolvedKey,
  type SignatureRole,
  signTwice,
  supervisionMessage,
  TwoSignatureError,
  type TwoSignatureErrorCode,
  unitMessage,
  verifyTwoSignatures,
} from '../../lambdas/core/two-signatures.js';

// The core is pure: these tests give it node:crypto P-256 keys as the adapters would.
function p256Key(keyId: string, role: SignatureRole, department?: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer: MessageSigner = {
    keyId,
    algorithm: 'ECDSA_P256_SHA256',
    sign: async (m) => new Uint8Array(sign('sha256', Buffer.from(m), privateKey)),
  };
  const resolved: ResolvedKey = {
    role,
    department,
    algorithm: 'ECDSA_P256_SHA256',
    verify: (m, s) => verify('sha256', Buffer.from(m), publicKey as KeyObject, s),
  };
  return { signer, resolved };
}

const zrzy = p256Key('unit:ZRZY', 'unit', 'ZRZY');
const gaj = p256Key('unit:GAJ', 'unit', 'GAJ');
const bureau = p256Key('bureau', 'supervision');
const keys = new Map([
  ['unit:ZRZY', zrzy.resolved],
  ['unit:GAJ', gaj.resolved],
  ['bureau', bureau.resolved],
]);
const resolve = (id: string) => keys.get(id);
const canonical = '{"code":"11010126","number":"0000000001","total":"80.00","v":1}';

const codes = (r: Awaited<ReturnType<typeof checkTwoSignatures>>) => [
  r.unit.ok ? 'ok' : r.unit.error.code,
  r.supervision.ok ? 'ok' : r.supervision.error.code,
];

describe('two signatures', () => {
  it('the unit signs the data, the supervisor the data with the unit signature; both check', async () => {
    const sigs = await signTwice(canonical, zrzy.signer, bureau.signer);
    expect(sigs.unit.keyId).toBe('unit:ZRZY');
    expect(sigs.supervision.keyId).toBe('bureau');
    const report = await checkTwoSignatures(canonical, 'ZRZY', sigs, resolve);
    expect(report.ok).toBe(true);
    expect(await verifyTwoSignatures(canonical, 'ZRZY', sigs, resolve)).toEqual(sigs);
  });

  it('the messages are separated by domain and split one way only', () => {
    expect(unitMessage(canonical)).toBe(`feeproof-unit-v1\n${canonical}`);
    expect(supervisionMessage(canonical, 'AAAA')).toBe(`feeproof-supervision-v1\n${canonical}\nAAAA`);
    expect(() => unitMessage('a\nb')).toThrow(RangeError);
    expect(() => unitMessage('')).toThrow(RangeError);
    expect(() => supervisionMessage(canonical, 'not base64!')).toThrow(RangeError);
  });

  it('altered data fails both; an altered unit signature fails both; an altered supervision signature fails it alone', async () => {
    const sigs = await signTwice(canonical, zrzy.signer, bureau.signer);
    const altered = canonical.replace('80.00', '8.00');
    expect(codes(await checkTwoSignatures(altered, 'ZRZY', sigs, resolve))).toEqual([
      'SIGNATURE_INVALID',
      'SIGNATURE_INVALID',
    ]);
    const flip = (b64: string) => {
      const b = Buffer.from(b64, 'base64');
      b[b.length - 3]! ^= 1;
      return b.toString('base64');
    };
    const badUnit = { ...sigs, unit: { ...sigs.unit, value: flip(sigs.unit.value) } };
    expect(codes(await checkTwoSignatures(canonical, 'ZRZY', badUnit, resolve))).toEqual([
      'SIGNATURE_INVALID',
      'SIGNATURE_INVALID',
    ]);
    const badSup = { ...sigs, supervision: { ...sigs.supervision, value: flip(sigs.supervision.value) } };
    expect(codes(await checkTwoSignatures(canonical, 'ZRZY', badSup, resolve))).toEqual([
      'ok',
      'SIGNATURE_INVALID',
    ]);
    const err = await verifyTwoSignatures(canonical, 'ZRZY', badSup, resolve).catch((e) => e);
    expect(err).toBeInstanceOf(TwoSignatureError);
    expect(err.role).toBe('supervision');
    expect(err.message).toMatch(/财政部门监制签章/);
  });

  it('a missing signature is named; without the unit signature the supervisor’s covers nothing', async () => {
    const sigs = await signTwice(canonical, zrzy.signer, bureau.signer);
    expect(codes(await checkTwoSignatures(canonical, 'ZRZY', { unit: sigs.unit }, resolve))).toEqual([
      'ok',
      'SIGNATURE_MISSING',
    ]);
    expect(
      codes(await checkTwoSignatures(canonical, 'ZRZY', { supervision: sigs.supervision }, resolve)),
    ).toEqual(['SIGNATURE_MISSING', 'SIGNATURE_INVALID']);
    const err = await verifyTwoSignatures(canonical, 'ZRZY', {}, resolve).catch((e) => e);
    expect([err.role, err.code]).toEqual(['unit', 'SIGNATURE_MISSING']);
  });

  it('refuses another department’s key, a swapped role, an unknown key, a wrong algorithm, bad base64', async () => {
    const other = await signTwice(canonical, gaj.signer, bureau.signer);
    expect(codes(await checkTwoSignatures(canonical, 'ZRZY', other, resolve))[0]).toBe(
      'KEY_WRONG_DEPARTMENT',
    );
    const swapped = await signTwice(canonical, bureau.signer, zrzy.signer);
    expect(codes(await checkTwoSignatures(canonical, 'ZRZY', swapped, resolve))).toEqual([
      'KEY_WRONG_ROLE',
      'KEY_WRONG_ROLE',
    ]);
    const sigs = await signTwice(canonical, zrzy.signer, bureau.signer);
    const cases: [object, TwoSignatureErrorCode][] = [
      [{ ...sigs, unit: { ...sigs.unit, keyId: 'unit:NONE' } }, 'KEY_UNKNOWN'],
      [{ ...sigs, unit: { ...sigs.unit, algorithm: 'SM2_SM3' } }, 'ALGORITHM_MISMATCH'],
      [{ ...sigs, unit: { ...sigs.unit, value: '***' } }, 'SIGNATURE_MALFORMED'],
    ];
    for (const [s, code] of cases)
      expect(codes(await checkTwoSignatures(canonical, 'ZRZY', s, resolve))[0]).toBe(code);
  });

  it('any single-byte change of either signature is refused (property)', async () => {
    const sigs = await signTwice(canonical, zrzy.signer, bureau.signer);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('unit', 'supervision' as const),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (role, at, x) => {
          const raw = Buffer.from(sigs[role].value, 'base64');
          raw[at % raw.length]! ^= x;
          const tampered = { ...sigs, [role]: { ...sigs[role], value: raw.toString('base64') } };
          const report = await checkTwoSignatures(canonical, 'ZRZY', tampered, resolve);
          expect(report.ok).toBe(false);
          expect(report.supervision.ok).toBe(false);
        },
      ),
      { numRuns: 40 },
    );
  });
});
