import { CHARGE_RULES, type ChargeViolation } from './charge.js';
import { BUREAU_UTC_OFFSET_MINUTES } from './dates.js';
import type { Fen } from './money.js';
import { formatYuan } from './money.js';
import type { ReceiptContent } from './receipt.js';
import type { Totals } from './totals.js';

/**
 * Electronic supervision (电子监察): the rules that warn auditors, evaluated as receipts
 * are issued and charges refused. Every threshold lives here, with its default; a
 * deployment overrides them with FEEPROOF_ALERTS and FEEPROOF_OFFICE_HOURS (JSON).
 */
export interface AlertThresholds {
  /** This many refused charges by one department within one clock hour is a pattern. */
  repeatedRefusalsPerHour: number;
  /** A red reversal this many days or more after the original was issued. */
  lateReversalDays: number;
  /** A department whose red receipts exceed this share of its receipts this year... */
  reversalSharePercent: number;
  /** ...once it has issued at least this many. */
  reversalShareMinReceipts: number;
  /** A line amount above this multiple of the item's average this year... */
  amountAboveUsualFactor: number;
  /** ...once the item has this many lines to average. */
  amountAboveUsualMinSamples: number;
  /** A receipt still unfinished (number taken, not signed) after this many minutes. */
  stuckMinutes: number;
}

export interface OfficeHours {
  /** `HH:MM`, 24 h, in the bureau's zone (UTC+8). */
  start: string;
  end: string;
  /** ISO weekdays: 1 = Monday ... 7 = Sunday. */
  days: number[];
}

export const DEFAULT_THRESHOLDS: AlertThresholds = {
  repeatedRefusalsPerHour: 3,
  lateReversalDays: 30,
  reversalSharePercent: 20,
  reversalShareMinReceipts: 20,
  amountAboveUsualFactor: 3,
  amountAboveUsualMinSamples: 10,
  stuckMinutes: 15,
};

export const DEFAULT_OFFICE_HOURS: OfficeHours = { start: '08:30', end: '17:30', days: [1, 2, 3, 4, 5] };

export type Severity = 'info' | 'warning' | 'critical';
export const ALERT_RULES = [
  'charge_refused',
  'repeated_refusals',
  'late_issuance',
  'late_reversal',
  'reversal_share',
  'outside_office_hours',
  'amount_above_usual',
  'receipt_stuck',
  'range_closed_unused',
  'range_unavailable',
  /** A payer's complaint (core/complaints.ts complaintAlert). */
  'payer_complaint',
] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

/** An alert before it is stored: `key` makes repeats of one finding collapse into one alert. */
export interface AlertDraft {
  key: string;
  severity: Severity;
  rule: AlertRule;
  department: string;
  /** The receipts (code/number) or events involved. */
  subjects: string[];
  message: { zh: string; en: string };
}

const ref = (r: Pick<ReceiptContent, 'code' | 'number'>) => `${r.code}/${r.number}`;

/** Minutes since midnight and ISO weekday of an instant in the bureau's zone (UTC+8). */
function localClock(instant: string): { minutes: number; weekday: number } {
  const local = new Date(Date.parse(instant) + BUREAU_UTC_OFFSET_MINUTES * 60_000);
  return { minutes: local.getUTCHours() * 60 + local.getUTCMinutes(), weekday: local.getUTCDay() || 7 };
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function outsideOfficeHours(instant: string, hours: OfficeHours): boolean {
  const { minutes, weekday } = localClock(instant);
  return !hours.days.includes(weekday) || minutes < toMinutes(hours.start) || minutes >= toMinutes(hours.end);
}

/** A refused charge is always worth a look; several in an hour from one department, more so. */
export function refusalAlerts(
  refusal: { department: string; eventId: string; violations: ChargeViolation[]; at: string },
  refusalsThisHour: number,
  t: AlertThresholds,
): AlertDraft[] {
  const labels = [...new Set(refusal.violations.map((v) => v.rule))].map((r) => CHARGE_RULES[r]);
  const alerts: AlertDraft[] = [
    {
      key: `charge_refused#${refusal.eventId}`,
      severity: 'warning',
      rule: 'charge_refused',
      department: refusal.department,
      subjects: [refusal.eventId],
      message: {
        zh: `拒绝了一笔目录外或不符合标准的收费（${labels.map((l) => l.zh).join('、')}）`,
        en: `a charge off the catalogue was refused (${labels.map((l) => l.en).join('; ')})`,
      },
    },
  ];
  if (refusalsThisHour === t.repeatedRefusalsPerHour)
    alerts.push({
      key: `repeated_refusals#${refusal.department}#${refusal.at.slice(0, 13)}`,
      severity: 'critical',
      rule: 'repeated_refusals',
      department: refusal.department,
      subjects: [refusal.eventId],
      message: {
        zh: `${refusal.department} 一小时内被拒绝收费 ${refusalsThisHour} 次`,
        en: `${refusal.department} had ${refusalsThisHour} charges refused within an hour`,
      },
    });
  return alerts;
}

export interface IssueContext {
  /** The department's totals this year, this receipt included. */
  department: Totals;
  /** Each line's item totals this year, this receipt included. */
  items: ReadonlyMap<string, Totals>;
  /** For a red receipt: when the original was issued. */
  originalIssuedAt?: string;
}

const daysBetween = (from: string, to: string) =>
  Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);

