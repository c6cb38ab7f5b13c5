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
import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { adminOnlyKeyPolicy, type KeyAdmin } from './key-policy.js';
import { pascal } from './names.js';

export interface SigningKeyProps {
  /** The current key's generation (1, 2, …); keys of earlier generations are kept, retired. */
  generation: number;
  keyAdmin: KeyAdmin;
}

/** The only signing kms:Sign is allowed: ECDSA over a SHA-256 digest the caller computed. */
export const SIGN_CONDITIONS = {
  StringEquals: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256', 'kms:MessageType': 'DIGEST' },
};

export class SigningKey extends Construct {
  /** The current key: the only one anything signs with. */
  readonly key: kms.Key;
  /** Earlier generations, oldest first: disabled, no signer, retained. */
  readonly retired: kms.Key[] = [];

  constructor(scope: Construct, id: string, props: SigningKeyProps) {
    super(scope, id);
    let current: kms.Key | undefined;
    for (let generation = 1; generation <= props.generation; generation++) {
      const isCurrent = generation === props.generation;
      // Generation 1 keeps the construct id it always had, hence its logical id.
      const key = new kms.Key(this, generation === 1 ? 'Key' : `Key${generation}`, {
        description: isCurrent
          ? 'feeproof: signs receipts (ECDSA P-256, SHA-256 digests)'
          : `feeproof: retired receipt signing key (generation ${generation}); kept, its certificate stays published`,
        keySpec: kms.KeySpec.ECC_NIST_P256,
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
  }

  /**
   * kms:Sign (and GetPublicKey) in the role's policy and, by role, in the key policy, where it
   * is limited to SIGN_CONDITIONS (lambdas/adapters/signing/kms-signer.ts signs exactly so).
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
        conditions: SIGN_CONDITIONS,
      }),
    );
  }

  /** kms:GetPublicKey only (allowed to the account by the key policy). */
  grantPublicKey(grantee: iam.IGrantable): void {
    this.key.grant(grantee, 'kms:GetPublicKey');
  }
}
