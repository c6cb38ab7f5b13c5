/**
 * The finance bureau's catalogue forms: create an item, revise it (a new standard from a date,
 * with reason and basis documents), change its status (suspend, reactivate, abolish). Nothing is
 * checked here: the API's rules decide, and each violation shows next to its field.
 */
import { useState } from 'preact/hooks';
import { localToday } from '../../format.js';
import type { Violation } from '../api.js';
import { violationWords } from '../errors.js';
import { SelectField, TextField } from '../fields.js';
import { go } from '../nav.js';
import { Said } from '../refusal.js';
import { Bi } from '../ui.js';
import { FormError, type ItemVersion, type LegalBasis, type Sent, send } from './shared.js';

interface ExemptionDraft {
  who: string;
  kind: 'waive' | 'percent' | 'amount';
  /** The percent or the amount, as typed. */
  value: string;
}

interface ItemDraft {
  code: string;
  name: string;
  department: string;
  unit: string;
  standardType: 'fixed' | 'range';
  amount: string;
  min: string;
  max: string;
  fundManagement: string;
  validFrom: string;
  validTo: string;
  basis: LegalBasis[];
  exemptions: ExemptionDraft[];
  effectiveFrom: string;
  reason: string;
}

const emptyBasis = (): LegalBasis => ({ title: '', number: '', issuer: '', date: '' });

function draftOf(v: ItemVersion | undefined): ItemDraft {
  const today = localToday();
  if (!v)
    return {
      code: '',
      name: '',
      department: '',
      unit: '',
      standardType: 'fixed',
      amount: '',
      min: '',
      max: '',
      fundManagement: 'treasury',
      validFrom: today,
      validTo: '',
      basis: [emptyBasis()],
      exemptions: [],
      effectiveFrom: today,
      reason: '',
    };
  return {
    code: v.code,
    name: v.name,
    department: v.department,
    unit: v.unit,
    standardType: v.standard.type,
    amount: v.standard.amount ?? '',
    min: v.standard.min ?? '',
    max: v.standard.max ?? '',
    fundManagement: v.fundManagement,
    validFrom: v.validFrom,
    validTo: v.validTo ?? '',
    basis: v.basis.map((b) => ({ ...b })),
    exemptions: v.exemptions.map((e) => ({
      who: e.who,
      kind: e.kind,
      value: e.kind === 'percent' ? String(e.percent) : (e.amount ?? ''),
    })),
    effectiveFrom: today,
    reason: '',
  };
}

/** The request body, as typed: a percent that is not digits stays a string, so the API says so. */
function itemBody(d: ItemDraft, mode: 'create' | 'revise') {
  const fields = {
    name: d.name,
    department: d.department,
    unit: d.unit,
    standard:
      d.standardType === 'range'
        ? { type: 'range', min: d.min, max: d.max }
        : { type: 'fixed', amount: d.amount },
    basis: d.basis,
    fundManagement: d.fundManagement,
    validFrom: d.validFrom,
    validTo: d.validTo === '' ? null : d.validTo,
    exemptions: d.exemptions.map((e) =>
      e.kind === 'waive'
        ? { who: e.who, kind: e.kind }
        : e.kind === 'percent'
          ? { who: e.who, kind: e.kind, percent: /^\d+$/.test(e.value) ? Number(e.value) : e.value }
          : { who: e.who, kind: e.kind, amount: e.value },
    ),
  };
  return mode === 'create'
    ? { code: d.code, ...fields, ...(d.reason ? { reason: d.reason } : {}) }
    : { ...fields, effectiveFrom: d.effectiveFrom, reason: d.reason };
}

const BASIS_FIELDS = [
  ['title', '文件名称', 'Title'],
  ['number', '文号', 'Number'],
  ['issuer', '发文机关', 'Issuer'],
  ['date', '发文日期', 'Date'],
] as const;

/** The fields of one legal basis document, its violations under `path.title` etc. */
function BasisFields(props: {
  idPrefix: string;
  path: string;
  basis: LegalBasis;
  violations: Violation[];
  onChange: (b: LegalBasis) => void;
}) {
  return (
    <div class="finance-grid">
      {BASIS_FIELDS.map(([key, zh, en]) => (
        <TextField
          key={key}
          id={`${props.idPrefix}-${key}`}
          zh={zh}
          en={en}
          path={`${props.path}.${key}`}
          violations={props.violations}
          type={key === 'date' ? 'date' : 'text'}
          value={props.basis[key]}
          onValue={(v) => props.onChange({ ...props.basis, [key]: v })}
        />
      ))}
    </div>
  );
}

