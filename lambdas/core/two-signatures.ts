/**
 * A fiscal e-receipt is issued by the collecting unit under the finance bureau's supervision,
 * so it carries two signatures (开票单位签章, then 财政部门监制签章):
 *   unit        signs  "feeproof-unit-v1\n" ‖ canonical
 *   supervision signs  "feeproof-supervision-v1\n" ‖ canonical ‖ "\n" ‖ base64(unit signature)
 * The prefixes separate the domains (neither message can be taken for the other, nor for the
 * bare canonical form the bureau key signed before); canonical JSON holds no newline, so each
 * message splits one way only. The supervisor's signature covers the unit's, so a unit signature
 * cannot be swapped for another one without the supervision key. Pure: hashing and keys are the
 * adapters' (a MessageSigner hashes for its algorithm; a resolved key verifies).
 */

export type SignatureAlgorithm = 'ECDSA_P256_SHA256' | 'SM2_SM3';
export type SignatureRole = 'unit' | 'supervision';

/** One signature as stored and exported: who signed (key id), how, and the DER value in base64. */
export interface ReceiptSignature {
  keyId: string;
  algorithm: SignatureAlgorithm;
  value: string;
}

export interface TwoSignatures {
  unit: ReceiptSignature;
  supervision: ReceiptSignature;
}

const UNIT_PREFIX = 'feeproof-unit-v1\n';
const SUPERVISION_PREFIX = 'feeproof-supervision-v1\n';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function assertCanonical(canonical: string) {
  if (canonical.length === 0 || canonical.includes('\n'))
    throw new RangeError('canonical data must be one non-empty line');
}

export function unitMessage(canonical: string): string {
  assertCanonical(canonical);
  return UNIT_PREFIX + canonical;
}

export function supervisionMessage(canonical: string, unitSignature: string): string {
  assertCanonical(canonical);
  if (!BASE64.test(unitSignature)) throw new RangeError('the unit signature must be base64');
  return `${SUPERVISION_PREFIX}${canonical}\n${unitSignature}`;
}

/** Signs a message: the adapter hashes it as its algorithm requires and returns DER. */
export interface MessageSigner {
  readonly keyId: string;
  readonly algorithm: SignatureAlgorithm;
  sign(message: string): Promise<Uint8Array>;
}

const toBase64 = (bytes: Uint8Array) => {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
};

const fromBase64 = (text: string): Uint8Array | undefined => {
  if (!BASE64.test(text) || text.length % 4 !== 0) return undefined;
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
};

/** The unit signs first, then the supervisor signs the data with the unit's signature. */
export async function signTwice(
  canonical: string,
  unit: MessageSigner,
  supervision: MessageSigner,
): Promise<TwoSignatures> {
  const unitSig: ReceiptSignature = {
    keyId: unit.keyId,
    algorithm: unit.algorithm,
    value: toBase64(await unit.sign(unitMessage(canonical))),
  };
  const supervisionSig: ReceiptSignature = {
    keyId: supervision.keyId,
    algorithm: supervision.algorithm,
    value: toBase64(await supervision.sign(supervisionMessage(canonical, unitSig.value))),
  };
  return { unit: unitSig, supervision: supervisionSig };
}

/** A published key, as the verifier finds it by key id. */
export interface ResolvedKey {
  role: SignatureRole;
  /** The collecting department a unit key belongs to. */
  department?: string;
  algorithm: SignatureAlgorithm;
  /** Checks a DER signature over the message with this key; false for a bad one. */
  verify(message: string, signature: Uint8Array): boolean | Promise<boolean>;
}

export type KeyResolver = (keyId: string) => ResolvedKey | undefined | Promise<ResolvedKey | undefined>;

