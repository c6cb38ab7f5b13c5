/**
 * Deployment settings of the feeproof stack and their defaults. The values reach the
 * functions as environment variables (names in `ENV`), so the lead's runtime config reads
 * the same names locally and in Lambda.
 */
import type { StackProps } from 'aws-cdk-lib';
import {
  type ComplaintLimits,
  complaintLimitsProblem,
  DEFAULT_COMPLAINT_LIMITS,
} from '../lambdas/core/complaints.js';
import { DEFAULT_MIN_RECEIPTS } from '../lambdas/core/stats.js';

export type MfaMode = 'OPTIONAL' | 'REQUIRED';
/** `production` refuses to synth without a custom domain and turns on termination protection. */
export type Stage = 'production' | 'test';

export interface ApiThrottling {
  /** Steady-state requests per second for every route (stage default route settings). */
  rateLimit: number;
  /** Burst capacity for every route. */
  burstLimit: number;
}

/** Office hours of the bureau, in its zone (UTC+8); charges outside them raise an alert. */
export interface OfficeHours {
  /** `HH:MM`, 24 h clock. */
  start: string;
  end: string;
  /** ISO weekdays (1 = Monday … 7 = Sunday). */
  days: number[];
}

/**
 * The alert thresholds a deployment may override. Their meaning and defaults are the
 * runtime's (lambdas/core/alerts.ts, DEFAULT_THRESHOLDS), which refuses any other key at
 * start-up; test/cdk/props.test.ts keeps this list equal to the runtime's.
 */
export const ALERT_THRESHOLD_KEYS = [
  'repeatedRefusalsPerHour',
  'lateReversalDays',
  'reversalSharePercent',
  'reversalShareMinReceipts',
  'amountAboveUsualFactor',
  'amountAboveUsualMinSamples',
  'stuckMinutes',
] as const;
export type AlertThresholds = Partial<Record<(typeof ALERT_THRESHOLD_KEYS)[number], number>>;

export interface CustomDomain {
  /** Alternate domain names (CNAMEs) of the CloudFront distribution. */
  domainNames: string[];
  /** ACM certificate in us-east-1 that covers every name. DNS records are not managed here. */
  certificateArn: string;
}

/** Reserved concurrency of the functions that must not starve or be starved. */
export interface Concurrency {
  /** Issuing: kept for collectors whatever the public routes do. */
  receipts: number;
  /** The scheduled job: 1, so two runs never overlap. */
  recovery: number;
  /** Caps on the anonymous functions (reserved concurrency is also their ceiling). */
  public: number;
  verify: number;
}

/**
 * AWS Backup of the tables (PITR keeps only 35 days). DynamoDB backups are full copies, each
 * billed for the whole table: a few recent dailies, and monthlies kept for years.
 */
export interface BackupSettings {
  /** Days each daily backup is kept; also the vault lock's minimum retention. */
  dailyRetentionDays: number;
  /** Days each monthly backup is kept. */
  monthlyRetentionDays: number;
  /**
   * `governance`: the lock can be removed by a principal with backup:DeleteBackupVaultLockConfiguration;
   * `compliance`: 3 days after deployment nobody, not even the account root, can remove it or
   * delete a backup before its retention ends.
   */
  lockMode: 'governance' | 'compliance';
  /** A vault in another account (and its region) each backup is copied to. */
  copyToVaultArn?: string;
}

/** Cognito e-mail through SES: a verified identity of the region `region` (default: the stack's). */
export interface SesSender {
  fromEmail: string;
  fromName?: string;
  replyTo?: string;
  region?: string;
}