/** Create an item (no `base`) or revise `base`, the latest version. */
export function ItemForm(props: { base?: ItemVersion }) {
  const mode = props.base ? 'revise' : 'create';
  const [d, setDraft] = useState<ItemDraft>(() => draftOf(props.base));
  const [sent, setSent] = useState<Sent<ItemVersion> | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (change: Partial<ItemDraft>) => setDraft({ ...d, ...change });
  const violations = sent && !sent.ok ? sent.violations : [];

  // Every path a field shows; the form's notice lists the others.
  const shown = new Set([
    ...(mode === 'create' ? ['code'] : ['effectiveFrom']),
    'name',
    'department',
    'unit',
    'standard.type',
    d.standardType === 'range' ? 'standard.min' : 'standard.amount',
    ...(d.standardType === 'range' ? ['standard.max'] : []),
    'fundManagement',
    'validFrom',
    'validTo',
    'basis',
    'reason',
    ...d.basis.flatMap((_, i) => BASIS_FIELDS.map(([k]) => `basis[${i}].${k}`)),
    ...d.exemptions.flatMap((_, i) =>
      ['who', 'kind', 'percent', 'amount'].map((k) => `exemptions[${i}].${k}`),
    ),
  ]);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    const code = mode === 'create' ? d.code : props.base!.code;
    const answer = await send<ItemVersion>(
      mode === 'create' ? 'POST' : 'PUT',
      mode === 'create' ? '/v1/catalogue/items' : `/v1/catalogue/items/${encodeURIComponent(code)}`,
      itemBody(d, mode),
    );
    setBusy(false);
    setSent(answer);
    if (answer.ok) go(`catalogue/${answer.body.code}`);
  };

  const text = (
    id: string,
    key: 'code' | 'name' | 'department' | 'unit' | 'reason',
    zh: string,
    en: string,
    hint?: string,
  ) => (
    <TextField
      id={id}
      zh={zh}
      en={en}
      path={key}
      violations={violations}
      hint={hint}
      value={d[key]}
      onValue={(v) => set({ [key]: v })}
    />
  );

  return (
    <form class="finance-form" data-testid="item-form" onSubmit={submit} noValidate>
      <h2>
        {mode === 'create' ? (
          <Bi zh="新设收费项目" en="New fee item" />
        ) : (
          <Bi zh={`修订 ${props.base!.code}`} en={`Revise ${props.base!.code}`} />
        )}
      </h2>
      <FormError sent={sent} shown={(p) => shown.has(p)} />
      <div class="finance-grid">
        {mode === 'create' && text('item-code', 'code', '项目编码', 'Code', 'ZRZY-009')}
        {text('item-name', 'name', '项目名称', 'Name')}
        {mode === 'create' &&
          text('item-department', 'department', '执收部门编码', 'Department code', 'ZRZY')}
        {text('item-unit', 'unit', '计费单位', 'Unit', '件 / 次')}
      </div>
      <fieldset>
        <legend>
          <Bi zh="收费标准" en="Standard" />
        </legend>
        <div class="finance-grid">
          <SelectField
            id="item-standard-type"
            zh="标准类型"
            en="Type"
            path="standard.type"
            violations={violations}
            value={d.standardType}
            options={[
              ['fixed', '固定金额 Fixed'],
              ['range', '区间 Range'],
            ]}
            onValue={(v) => set({ standardType: v as ItemDraft['standardType'] })}
          />
          {d.standardType === 'fixed' ? (
            <TextField
              id="item-amount"
              zh="金额（元）"
              en="Amount (yuan)"
              path="standard.amount"
              violations={violations}
              inputMode="decimal"
              value={d.amount}
              onValue={(v) => set({ amount: v })}
            />
          ) : (
            <>
              <TextField
                id="item-min"
                zh="下限（元）"
                en="Minimum (yuan)"
                path="standard.min"
                violations={violations}
                inputMode="decimal"
                value={d.min}
                onValue={(v) => set({ min: v })}
              />
              <TextField
                id="item-max"
                zh="上限（元）"
                en="Maximum (yuan)"
                path="standard.max"
                violations={violations}
                inputMode="decimal"
                value={d.max}
                onValue={(v) => set({ max: v })}
              />
            </>
          )}
          <SelectField
            id="item-fund"
            zh="资金管理方式"
            en="Fund management"
            path="fundManagement"
            violations={violations}
            value={d.fundManagement}
            options={[
              ['treasury', '缴入国库 Treasury'],
              ['special_account', '缴入财政专户 Special fiscal account'],
            ]}
            onValue={(v) => set({ fundManagement: v })}
          />
        </div>
      </fieldset>
      <div class="finance-grid">
        <TextField
          id="item-valid-from"
          zh="有效期起"
          en="Valid from"
          path="validFrom"
          violations={violations}
          type="date"
          value={d.validFrom}
          onValue={(v) => set({ validFrom: v })}
        />
        <TextField
          id="item-valid-to"
          zh="有效期止（选填）"
          en="Valid to (optional)"
          path="validTo"
          violations={violations}
          type="date"
          value={d.validTo}
          onValue={(v) => set({ validTo: v })}
        />
        {mode === 'revise' && (
          <TextField
            id="item-effective-from"
            zh="新标准施行日期"
            en="In force from"
            path="effectiveFrom"
            violations={violations}
            type="date"
            value={d.effectiveFrom}
            onValue={(v) => set({ effectiveFrom: v })}
          />
        )}
      </div>
      <fieldset
        aria-describedby={violations.some((v) => v.path === 'basis') ? 'item-basis-error' : undefined}
      >
        <legend>
          <Bi zh="收费依据文件" en="Basis documents" />
        </legend>
        {violations
          .filter((v) => v.path === 'basis')
          .map((v) => (
            <p class="field-error" id="item-basis-error" key={v.rule}>
              <Said words={violationWords(v)} />
            </p>
          ))}
        {d.basis.map((b, i) => (
          <div class="finance-repeat" key={`basis-${i}`}>
            <BasisFields
              idPrefix={`item-basis-${i}`}
              path={`basis[${i}]`}
              basis={b}
              violations={violations}
              onChange={(nb) => set({ basis: d.basis.map((x, j) => (j === i ? nb : x)) })}
            />
            <button
              type="button"
              class="button button--secondary"
              onClick={() => set({ basis: d.basis.filter((_, j) => j !== i) })}
            >
              <Bi zh="删除此文件" en="Remove this document" />
            </button>
          </div>
        ))}
        <button
          type="button"
          class="button button--secondary"
          data-testid="add-basis"
          onClick={() => set({ basis: [...d.basis, emptyBasis()] })}
        >
          <Bi zh="添加依据文件" en="Add a document" />
        </button>
      </fieldset>
      <fieldset>
        <legend>
          <Bi zh="减免政策" en="Exemptions" />
        </legend>
        {d.exemptions.map((x, i) => (
          <div class="finance-repeat finance-grid" key={`exemption-${i}`}>
            <TextField
              id={`item-exemption-${i}-who`}
              zh="适用对象"
              en="Who"
              path={`exemptions[${i}].who`}
              violations={violations}
              value={x.who}
              onValue={(v) =>
                set({
                  exemptions: d.exemptions.map((y, j) => (j === i ? { ...y, who: v } : y)),
                })
              }
            />
            <SelectField
              id={`item-exemption-${i}-kind`}
              zh="方式"
              en="Kind"
              path={`exemptions[${i}].kind`}
              violations={violations}
              value={x.kind}
              options={[
                ['waive', '免收 Waived'],
                ['percent', '按比例减收 Percent off'],
                ['amount', '按金额收取 Charged at'],
              ]}
              onValue={(v) =>
                set({
                  exemptions: d.exemptions.map((y, j) =>
                    j === i ? { ...y, kind: v as ExemptionDraft['kind'] } : y,
                  ),
                })
              }
            />
            {x.kind !== 'waive' && (
              <TextField
                id={`item-exemption-${i}-value`}
                zh={x.kind === 'percent' ? '减收比例（%）' : '收取金额（元）'}
                en={x.kind === 'percent' ? 'Percent off' : 'Amount (yuan)'}
                path={`exemptions[${i}].${x.kind}`}
                violations={violations}
                inputMode="decimal"
                value={x.value}
                onValue={(v) =>
                  set({
                    exemptions: d.exemptions.map((y, j) => (j === i ? { ...y, value: v } : y)),
                  })
                }
              />
            )}
            <button
              type="button"
              class="button button--secondary"
              onClick={() => set({ exemptions: d.exemptions.filter((_, j) => j !== i) })}
            >
              <Bi zh="删除" en="Remove" />
            </button>
          </div>
        ))}
        <button
          type="button"
          class="button button--secondary"
          onClick={() => set({ exemptions: [...d.exemptions, { who: '', kind: 'waive', value: '' }] })}
        >
          <Bi zh="添加减免" en="Add an exemption" />
        </button>
      </fieldset>
      {text(
        'item-reason',
        'reason',
        mode === 'create' ? '设立理由（选填）' : '修订理由',
        mode === 'create' ? 'Reason (optional)' : 'Reason',
      )}
      <p class="finance-actions">
        <button type="submit" class="button" data-testid="item-submit" disabled={busy}>
          {mode === 'create' ? <Bi zh="新设" en="Create" /> : <Bi zh="提交修订" en="Save the revision" />}
        </button>
        <a
          class="button button--secondary"
          href={props.base ? `#catalogue/${props.base.code}` : '#catalogue'}
        >
          <Bi zh="取消" en="Cancel" />
        </a>
      </p>
    </form>
  );
}

