/**
 * The receipt signing key: KMS asymmetric ECC_NIST_P256 (ECDSA_SHA_256). Its key policy lets
 * the account administer it and read the public key, but not sign: kms:Sign is granted in
 * the key policy to the signer roles only, so no IAM policy elsewhere can add a signer.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { adminOnlyKeyPolicy } from './key-policy.js';
import { pascal } from './names.js';

export class SigningKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'feeproof: signs receipts (ECDSA P-256, SHA-256 digests)',
      keySpec: kms.KeySpec.ECC_NIST_P256,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      policy: adminOnlyKeyPolicy(),
      // Receipts signed with the key stay verifiable only while it (or its certificate) exists.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /**
   * kms:Sign (and GetPublicKey) in the role's policy and, by role, in the key policy.
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
      }),
    );
  }

  /** kms:GetPublicKey only (allowed to the account by the key policy). */
  grantPublicKey(grantee: iam.IGrantable): void {
    this.key.grant(grantee, 'kms:GetPublicKey');
  }
}
