/**
 * How the console shows an API refusal (`{ error, message, details }`): a Chinese headline for
 * its error code, and each violation with its field and rule in Chinese where known, always
 * beside the server's English message (it names exactly what is wrong, so it is never dropped).
 * Nothing is invented: a rule or a field without Chinese words shows the server's message alone.
 * Free of zod (the console's first load stays small): the charge rules' labels come from
 * core/charge.ts, which the cashier's form already bundles.
 */
import { CHARGE_RULES } from '../../../lambdas/core/charge.js';
import type { ErrorCode } from '../../../lambdas/core/errors.js';
import type { ApiErrorBody, Violation } from './api.js';

/** Chinese first ('' when nothing is known in Chinese), then English. */
export interface Words {
  zh: string;
  en: string;
}

/** A request that got no answer (the network, not the server): safe to send again. */
export const NETWORK_ERROR_WORDS: Words = { zh: '网络错误，请重试。', en: 'Network error: try again.' };

/** Each error code's headline; the English is said when the server sent no message of its own. */
const HEADLINES: Record<ErrorCode, Words> = {
  bad_request: { zh: '请求内容有误', en: 'Bad request' },
  unauthorized: { zh: '未登录或登录已过期', en: 'Not signed in' },
  forbidden: { zh: '无权进行此操作', en: 'Not allowed' },
  not_found: { zh: '未找到', en: 'Not found' },
  conflict: { zh: '与已有记录冲突，未作更改', en: 'Conflict: nothing was changed' },
  payload_too_large: { zh: '内容过大', en: 'Too large' },
  unsupported_media_type: { zh: '不支持的内容格式', en: 'Unsupported content type' },
  charge_rejected: { zh: '不符合收费目录，不能开具', en: 'Refused by the catalogue' },
  unprocessable: { zh: '不符合规则，未作更改', en: 'Breaks a rule: nothing was changed' },
  rate_limited: { zh: '请求过于频繁，请稍后再试', en: 'Too many requests: try again shortly' },
  service_unavailable: { zh: '服务暂不可用，请稍后再试', en: 'Service unavailable: try again shortly' },
  internal_error: { zh: '服务内部错误', en: 'Internal error' },
};

/** An answer without a known code (e.g. a gateway's own 502) is named by its status. */
const BY_STATUS: Record<string, Words> = {
  400: HEADLINES.bad_request,
  401: HEADLINES.unauthorized,
  403: HEADLINES.forbidden,
  404: HEADLINES.not_found,
  409: HEADLINES.conflict,
  413: HEADLINES.payload_too_large,
  415: HEADLINES.unsupported_media_type,
  422: HEADLINES.unprocessable,
  429: HEADLINES.rate_limited,
  500: HEADLINES.internal_error,
  502: HEADLINES.service_unavailable,
  503: HEADLINES.service_unavailable,
  504: HEADLINES.service_unavailable,
};

const FAILED: Words = { zh: '请求未成功', en: 'The request failed' };

/**
 * The rules the server names (core/charge.ts, core/catalogue-changes.ts, core/catalogue-import.ts,
 * the handlers, and zod's own codes as core/schemas.ts violationsOf passes them on). `custom` (a
 * schema's own check) has no words of its own: its message says it.
 */
const RULES: Record<string, string> = {
  ...Object.fromEntries(Object.entries(CHARGE_RULES).map(([rule, label]) => [rule, label.zh])),
  // zod's codes
  invalid_type: '缺少或类型不正确',
  invalid_value: '缺少或不是允许的值',
  invalid_format: '格式不正确',
  invalid_union: '不符合任何一种允许的形式',
  too_small: '为空或不足下限',
  too_big: '超出上限',
  not_multiple_of: '不是规定的倍数',
  unknown_field: '未知字段',
  repeated_parameter: '参数重复',
  // the catalogue's changes
  effective_in_past: '生效日期早于今天：已发生的不能改写',
  duplicate_exemption: '同一适用对象的减免重复',
  exemption_not_below_standard: '按金额收取的减免不低于收费标准',
  abolished_new_item: '新设项目不能为取消状态',
  item_abolished: '项目已取消，不能再变更',
  undone_by_scheduled_version:
    '此日期之后已排定的版本会撤销这一变更。版本不可改写：请先在已排定版本的日期上（从晚到早）记录此变更，或把日期定在其后',
  // the catalogue import
  required: '必须填写',
  missing_column: '缺少列',
  unknown_column: '不是目录的列',
  duplicate_column: '列重复',
  no_rows: '没有数据行',
  column_count: '列数与表头不符',
  duplicate_code: '项目编码重复',
  malformed_csv: 'CSV 格式有误',
  // others the console can meet
  numbers_exhausted: '剩余票据号码不足',
  unknown_department: '目录中没有此部门',
  unprintable_character: '票据字体无法打印此字符',
  einvoice_format: '超出电子票据格式的限制',
  complaint_status: '投诉不能变更为此状态',
  alert_state: '预警不能变更为此状态',
  bad_cursor: '翻页位置无效',
  // the public pages' (a console never sends them, but the table is the API's)
  honeypot: '此栏须留空',
  receipt_not_found: '未找到该票据',
  date_in_future: '日期晚于今天',
  date_too_old: '日期早于可受理的期限',
  unreadable_pdf: '无法读取的 PDF',
};