export interface FeeproofSettings {
  /** `production`: custom domain required, termination protection on. Default `test`. */
  stage: Stage;
  /** Two-digit region code, the first two digits of every receipt code. */
  regionCode: string;
  /** Name of the finance bureau printed on receipts. */
  bureauName: string;
  /** Public base URL (QR codes on receipts point here). Default: the custom domain, else the distribution. */
  publicUrl?: string;
  /** Default size of an allocated number range. */
  rangeSize: number;
  /**
   * Prefix of the staff sign-in domain (`<prefix>.auth.<region>.amazoncognito.com`), unique in
   * the region; lowercase letters, digits and hyphens, without `aws`, `amazon` or `cognito`.
   * Default `feeproof-<stage>-<account id>`.
   */
  signInDomainPrefix?: string;
  /** Default REQUIRED (TOTP); OPTIONAL is reported at synth. */
  mfa: MfaMode;
  /** Cognito threat protection (Plus feature plan, billed per monthly active user). */
  threatProtection: boolean;
  /** Send Cognito's e-mail through SES (the default sender allows 50 e-mails a day). */
  sesSender?: SesSender;
  /** Every staff route; the public routes get `publicThrottling`. */
  throttling: ApiThrottling;
  /** Each public (anonymous) route. */
  publicThrottling: ApiThrottling;
  concurrency: Concurrency;
  /** Default: the runtime's (08:30-17:30, Monday to Friday). Passed as JSON in FEEPROOF_OFFICE_HOURS. */
  officeHours?: OfficeHours;
  /** Overrides of the runtime's alert thresholds. Passed as JSON in FEEPROOF_ALERTS. */
  alerts?: AlertThresholds;
  domain?: CustomDomain;
  /** E-mail addresses subscribed to the stack's alarm topic. */
  alarmEmails: string[];
  /** An existing SNS topic every alarm also notifies (e.g. an on-call tool's). */
  alarmTopicArn?: string;
  /**
   * The stack's own WAF web ACL on the distribution (created only when the stack deploys to
   * us-east-1, where CLOUDFRONT-scope ACLs live). `false` turns it off (reported at synth).
   */
  waf: boolean;
  /** Requests per client address in 5 minutes on the public routes before WAF blocks it. */
  wafRateLimit: number;
  /** An existing WAFv2 web ACL ARN (scope CLOUDFRONT, in us-east-1) to attach instead of the stack's. */
  webAclArn?: string;
  /** The role that may change key policies and schedule key deletion; default: a role the stack creates. */
  keyAdminRoleArn?: string;
  /** AWS Backup of the tables; `false` turns it off (reported at synth). */
  backup: BackupSettings | false;
  /**
   * Generation of the receipt signing key. Raising it (2, 3, …) rotates: a new KMS key signs
   * from then on, the earlier ones are kept, disabled. Never lower it.
   */
  signingKeyGeneration: number;
  /**
   * Years each receipt PDF is kept under S3 Object Lock in compliance mode (lib/receipt-store.ts):
   * not even the account's root user can delete or overwrite it before then. Default 30, the
   * retention of accounting vouchers under 会计档案管理办法 (2015, MOF and National Archives order 79).
   */
  receiptRetentionYears: number;
  /**
   * Public statistics (docs/open-data.md): a department or item with fewer receipts than this in
   * a month goes into no published amount. Default 3. FEEPROOF_STATS_MIN_RECEIPTS.
   */
  statsMinReceipts: number;
  /**
   * The complaint form's limits (per address a day, per receipt ever) and the days contacts are
   * kept; keys not given keep the runtime's defaults. FEEPROOF_COMPLAINT_LIMITS (JSON).
   */
  complaintLimits: ComplaintLimits;
  /** The bureau's published supervision phone number on the public pages. FEEPROOF_SUPERVISION_PHONE. */
  supervisionPhone?: string;
  /**
   * The collecting departments' signing keys (开票单位签章, issue 17): one KMS key per code, made
   * by the stack (lib/signing-key.ts DepartmentKeys). Absent: no department keys, receipts carry
   * the bureau's signature alone (`bureau_only`), as before issue 17.
   */
  departmentKeys?: DepartmentKeySettings;
  /**
   * The transparency log's name (checkpoint origin and key name, docs/transparency-log.md).
   * Default `<first custom domain>/log`, else `feeproof-<stage>-<account>-<region>/log`. Never
   * change it once deployed: witnesses and monitors know the log by it.
   */
  logOrigin?: string;
  /** Witnesses the log submits each checkpoint to (C2SP tlog-witness): `url` ending in `/`, cosigner `vkey`. */
  logWitnesses?: { url: string; vkey: string }[];
}

export interface DepartmentKeySettings {
  /** Department codes (2-16 capitals or digits, as the departments directory has them). Adding one is a deploy. */
  departments: string[];
  /** `ECC_NIST_P256` (default) or `SM2`, which exists in the AWS China Regions only (checked at synth). */
  keySpec?: 'ECC_NIST_P256' | 'SM2';
  /** Per department, its key's generation (default 1): raising one rotates that key, like signingKeyGeneration. */
  generations?: Record<string, number>;
}

export interface FeeproofStackProps extends StackProps, Partial<FeeproofSettings> {
  /** Directory deployed to the web bucket. Default: `web/` under the repository root. */
  webDir?: string;
}

