/**
 * Deployment settings of the feeproof stack and their defaults. The values reach the
 * functions as environment variables (names in `ENV`), so the lead's runtime config reads
 * the same names locally and in Lambda.
 */
import type { StackProps } from 'aws-cdk-lib';

export type MfaMode = 'OPTIONAL' | 'REQUIRED';

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

export interface FeeproofSettings {
  /** Two-digit region code, the first two digits of every receipt code. */
  regionCode: string;
  /** Name of the finance bureau printed on receipts. */
  bureauName: string;
  /** Public base URL (QR codes on receipts point here). Default: the custom domain, else the distribution. */
  publicUrl?: string;
  /** Default size of an allocated number range. */
  rangeSize: number;
  mfa: MfaMode;
  throttling: ApiThrottling;
  /** Default: the runtime's (08:30-17:30, Monday to Friday). Passed as JSON in FEEPROOF_OFFICE_HOURS. */
  officeHours?: OfficeHours;
  /** Overrides of the runtime's alert thresholds. Passed as JSON in FEEPROOF_ALERTS. */
  alerts?: AlertThresholds;
  domain?: CustomDomain;
  /** SNS topic ARN the alarms notify; no notification when absent. */
  alarmTopicArn?: string;
  /** WAFv2 web ACL ARN (scope CLOUDFRONT, in us-east-1) for the distribution. */
  webAclArn?: string;
  /**
   * Generation of the receipt signing key. Raising it (2, 3, …) rotates: a new KMS key signs
   * from then on, the earlier ones are kept, disabled. Never lower it.
   */
  signingKeyGeneration: number;
}

export interface FeeproofStackProps extends StackProps, Partial<FeeproofSettings> {
  /**
   * Path of the entry file of a function (`<name>` is a route group or `recovery`).
   * Default: `lambdas/handlers/<name>.ts` under the repository root.
   */
  handlerEntry?: (name: string) => string;
  /** Directory deployed to the web bucket. Default: `web/` under the repository root. */
  webDir?: string;
}

export const DEFAULT_SETTINGS: FeeproofSettings = {
  regionCode: '11',
  bureauName: '财政局',
  rangeSize: 10_000,
  mfa: 'OPTIONAL',
  throttling: { rateLimit: 50, burstLimit: 100 },
  signingKeyGeneration: 1,
};

export function resolveSettings(props: Partial<FeeproofSettings>): FeeproofSettings {
  const defined = Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined));
  const settings: FeeproofSettings = { ...DEFAULT_SETTINGS, ...defined };
  if (!/^\d{2}$/.test(settings.regionCode)) {
    throw new Error(`regionCode must be two digits, got '${settings.regionCode}'`);
  }
  if (!Number.isInteger(settings.rangeSize) || settings.rangeSize < 1) {
    throw new Error(`rangeSize must be a positive integer, got ${settings.rangeSize}`);
  }
  if (!Number.isInteger(settings.signingKeyGeneration) || settings.signingKeyGeneration < 1) {
    throw new Error(`signingKeyGeneration must be a positive integer, got ${settings.signingKeyGeneration}`);
  }
  checkOfficeHours(settings.officeHours);
  checkAlerts(settings.alerts);
  return settings;
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