/** The rules evaluated when a receipt is issued, blue or red. */
export function issueAlerts(
  receipt: ReceiptContent,
  context: IssueContext,
  t: AlertThresholds,
  hours: OfficeHours,
): AlertDraft[] {
  const alerts: AlertDraft[] = [];
  const subject = ref(receipt);
  const dept = receipt.department;
  if (outsideOfficeHours(receipt.issuedAt, hours))
    alerts.push({
      key: `outside_office_hours#${subject}`,
      severity: 'warning',
      rule: 'outside_office_hours',
      department: dept,
      subjects: [subject],
      message: {
        zh: `票据 ${subject} 在办公时间以外开具`,
        en: `receipt ${subject} was issued outside office hours`,
      },
    });
  // Within the window the charge check allows (FEEPROOF_MAX_CHARGE_AGE_DAYS): every late one.
  if (receipt.chargeDate < receipt.issueDate) {
    const days = daysBetween(receipt.chargeDate, receipt.issueDate);
    alerts.push({
      key: `late_issuance#${subject}`,
      severity: 'warning',
      rule: 'late_issuance',
      department: dept,
      subjects: [subject],
      message: {
        zh: `票据 ${subject} 补开：收费日期 ${receipt.chargeDate}，开票日期 ${receipt.issueDate}，晚 ${days} 天`,
        en: `receipt ${subject} was issued ${days} day(s) after its charge date ${receipt.chargeDate}`,
      },
    });
  }
  if (receipt.kind === 'blue')
    for (const line of receipt.lines) {
      const totals = context.items.get(line.itemCode);
      if (!totals || totals.issuedCount < t.amountAboveUsualMinSamples) continue;
      const average: Fen = totals.issuedAmount / totals.issuedCount;
      if (average > 0 && line.amount > t.amountAboveUsualFactor * average)
        alerts.push({
          key: `amount_above_usual#${subject}#${line.itemCode}`,
          severity: 'warning',
          rule: 'amount_above_usual',
          department: dept,
          subjects: [subject],
          message: {
            zh: `票据 ${subject} 的 ${line.itemCode} 金额 ${formatYuan(line.amount)} 元远高于平均 ${formatYuan(Math.round(average))} 元`,
            en: `receipt ${subject}: ${line.itemCode} amount ${formatYuan(line.amount)} is far above the average ${formatYuan(Math.round(average))}`,
          },
        });
    }
  if (receipt.kind === 'red' && receipt.reverses) {
    const original = ref(receipt.reverses);
    if (context.originalIssuedAt) {
      const days = Math.floor(
        (Date.parse(receipt.issuedAt) - Date.parse(context.originalIssuedAt)) / 86_400_000,
      );
      if (days >= t.lateReversalDays)
        alerts.push({
          key: `late_reversal#${subject}`,
          severity: 'warning',
          rule: 'late_reversal',
          department: dept,
          subjects: [subject, original],
          message: {
            zh: `票据 ${original} 在开具 ${days} 天后被冲红`,
            en: `receipt ${original} was reversed ${days} days after issue`,
          },
        });
    }
    const { issuedCount, reversedCount } = context.department;
    const share = issuedCount > 0 ? (100 * reversedCount) / issuedCount : 0;
    if (issuedCount >= t.reversalShareMinReceipts && share > t.reversalSharePercent)
      alerts.push({
        key: `reversal_share#${dept}#${receipt.issueDate}`,
        severity: 'critical',
        rule: 'reversal_share',
        department: dept,
        subjects: [subject],
        message: {
          zh: `${dept} 今年冲红 ${reversedCount} 张，占开票 ${issuedCount} 张的 ${share.toFixed(1)}%`,
          en: `${dept} reversed ${reversedCount} of ${issuedCount} receipts this year (${share.toFixed(1)}%)`,
        },
      });
  }
  return alerts;
}

/** A receipt whose number was taken long ago but that is still not signed. */
export function stuckAlert(
  receipt: Pick<ReceiptContent, 'code' | 'number' | 'department' | 'issuedAt'>,
  now: Date,
  t: AlertThresholds,
): AlertDraft | null {
  const minutes = (now.getTime() - Date.parse(receipt.issuedAt)) / 60_000;
  if (minutes < t.stuckMinutes) return null;
  const subject = ref(receipt);
  return {
    key: `receipt_stuck#${subject}`,
    severity: 'critical',
    rule: 'receipt_stuck',
    department: receipt.department,
    subjects: [subject],
    message: {
      zh: `票据 ${subject} 号码已占用 ${Math.floor(minutes)} 分钟仍未完成`,
      en: `receipt ${subject} has been unfinished for ${Math.floor(minutes)} minutes`,
    },
  };
}

/** Numbers left unused when a range is closed: recorded for the reconciliation (核销). */
export function rangeClosedAlert(range: {
  id: string;
  department: string;
  unused: number;
}): AlertDraft | null {
  if (range.unused <= 0) return null;
  return {
    key: `range_closed_unused#${range.id}`,
    severity: 'info',
    rule: 'range_closed_unused',
    department: range.department,
    subjects: [range.id],
    message: {
      zh: `号段 ${range.id} 核销时有 ${range.unused} 个号码未使用`,
      en: `range ${range.id} was closed with ${range.unused} numbers unused`,
    },
  };
}

/** A department that cannot get a number range can issue nothing: someone must act now. */
export function rangeUnavailableAlert(department: string, code: string, why: string, at: string): AlertDraft {
  return {
    // One alert per department, code and hour: a retry storm raises it once.
    key: `range_unavailable#${department}#${code}#${at.slice(0, 13)}`,
    severity: 'critical',
    rule: 'range_unavailable',
    department,
    subjects: [`${department}/${code}`],
    message: {
      zh: `${department} 无法取得票据代码 ${code} 的可用号段，暂停开票：${why}`,
      en: `${department} cannot get a number range of receipt code ${code} and cannot issue: ${why}`,
    },
  };
}
