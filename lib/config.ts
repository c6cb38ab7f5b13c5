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

export interface OfficeHours {
  /** IANA time zone the hours are in. */
  timeZone: string;
  /** `HH:MM`, 24 h clock. */
  start: string;
  end: string;
  /** ISO weekdays (1 = Monday … 7 = Sunday). */
  days: number[];
}

/** Thresholds for the auditor warnings; passed verbatim as JSON in `FEEPROOF_ALERTS`. */
export type AlertThresholds = Record<string, string | number | boolean>;

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
  officeHours: OfficeHours;
  alerts: AlertThresholds;
  domain?: CustomDomain;
  /** SNS topic ARN the alarms notify; no notification when absent. */
  alarmTopicArn?: string;
  /** WAFv2 web ACL ARN (scope CLOUDFRONT, in us-east-1) for the distribution. */
  webAclArn?: string;
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
  officeHours: { timeZone: 'Asia/Shanghai', start: '08:30', end: '17:30', days: [1, 2, 3, 4, 5] },
  alerts: {
    largeAmount: '10000.00',
    reversalRatePercent: 10,
    chargesPerHourPerCollector: 200,
    outsideOfficeHours: true,
  },
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
  return settings;
}

/** Environment variable names shared with the runtime (besides each table's `envVar`). */
export { ENV } from '../lambdas/runtime/env.js';
