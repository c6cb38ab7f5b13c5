/**
 * The receipt signing key: KMS asymmetric ECC_NIST_P256 (ECDSA_SHA_256). Its key policy lets
 * the account administer it and read the public key, but not sign: kms:Sign is granted in
 * the key policy to the signer roles only, so no IAM policy elsewhere can add a signer.
 *
 * Rotation is by generation (the `signingKeyGeneration` prop): generation n makes keys 1..n,
 * n the current one, the earlier ones retired: kept (retained, never scheduled for deletion),
 * disabled, and with no signer in their policy. The functions make and publish a certificate
 * for a new key on its first use and mark the previous certificate retired; receipts are
 * verified against the stored certificates, so the retired keys are not needed to verify.
 */
import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { adminOnlyKeyPolicy, type KeyAdmin } from './key-policy.js';
import { pascal } from './names.js';

/** The key specs a receipt-data key may have: P-256 anywhere, SM2 in the China Regions only. */
export type SigningKeySpec = 'ECC_NIST_P256' | 'SM2';

export interface SigningKeyProps {
  /** The current key's generation (1, 2, …); keys of earlier generations are kept, retired. */
  generation: number;
  keyAdmin: KeyAdmin;
  /** Default ECC_NIST_P256 (the bureau's key always: its certificate signs the PDFs). */
  keySpec?: SigningKeySpec;
  /** What the key signs, for the key descriptions; default the receipts (the bureau's key). */
  purpose?: string;
  /** An alias (`alias/…`) that follows the current generation: for people and the console. */
  alias?: string;
}

/** The only signing kms:Sign is allowed: ECDSA over a SHA-256 digest the caller computed. */
export const SIGN_CONDITIONS = {
  StringEquals: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256', 'kms:MessageType': 'DIGEST' },
};

/** An SM2 key signs only SM2DSA over the e = SM3(Z ‖ M) the caller computed (kms-sm2-signer.ts). */
export const SM2_SIGN_CONDITIONS = {
  StringEquals: { 'kms:SigningAlgorithm': 'SM2DSA', 'kms:MessageType': 'DIGEST' },
};

const SIGNING: Record<
  SigningKeySpec,
  { keySpec: kms.KeySpec; conditions: typeof SIGN_CONDITIONS; how: string }
> = {
  ECC_NIST_P256: {
    keySpec: kms.KeySpec.ECC_NIST_P256,
    conditions: SIGN_CONDITIONS,
    how: 'ECDSA P-256, SHA-256 digests',
  },
  SM2: { keySpec: kms.KeySpec.SM2, conditions: SM2_SIGN_CONDITIONS, how: 'SM2DSA, SM3(Z||M) digests' },
};

export class SigningKey extends Construct {
  /** The current key: the only one anything signs with. */
  readonly key: kms.Key;
  /** Earlier generations, oldest first: disabled, no signer, retained. */
  readonly retired: kms.Key[] = [];

  readonly keySpec: SigningKeySpec;

  constructor(scope: Construct, id: string, props: SigningKeyProps) {
    super(scope, id);
    this.keySpec = props.keySpec ?? 'ECC_NIST_P256';
    const signing = SIGNING[this.keySpec];
    const purpose = props.purpose ?? 'receipt';
    let current: kms.Key | undefined;
    for (let generation = 1; generation <= props.generation; generation++) {
      const isCurrent = generation === props.generation;
      // Generation 1 keeps the construct id it always had, hence its logical id.
      const key = new kms.Key(this, generation === 1 ? 'Key' : `Key${generation}`, {
        description: isCurrent
          ? `feeproof: signs ${props.purpose ?? 'receipts'} (${signing.how})`
          : `feeproof: retired ${purpose} signing key (generation ${generation}); kept, its certificate stays published`,
        keySpec: signing.keySpec,
        keyUsage: kms.KeyUsage.SIGN_VERIFY,
        policy: adminOnlyKeyPolicy(props.keyAdmin),
        enabled: isCurrent,
        // Never deleted with the stack: the key is the receipts' signing identity.
        removalPolicy: RemovalPolicy.RETAIN,
      });
      if (isCurrent) current = key;
      else this.retired.push(key);
    }
    if (!current) throw new Error(`signing key generation must be at least 1, got ${props.generation}`);
    this.key = current;
    if (props.alias) new kms.Alias(this, 'Alias', { aliasName: props.alias, targetKey: current });
  }

  /**
   * kms:Sign (and GetPublicKey) in the role's policy and, by role, in the key policy, where it
   * is limited to SIGN_CONDITIONS, or SM2_SIGN_CONDITIONS for an SM2 key (the KMS adapters in
   * lambdas/adapters/signing sign exactly so).
   * `name` names the key policy statement (`SignBy<Name>`).
   */
  grantSign(role: iam.IRole, name: string): void {
    this.key.grant(role, 'kms:Sign', 'kms:GetPublicKey');
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `SignBy${pascal(name)}`,
        principals: [role],
        actions: ['kms:Sign'],
        resources: ['*'],
        conditions: SIGNING[this.keySpec].conditions,
      }),
    );
  }

  /** kms:GetPublicKey only (allowed to the account by the key policy). */
  grantPublicKey(grantee: iam.IGrantable): void {
    this.key.grant(grantee, 'kms:GetPublicKey');
  }
}

export interface DepartmentKeysProps {
  /** The collecting departments' codes: one key each. */
  departments: readonly string[];
  keySpec: SigningKeySpec;
  /** Per department, the current generation (default 1): raising one rotates that key. */
  generations: Readonly<Record<string, number>>;
  keyAdmin: KeyAdmin;
  /** Names the aliases: `alias/feeproof/<stage>/dept/<CODE>`. */
  stage: string;
}

/**
 * The collecting departments' keys (开票单位签章, issue 17): one KMS key per department code of
 * the `departmentKeys` prop, each a SigningKey (same key policy, same rotation by generation),
 * so adding a department is a deploy. SM2 keys exist in the China Regions only: a known
 * region outside them is refused at synth.
 */
export class DepartmentKeys extends Construct {
  readonly byDepartment: ReadonlyMap<string, SigningKey>;

  constructor(scope: Construct, id: string, props: DepartmentKeysProps) {
    super(scope, id);
    const { region } = Stack.of(this);
    if (props.keySpec === 'SM2' && !Token.isUnresolved(region) && !region.startsWith('cn-'))
      throw new Error(
        `departmentKeys.keySpec SM2 exists in the AWS China Regions only (cn-north-1, cn-northwest-1); this stack deploys to ${region}`,
      );
    const keys = new Map<string, SigningKey>();
    for (const code of props.departments)
      keys.set(
        code,
        new SigningKey(this, code, {
          generation: props.generations[code] ?? 1,
          keyAdmin: props.keyAdmin,
          keySpec: props.keySpec,
          purpose: `receipts of department ${code}`,
          alias: `alias/feeproof/${props.stage}/dept/${code}`,
        }),
      );
    this.byDepartment = keys;
  }

  /** FEEPROOF_DEPARTMENT_KEYS: department code → the current key's ARN (never the alias, see kms-department-keys.ts). */
  environment(scope: Construct): string {
    return Stack.of(scope).toJsonString(
      Object.fromEntries([...this.byDepartment].map(([code, key]) => [code, key.key.keyArn])),
    );
  }

  /** kms:Sign on every department's current key, as SigningKey.grantSign does for the bureau's. */
  grantSign(role: iam.IRole, name: string): void {
    for (const key of this.byDepartment.values()) key.grantSign(role, name);
  }
}
