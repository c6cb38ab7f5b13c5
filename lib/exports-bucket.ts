/**
 * The exports bucket (issue 14): the CSV files that audit export jobs write
 * (lambdas/adapters/exports/s3-files.ts), fetched by auditors through pre-signed URLs of a few
 * minutes. Not the receipts bucket: an export is a copy made for one reading, so it expires
 * (a lifecycle rule deletes it after a few days, and the parts of any upload left unfinished
 * after one), where receipts stay under Object Lock for decades. Never public, TLS only,
 * encrypted at rest (SSE-S3: a pre-signed URL needs no KMS grant), its access logged.
 */
import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Where export files lie in the bucket (s3-files.ts). */
export const EXPORTS_PREFIX = 'exports/';
/** Days an export file is kept. */
export const EXPORT_EXPIRY_DAYS = 3;

export interface ExportsBucketProps {
  /** Server access logs go here (the site's log bucket), under `s3-exports/`. */
  logBucket: s3.IBucket;
}

export class ExportsBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: ExportsBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.logBucket,
      serverAccessLogsPrefix: 's3-exports/',
      lifecycleRules: [
        {
          id: 'ExportsExpire',
          expiration: Duration.days(EXPORT_EXPIRY_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      // Nothing in it outlives a few days; kept on stack deletion like the other buckets.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /**
   * What the function that runs export jobs needs, and nothing more: write an export file by
   * multipart upload (PutObject covers its parts; AbortMultipartUpload ends a failed one), read
   * it (a pre-signed GET acts with its signer's rights), and invoke itself asynchronously to run
   * a job. The invoke grant is a policy of its own: in the role's default policy it would make
   * the function depend on its own ARN, a cycle.
   */
  grantJobs(fn: lambda.IFunction & { role?: iam.IRole }): void {
    const role = fn.role!;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:GetObject'],
        resources: [this.bucket.arnForObjects(`${EXPORTS_PREFIX}*`)],
      }),
    );
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnElement);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${EXPORTS_PREFIX}*]`,
      reason:
        'Every export job writes its own file (exports/<job id>.csv, a random id); the grant covers that prefix of the exports bucket only, with no delete or list.',
    });
    const selfInvoke = new iam.Policy(fn, 'RunsExportJobs', {
      statements: [
        new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }),
      ],
    });
    role.attachInlinePolicy(selfInvoke);
  }
}