export const DEFAULT_SETTINGS: FeeproofSettings = {
  regionCode: '11',
  bureauName: '财政局',
  stage: 'test',
  rangeSize: 10_000,
  mfa: 'REQUIRED',
  threatProtection: false,
  throttling: { rateLimit: 50, burstLimit: 100 },
  publicThrottling: { rateLimit: 20, burstLimit: 40 },
  concurrency: { receipts: 20, recovery: 1, public: 10, verify: 20 },
  alarmEmails: [],
  waf: true,
  wafRateLimit: 300,
  backup: { dailyRetentionDays: 14, monthlyRetentionDays: 365 * 10, lockMode: 'governance' },
  signingKeyGeneration: 1,
  receiptRetentionYears: 30,
  // The runtime's defaults, from their one home.
  statsMinReceipts: DEFAULT_MIN_RECEIPTS,
  complaintLimits: DEFAULT_COMPLAINT_LIMITS,
};

export function resolveSettings(props: Partial<FeeproofSettings>): FeeproofSettings {
  const defined = Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined));
  const settings: FeeproofSettings = { ...DEFAULT_SETTINGS, ...defined };
  // Objects merge key by key, so one override does not drop the other defaults.
  settings.concurrency = { ...DEFAULT_SETTINGS.concurrency, ...props.concurrency };
  if (settings.backup)
    settings.backup = { ...(DEFAULT_SETTINGS.backup as BackupSettings), ...settings.backup };
  const limitsProblem = complaintLimitsProblem({ ...props.complaintLimits });
  if (limitsProblem) throw new Error(`complaintLimits: ${limitsProblem}`);
  settings.complaintLimits = { ...DEFAULT_COMPLAINT_LIMITS, ...props.complaintLimits };
  if (!Number.isInteger(settings.statsMinReceipts) || settings.statsMinReceipts < 1) {
    throw new Error(`statsMinReceipts must be a positive integer, got ${settings.statsMinReceipts}`);
  }
  const phone = settings.supervisionPhone;
  if (phone !== undefined && !SUPERVISION_PHONE.test(phone)) {
    throw new Error(
      `supervisionPhone must be 3-30 digits, spaces, hyphens, parentheses or a leading +, got '${phone}'`,
    );
  }
  if (!/^\d{2}$/.test(settings.regionCode)) {
    throw new Error(`regionCode must be two digits, got '${settings.regionCode}'`);
  }
  if (!Number.isInteger(settings.rangeSize) || settings.rangeSize < 1) {
    throw new Error(`rangeSize must be a positive integer, got ${settings.rangeSize}`);
  }
  if (!Number.isInteger(settings.signingKeyGeneration) || settings.signingKeyGeneration < 1) {
    throw new Error(`signingKeyGeneration must be a positive integer, got ${settings.signingKeyGeneration}`);
  }
  const years = settings.receiptRetentionYears;
  if (!Number.isInteger(years) || years < 1 || years > 100) {
    throw new Error(`receiptRetentionYears must be whole years from 1 to 100, got ${years}`);
  }
  const prefix = settings.signInDomainPrefix;
  if (
    prefix !== undefined &&
    (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(prefix) || /aws|amazon|cognito/.test(prefix))
  ) {
    throw new Error(
      `signInDomainPrefix must be 1-63 lowercase letters, digits and inner hyphens without aws, amazon or cognito, got '${prefix}'`,
    );
  }
  if (!['production', 'test'].includes(settings.stage)) {
    throw new Error(`stage must be 'production' or 'test', got '${settings.stage}'`);
  }
  if (settings.stage === 'production' && !settings.domain) {
    throw new Error(
      "stage 'production' needs the domain prop (domainNames and a us-east-1 certificateArn): receipts print their verification URL in the QR code forever",
    );
  }
  for (const [key, value] of Object.entries(settings.concurrency)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`concurrency.${key} must be a positive integer, got ${value}`);
    }
  }
  if (settings.backup) {
    const { dailyRetentionDays: daily, monthlyRetentionDays: monthly } = settings.backup;
    if (![daily, monthly].every((d) => Number.isInteger(d) && d >= 1) || monthly < daily) {
      throw new Error(
        `backup retention must be whole days, monthly at least daily, got daily ${daily}, monthly ${monthly}`,
      );
    }
  }
  checkOfficeHours(settings.officeHours);
  checkAlerts(settings.alerts);
  checkDepartmentKeys(settings.departmentKeys);
  checkLog(settings);
  return settings;
}