/** A table's entries by key (as a Map: never one of Object's own, such as `constructor`). */
const lookup = <T>(table: Record<string, T>) => {
  const entries = new Map(Object.entries(table));
  return (key: string) => entries.get(key);
};
const ruleOf = lookup(RULES);

/** The Chinese of a rule, or null when it has none. */
export const ruleLabel = (rule: string): string | null => ruleOf(rule) ?? null;

/** Field names as the console's forms and the import's columns send them, segment by segment. */
const FIELDS: Record<string, string> = {
  'payer.type': '缴款人类型',
  'payer.name': '缴款人名称',
  'payer.idNumber': '缴款人证件号码',
  payer: '缴款人',
  lines: '收费明细',
  itemCode: '收费项目',
  quantity: '数量',
  amount: '金额',
  exemption: '减免',
  chargeDate: '收费日期',
  remark: '备注',
  handledBy: '开票人（当前用户名）',
  collectingUnit: '执收单位',
  code: '项目编码',
  name: '名称',
  department: '部门',
  departmentName: '部门名称',
  unit: '计费单位',
  standard: '收费标准',
  type: '类型',
  min: '下限',
  max: '上限',
  fundManagement: '资金管理方式',
  validFrom: '有效期起',
  validTo: '有效期止',
  basis: '依据',
  title: '标题',
  number: '文号',
  issuer: '发文机关',
  date: '发文日期',
  exemptions: '减免',
  who: '适用对象',
  kind: '方式',
  percent: '减收比例',
  status: '状态',
  effectiveFrom: '生效日期',
  reason: '理由',
  size: '号码数量',
  state: '状态',
  note: '说明',
  from: '起始日期',
  to: '截止日期',
  csv: 'CSV 文件',
  row: '本行',
};

const field = lookup(FIELDS);
const camel = (s: string) => s.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());

/** One segment: as sent, as a CSV column (`fund_management`), or a column's parts (`basis_title`). */
function segment(name: string): string | null {
  const whole = field(name) ?? field(camel(name));
  if (whole) return whole;
  const parts = name.split('_').map(field);
  return parts.length > 1 && parts.every(Boolean) ? parts.join(' ') : null;
}

/**
 * A field path in Chinese (`lines[0].amount` 第1行 金额, `basis[1].title` 依据2 标题), or null
 * when any part of it has no Chinese name.
 */
export function fieldName(path: string): string | null {
  const exact = field(path);
  if (exact) return exact;
  const words = [...path.matchAll(/([^.[\]]+)(?:\[(\d+)\])?/g)].map(([, name, index]) => {
    const zh = segment(name!);
    if (!zh || index === undefined) return zh;
    return name === 'lines' ? `第${Number(index) + 1}行` : `${zh}${Number(index) + 1}`;
  });
  return words.length && words.every(Boolean) ? words.join(' ') : null;
}

/** A violation: its field and rule in Chinese (as far as known), the server's message in English. */
export function violationWords(v: Violation): Words {
  return { zh: [fieldName(v.path), ruleLabel(v.rule)].filter(Boolean).join('：'), en: v.message };
}

const headlineOf = lookup(HEADLINES);
const headlineOfStatus = lookup(BY_STATUS);

/** A refusal's headline: its code's Chinese, the server's message (or the code's English). */
export function headline(status: number, body: ApiErrorBody | null): Words {
  const words = headlineOf(body?.error ?? '') ?? headlineOfStatus(String(status)) ?? FAILED;
  return { zh: words.zh, en: body?.message || words.en };
}

/** A refusal as the console shows it: its headline, and its violations (each shown by `violationWords`). */
export interface Refusal {
  headline: Words;
  violations: Violation[];
}

export const refusalOf = (status: number, body: ApiErrorBody | null): Refusal => ({
  headline: headline(status, body),
  violations: body?.details ?? [],
});

/** Words as one line of text: `中文 / English`, or the English alone. */
export const wordsText = (w: Words): string => (w.zh ? `${w.zh} / ${w.en}` : w.en);

/** A whole refusal as one line: the headline, each violation, the status. */
export function refusalText(status: number, body: ApiErrorBody | null): string {
  const refusal = refusalOf(status, body);
  const parts = [refusal.headline, ...refusal.violations.map(violationWords)];
  return `${parts.map(wordsText).join('；')} (HTTP ${status})`;
}