/** Stable codes, so that the API, the PDF check, the CLI and the page can say what failed. */
export type TwoSignatureErrorCode =
  | 'SIGNATURE_MISSING'
  | 'SIGNATURE_MALFORMED'
  | 'KEY_UNKNOWN'
  | 'KEY_WRONG_ROLE'
  | 'KEY_WRONG_DEPARTMENT'
  | 'ALGORITHM_MISMATCH'
  | 'SIGNATURE_INVALID';

export class TwoSignatureError extends Error {
  constructor(
    readonly role: SignatureRole,
    readonly code: TwoSignatureErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TwoSignatureError';
  }
}

export type SignatureCheck = { ok: true; keyId: string } | { ok: false; error: TwoSignatureError };

export interface TwoSignatureReport {
  ok: boolean;
  unit: SignatureCheck;
  supervision: SignatureCheck;
}

const ROLE_NAME: Record<SignatureRole, string> = {
  unit: 'the collecting unit’s signature (开票单位签章)',
  supervision: 'the finance bureau’s supervision signature (财政部门监制签章)',
};

async function checkOne(
  role: SignatureRole,
  signature: Partial<ReceiptSignature> | undefined,
  message: () => string,
  resolve: KeyResolver,
  department: string,
): Promise<SignatureCheck> {
  const fail = (code: TwoSignatureErrorCode, why: string): SignatureCheck => ({
    ok: false,
    error: new TwoSignatureError(role, code, `${ROLE_NAME[role]} ${why}`),
  });
  if (!signature?.value || !signature.keyId || !signature.algorithm)
    return fail('SIGNATURE_MISSING', 'is missing');
  const der = fromBase64(signature.value);
  if (!der) return fail('SIGNATURE_MALFORMED', 'is not base64');
  const key = await resolve(signature.keyId);
  if (!key) return fail('KEY_UNKNOWN', `names key ${signature.keyId}, which is not published`);
  if (key.role !== role) return fail('KEY_WRONG_ROLE', `is made with a ${key.role} key (${signature.keyId})`);
  if (role === 'unit' && key.department !== department)
    return fail(
      'KEY_WRONG_DEPARTMENT',
      `is made with the key of department ${key.department ?? '(none)'}, not of ${department}`,
    );
  if (key.algorithm !== signature.algorithm)
    return fail(
      'ALGORITHM_MISMATCH',
      `says ${signature.algorithm} but key ${signature.keyId} is ${key.algorithm}`,
    );
  let valid = false;
  try {
    valid = await key.verify(message(), der);
  } catch {
    valid = false;
  }
  return valid
    ? { ok: true, keyId: signature.keyId }
    : fail('SIGNATURE_INVALID', 'does not match the receipt’s data');
}

/**
 * Checks both signatures, each on its own, and says which failed and why. The supervision
 * signature is checked over the unit signature as carried: altered data fails both, an altered
 * unit signature fails both (the supervisor's covers it), an altered supervision signature fails
 * that one only. Without a unit signature the supervisor's covers nothing and fails as invalid.
 */
export async function checkTwoSignatures(
  canonical: string,
  department: string,
  signatures: Partial<{ unit: Partial<ReceiptSignature>; supervision: Partial<ReceiptSignature> }>,
  resolve: KeyResolver,
): Promise<TwoSignatureReport> {
  const unitValue = signatures.unit?.value;
  const unit = await checkOne('unit', signatures.unit, () => unitMessage(canonical), resolve, department);
  const supervision = await checkOne(
    'supervision',
    signatures.supervision,
    () => supervisionMessage(canonical, unitValue ?? ''),
    resolve,
    department,
  );
  return { ok: unit.ok && supervision.ok, unit, supervision };
}

/** Throws the first failure (the unit's before the supervisor's); for callers that only accept. */
export async function verifyTwoSignatures(
  ...args: Parameters<typeof checkTwoSignatures>
): Promise<TwoSignatures> {
  const report = await checkTwoSignatures(...args);
  if (!report.unit.ok) throw report.unit.error;
  if (!report.supervision.ok) throw report.supervision.error;
  return args[2] as TwoSignatures;
}