/** A published phone number as people write it: 12345, 010-12345678, +86 10 1234 5678, (010) 1234-5678. */
const SUPERVISION_PHONE = /^\+?[0-9() -]{3,30}$/;

/** What the settings turn off that the defaults have on, by setting: printed as warnings at synth. */
export function weakenedDefaults(settings: FeeproofSettings): [setting: string, message: string][] {
  const out: [string, string][] = [];
  if (settings.mfa !== 'REQUIRED')
    out.push(['mfa', 'mfa is OPTIONAL: staff can sign in with a password alone']);
  if (!settings.waf && !settings.webAclArn) {
    out.push(['waf', 'waf is false and there is no webAclArn: no WAF in front of the site and the API']);
  }
  if (!settings.backup) {
    out.push(['backup', 'backup is false: the tables have only the 35 days of point-in-time recovery']);
  }
  return out;
}

/** Refused at synth time rather than by every function at its first request. */
function checkOfficeHours(hours: OfficeHours | undefined): void {
  if (!hours) return;
  const hhmm = /^([01]\d|2[0-3]):[0-5]\d$/;
  if (!hhmm.test(hours.start) || !hhmm.test(hours.end) || hours.start >= hours.end) {
    throw new Error(`officeHours must be HH:MM with start before end, got ${hours.start}-${hours.end}`);
  }
  if (!hours.days.length || hours.days.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) {
    throw new Error(`officeHours.days must be ISO weekdays 1-7, got ${JSON.stringify(hours.days)}`);
  }
  const unknown = Object.keys(hours).filter((k) => !['start', 'end', 'days'].includes(k));
  if (unknown.length) throw new Error(`officeHours has unknown keys: ${unknown.join(', ')}`);
}

function checkAlerts(alerts: AlertThresholds | undefined): void {
  for (const [key, value] of Object.entries(alerts ?? {})) {
    if (!(ALERT_THRESHOLD_KEYS as readonly string[]).includes(key)) {
      throw new Error(`alerts has an unknown key '${key}' (known: ${ALERT_THRESHOLD_KEYS.join(', ')})`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new Error(`alerts.${key} must be a positive number, got ${JSON.stringify(value)}`);
    }
  }
}

/** Environment variable names shared with the runtime (besides each table's `envVar`). */
export { ENV } from '../lambdas/runtime/env.js';

const DEPARTMENT_CODE = /^[A-Z0-9]{2,16}$/;

function checkDepartmentKeys(keys: DepartmentKeySettings | undefined): void {
  if (keys === undefined) return;
  const { departments, keySpec = 'ECC_NIST_P256', generations = {} } = keys;
  if (!Array.isArray(departments) || departments.length === 0)
    throw new Error('departmentKeys.departments must list at least one department code');
  for (const code of departments)
    if (typeof code !== 'string' || !DEPARTMENT_CODE.test(code))
      throw new Error(
        `departmentKeys.departments: bad department code ${JSON.stringify(code)} (2-16 capitals or digits)`,
      );
  if (new Set(departments).size !== departments.length)
    throw new Error('departmentKeys.departments lists a department twice');
  if (!['ECC_NIST_P256', 'SM2'].includes(keySpec))
    throw new Error(`departmentKeys.keySpec must be ECC_NIST_P256 or SM2, got ${keySpec}`);
  for (const [code, generation] of Object.entries(generations)) {
    if (!departments.includes(code))
      throw new Error(`departmentKeys.generations names ${code}, not in departments`);
    if (!Number.isInteger(generation) || generation < 1)
      throw new Error(`departmentKeys.generations.${code} must be a positive integer, got ${generation}`);
  }
}

/** The log's origin and witnesses, refused at synth rather than by the integrator's first run. */
function checkLog({ logOrigin, logWitnesses = [] }: FeeproofSettings): void {
  if (logOrigin !== undefined && !/^[^\s+]+$/.test(logOrigin))
    throw new Error(`logOrigin must be a key name (no spaces, no +), got '${logOrigin}'`);
  for (const w of logWitnesses) {
    if (!/^https:\/\/\S+\/$/.test(w.url))
      throw new Error(`logWitnesses: url must be https and end in /, got '${w.url}'`);
    if (!/^[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$/.test(w.vkey))
      throw new Error(`logWitnesses: not a vkey (name+hex id+base64 key): '${w.vkey}'`);
  }
}
