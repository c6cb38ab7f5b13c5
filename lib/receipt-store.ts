/**
 * The receipts bucket: every issued receipt's PDF (lambdas/adapters/blobs/s3-store.ts), under
 * S3 Object Lock in compliance mode, so that until the retention ends no one, not even the
 * account's root user, can delete or overwrite it; the bucket cannot be emptied or deleted
 * before then either. Versioned (Object Lock needs it), SSE-KMS with its own customer key
 * usable only through S3, never public, TLS only, its access logged to the site's log bucket.
 */
import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { adminOnlyKeyPolicy, type KeyAdmin } from './key-policy.js';

/** Where receipt PDFs lie in the bucket (lambdas/app/completion.ts, receiptPdfKey). */
export const RECEIPT_PDF_PREFIX = 'receipts/';

export interface ReceiptPdfStoreProps {
  keyAdmin: KeyAdmin;
  /** Server access logs go here (the site's log bucket), under `s3-receipts/`. */
  logBucket: s3.IBucket;
  /** Default Object Lock retention of each PDF, in whole years (compliance mode). */
  retentionYears: number;
}

export class ReceiptPdfStore extends Construct {
  readonly key: kms.Key;
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: ReceiptPdfStoreProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const policy = adminOnlyKeyPolicy(props.keyAdmin);
    // As the AWS managed aws/s3 key: the account may use it through S3 only; IAM decides which roles.
    policy.addStatements(
      new iam.PolicyStatement({
        sid: 'AccountUsesTheKeyThroughS3',
        principals: [new iam.AccountRootPrincipal()],
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: {
          StringEquals: {
            'kms:ViaService': `s3.${stack.region}.${stack.urlSuffix}`,
            'kms:CallerAccount': stack.account,
          },
        },
      }),
    );
    this.key = new kms.Key(this, 'Key', {
      description: 'feeproof: encryption at rest of the receipt PDFs',
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      policy,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      // One data key per bucket and period instead of a KMS request per object.
      bucketKeyEnabled: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      objectLockEnabled: true,
      serverAccessLogsBucket: props.logBucket,
      serverAccessLogsPrefix: 's3-receipts/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // In years, as the rules count them (CDK's ObjectLockRetention renders days, 365 to a year).
    (this.bucket.node.defaultChild as s3.CfnBucket).objectLockConfiguration = {
      objectLockEnabled: 'Enabled',
      rule: { defaultRetention: { mode: 'COMPLIANCE', years: props.retentionYears } },
    };
  }

  /** Reads the PDFs (GetObject under receipts/, decrypting with the key). */
  grantRead(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [this.bucket.arnForObjects(`${RECEIPT_PDF_PREFIX}*`)],
      }),
    );
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnElement);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${RECEIPT_PDF_PREFIX}*]`,
      reason:
        'Every receipt PDF has its own key (receipts/<code>/<number>/<sha256>.pdf); the grant covers that prefix only, with no delete, and Object Lock keeps each PDF unchanged.',
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [this.key.keyArn] }),
    );
  }

  /** Stores and reads the PDFs: PutObject (the adapter's puts are conditional) and GetObject, nothing else. */
  grantWrite(role: iam.IRole): void {
    this.grantRead(role);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${RECEIPT_PDF_PREFIX}*`)],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [this.key.keyArn] }),
    );
  }
}
