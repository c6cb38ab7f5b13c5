/**
 * The environment variables that configure feeproof: set by the CDK stack in Lambda and
 * by the local server (or the user) on one machine. Table names use each table's `envVar`.
 */
export const ENV = {
  signer: 'FEEPROOF_SIGNER',
  kmsKeyId: 'FEEPROOF_KMS_KEY_ID',
  localKeyPath: 'FEEPROOF_LOCAL_KEY_PATH',
  regionCode: 'FEEPROOF_REGION_CODE',
  bureauName: 'FEEPROOF_BUREAU_NAME',
  publicUrl: 'FEEPROOF_PUBLIC_URL',
  rangeSize: 'FEEPROOF_RANGE_SIZE',
  /** How many days before today a charge may be dated (a late receipt); older ones are refused. */
  maxChargeAgeDays: 'FEEPROOF_MAX_CHARGE_AGE_DAYS',
  officeHours: 'FEEPROOF_OFFICE_HOURS',
  alerts: 'FEEPROOF_ALERTS',
  fontPath: 'FEEPROOF_FONT_PATH',
  tablePrefix: 'FEEPROOF_TABLE_PREFIX',
  dynamoEndpoint: 'FEEPROOF_DYNAMODB_ENDPOINT',
  dataDir: 'FEEPROOF_DATA_DIR',
  /** The receipts bucket (S3, Object Lock) that holds receipt PDFs; unset: a directory under the data directory. */
  receiptsBucket: 'FEEPROOF_RECEIPTS_BUCKET',
  /** The exports bucket that audit export jobs write into (issue 14); unset: <data dir>/exports. */
  exportsBucket: 'FEEPROOF_EXPORTS_BUCKET',
  /** The transparency log's name: origin line and key name (default feeproof.local/log; the stack sets it). */
  logOrigin: 'FEEPROOF_LOG_ORIGIN',
  /** The log key in KMS (ECC_NIST_EDWARDS25519); unset: `<data dir>/log-key.pem`. */
  logKmsKeyId: 'FEEPROOF_LOG_KMS_KEY_ID',
  /** The bucket of the log's tiles (served by CloudFront at /log/*); unset: `<data dir>/log`. */
  logBucket: 'FEEPROOF_LOG_BUCKET',
  /** The witnesses the log submits its checkpoints to: JSON `[{ "url": "https://…/", "vkey": "…" }]`. */
  logWitnesses: 'FEEPROOF_LOG_WITNESSES',
  /** An S3-compatible endpoint instead of AWS's (a local S3 server); unset in AWS. */
  s3Endpoint: 'FEEPROOF_S3_ENDPOINT',
  logLevel: 'FEEPROOF_LOG_LEVEL',
  rateLimitPerMinute: 'FEEPROOF_RATE_LIMIT_PER_MINUTE',
  /** How long (ms) a process holds public check counts before writing them (default 5000). */
  checkFlushMs: 'FEEPROOF_CHECK_FLUSH_MS',
  /**
   * How long (ms) a public check trusts a log index-block row it read for a number it lacked
   * (default 1000; lambdas/adapters/dynamo/log-index.ts). Tests set 0: an index shows once sequenced.
   */
  logIndexRereadMs: 'FEEPROOF_LOG_INDEX_REREAD_MS',
  /** Behind CloudFront the client's address is the last X-Forwarded-For entry, not the source IP. */
  trustForwardedFor: 'FEEPROOF_TRUST_FORWARDED_FOR',
  /** The value CloudFront sends in ORIGIN_VERIFY_HEADER; when set, requests without it are refused. */
  originVerify: 'FEEPROOF_ORIGIN_VERIFY',
  /** Public statistics: a month of a department or item with fewer receipts is withheld (default 3). */
  statsMinReceipts: 'FEEPROOF_STATS_MIN_RECEIPTS',
  /** Complaint form limits and contact retention, JSON over core/complaints.ts DEFAULT_COMPLAINT_LIMITS. */
  complaintLimits: 'FEEPROOF_COMPLAINT_LIMITS',
  /** The bureau's published supervision (complaints) phone number, shown on the public pages. */
  supervisionPhone: 'FEEPROOF_SUPERVISION_PHONE',
  /**
   * The key of the HMAC that hides a complainant's address in the per-address counters (in AWS a
   * Secrets Manager value the stack resolves at deploy); unset: a key file in the data directory.
   */
  complaintAddressKey: 'FEEPROOF_COMPLAINT_ADDRESS_KEY',
  /**
   * The collecting departments' KMS keys (issue 17), JSON `{ "<CODE>": "<key ARN>" }` (the stack
   * sets it); unset: a key file per department with the local signer, none with the kms signer.
   */
  departmentKeys: 'FEEPROOF_DEPARTMENT_KEYS',
  /** The department keys' algorithm: ECDSA_P256_SHA256 (default) or SM2_SM3 (KMS key spec SM2, China Regions). */
  departmentKeyAlgorithm: 'FEEPROOF_DEPARTMENT_KEY_ALGORITHM',
} as const;

/** The header CloudFront adds to every request it forwards to the API (lambdas/handlers/http/origin-verify.ts). */
export const ORIGIN_VERIFY_HEADER = 'x-origin-verify';