/** Suspend, reactivate or abolish an item from a date, with reason and the ordering document. */
export function StatusForm(props: { item: ItemVersion }) {
  const [status, setStatus] = useState<ItemVersion['status']>(
    props.item.status === 'active' ? 'suspended' : 'active',
  );
  const [effectiveFrom, setEffectiveFrom] = useState(localToday());
  const [reason, setReason] = useState('');
  const [basis, setBasis] = useState<LegalBasis>(emptyBasis);
  const [sent, setSent] = useState<Sent<ItemVersion> | null>(null);
  const [busy, setBusy] = useState(false);
  const violations = sent && !sent.ok ? sent.violations : [];
  const shown = new Set(['status', 'effectiveFrom', 'reason', ...BASIS_FIELDS.map(([k]) => `basis.${k}`)]);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    const answer = await send<ItemVersion>(
      'POST',
      `/v1/catalogue/items/${encodeURIComponent(props.item.code)}/status`,
      { status, effectiveFrom, reason, basis },
    );
    setBusy(false);
    setSent(answer);
    if (answer.ok) go(`catalogue/${props.item.code}`);
  };

  return (
    <form class="finance-form" data-testid="status-form" onSubmit={submit} noValidate>
      <h2>
        <Bi zh={`变更状态 ${props.item.code}`} en={`Change the status of ${props.item.code}`} />
      </h2>
      <FormError sent={sent} shown={(p) => shown.has(p)} />
      <div class="finance-grid">
        <SelectField
          id="status-status"
          zh="新状态"
          en="New status"
          path="status"
          violations={violations}
          value={status}
          options={[
            ['suspended', '暂停 Suspend'],
            ['active', '恢复 Reactivate'],
            ['abolished', '取消（不可恢复） Abolish (for good)'],
          ]}
          onValue={(v) => setStatus(v as ItemVersion['status'])}
        />
        <TextField
          id="status-effective-from"
          zh="生效日期"
          en="From"
          path="effectiveFrom"
          violations={violations}
          type="date"
          value={effectiveFrom}
          onValue={setEffectiveFrom}
        />
      </div>
      {status === 'abolished' && (
        <p class="notice" data-testid="abolish-warning">
          <Bi
            zh="取消后此项目不能再修订或恢复。"
            en="Once abolished, the item can no longer be revised or reactivated."
          />
        </p>
      )}
      <TextField
        id="status-reason"
        zh="理由"
        en="Reason"
        path="reason"
        violations={violations}
        value={reason}
        onValue={setReason}
      />
      <fieldset>
        <legend>
          <Bi zh="依据文件" en="Ordering document" />
        </legend>
        <BasisFields
          idPrefix="status-basis"
          path="basis"
          basis={basis}
          violations={violations}
          onChange={setBasis}
        />
      </fieldset>
      <p class="finance-actions">
        <button type="submit" class="button" data-testid="status-submit" disabled={busy}>
          <Bi zh="提交" en="Submit" />
        </button>
        <a class="button button--secondary" href={`#catalogue/${props.item.code}`}>
          <Bi zh="取消" en="Cancel" />
        </a>
      </p>
    </form>
  );
}
