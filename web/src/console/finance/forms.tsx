/**
 * The finance bureau's catalogue forms: create an item, revise it (a new standard from a date,
 * with reason and basis documents), change its status (suspend, reactivate, abolish). Nothing is
 * checked here: the API's rules decide, and each violation shows next to its field.
 */
import { useState } from 'preact/hooks';
import { localToday } from '../../format.js';
import type { Violation } from '../api.js';
import { go } from '../nav.js';
import { Bi } from '../ui.js';
import { Field, FormError, type ItemVersion, type LegalBasis, type Sent, send } from './shared.js';

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
        <Field
          key={key}
          id={`${props.idPrefix}-${key}`}
          zh={zh}
          en={en}
          path={`${props.path}.${key}`}
          violations={props.violations}
        >
          {(c) => {
            const input = {
              ...c,
              value: props.basis[key],
              onInput: (e: { currentTarget: HTMLInputElement }) =>
                props.onChange({ ...props.basis, [key]: e.currentTarget.value }),
            };
            return key === 'date' ? <input {...input} type="date" /> : <input {...input} type="text" />;
          }}
        </Field>
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
    <Field id={id} zh={zh} en={en} path={key} violations={violations} hint={hint}>
      {(c) => (
        <input {...c} type="text" value={d[key]} onInput={(e) => set({ [key]: e.currentTarget.value })} />
      )}
    </Field>
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
          <Field id="item-standard-type" zh="标准类型" en="Type" path="standard.type" violations={violations}>
            {(c) => (
              <select
                {...c}
                value={d.standardType}
                onChange={(e) => set({ standardType: e.currentTarget.value as ItemDraft['standardType'] })}
              >
                <option value="fixed">固定金额 Fixed</option>
                <option value="range">区间 Range</option>
              </select>
            )}
          </Field>
          {d.standardType === 'fixed' ? (
            <Field
              id="item-amount"
              zh="金额（元）"
              en="Amount (yuan)"
              path="standard.amount"
              violations={violations}
            >
              {(c) => (
                <input
                  {...c}
                  type="text"
                  inputMode="decimal"
                  value={d.amount}
                  onInput={(e) => set({ amount: e.currentTarget.value })}
                />
              )}
            </Field>
          ) : (
            <>
              <Field
                id="item-min"
                zh="下限（元）"
                en="Minimum (yuan)"
                path="standard.min"
                violations={violations}
              >
                {(c) => (
                  <input
                    {...c}
                    type="text"
                    inputMode="decimal"
                    value={d.min}
                    onInput={(e) => set({ min: e.currentTarget.value })}
                  />
                )}
              </Field>
              <Field
                id="item-max"
                zh="上限（元）"
                en="Maximum (yuan)"
                path="standard.max"
                violations={violations}
              >
                {(c) => (
                  <input
                    {...c}
                    type="text"
                    inputMode="decimal"
                    value={d.max}
                    onInput={(e) => set({ max: e.currentTarget.value })}
                  />
                )}
              </Field>
            </>
          )}
          <Field
            id="item-fund"
            zh="资金管理方式"
            en="Fund management"
            path="fundManagement"
            violations={violations}
          >
            {(c) => (
              <select
                {...c}
                value={d.fundManagement}
                onChange={(e) => set({ fundManagement: e.currentTarget.value })}
              >
                <option value="treasury">缴入国库 Treasury</option>
                <option value="special_account">缴入财政专户 Special fiscal account</option>
              </select>
            )}
          </Field>
        </div>
      </fieldset>
      <div class="finance-grid">
        <Field id="item-valid-from" zh="有效期起" en="Valid from" path="validFrom" violations={violations}>
          {(c) => (
            <input
              {...c}
              type="date"
              value={d.validFrom}
              onInput={(e) => set({ validFrom: e.currentTarget.value })}
            />
          )}
        </Field>
        <Field
          id="item-valid-to"
          zh="有效期止（选填）"
          en="Valid to (optional)"
          path="validTo"
          violations={violations}
        >
          {(c) => (
            <input
              {...c}
              type="date"
              value={d.validTo}
              onInput={(e) => set({ validTo: e.currentTarget.value })}
            />
          )}
        </Field>
        {mode === 'revise' && (
          <Field
            id="item-effective-from"
            zh="新标准施行日期"
            en="In force from"
            path="effectiveFrom"
            violations={violations}
          >
            {(c) => (
              <input
                {...c}
                type="date"
                value={d.effectiveFrom}
                onInput={(e) => set({ effectiveFrom: e.currentTarget.value })}
              />
            )}
          </Field>
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
              {v.message}
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
            <Field
              id={`item-exemption-${i}-who`}
              zh="适用对象"
              en="Who"
              path={`exemptions[${i}].who`}
              violations={violations}
            >
              {(c) => (
                <input
                  {...c}
                  type="text"
                  value={x.who}
                  onInput={(e) =>
                    set({
                      exemptions: d.exemptions.map((y, j) =>
                        j === i ? { ...y, who: e.currentTarget.value } : y,
                      ),
                    })
                  }
                />
              )}
            </Field>
            <Field
              id={`item-exemption-${i}-kind`}
              zh="方式"
              en="Kind"
              path={`exemptions[${i}].kind`}
              violations={violations}
            >
              {(c) => (
                <select
                  {...c}
                  value={x.kind}
                  onChange={(e) =>
                    set({
                      exemptions: d.exemptions.map((y, j) =>
                        j === i ? { ...y, kind: e.currentTarget.value as ExemptionDraft['kind'] } : y,
                      ),
                    })
                  }
                >
                  <option value="waive">免收 Waived</option>
                  <option value="percent">按比例减收 Percent off</option>
                  <option value="amount">按金额收取 Charged at</option>
                </select>
              )}
            </Field>
            {x.kind !== 'waive' && (
              <Field
                id={`item-exemption-${i}-value`}
                zh={x.kind === 'percent' ? '减收比例（%）' : '收取金额（元）'}
                en={x.kind === 'percent' ? 'Percent off' : 'Amount (yuan)'}
                path={`exemptions[${i}].${x.kind}`}
                violations={violations}
              >
                {(c) => (
                  <input
                    {...c}
                    type="text"
                    inputMode="decimal"
                    value={x.value}
                    onInput={(e) =>
                      set({
                        exemptions: d.exemptions.map((y, j) =>
                          j === i ? { ...y, value: e.currentTarget.value } : y,
                        ),
                      })
                    }
                  />
                )}
              </Field>
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
        <Field id="status-status" zh="新状态" en="New status" path="status" violations={violations}>
          {(c) => (
            <select
              {...c}
              value={status}
              onChange={(e) => setStatus(e.currentTarget.value as ItemVersion['status'])}
            >
              <option value="suspended">暂停 Suspend</option>
              <option value="active">恢复 Reactivate</option>
              <option value="abolished">取消（不可恢复） Abolish (for good)</option>
            </select>
          )}
        </Field>
        <Field
          id="status-effective-from"
          zh="生效日期"
          en="From"
          path="effectiveFrom"
          violations={violations}
        >
          {(c) => (
            <input
              {...c}
              type="date"
              value={effectiveFrom}
              onInput={(e) => setEffectiveFrom(e.currentTarget.value)}
            />
          )}
        </Field>
      </div>
      {status === 'abolished' && (
        <p class="notice" data-testid="abolish-warning">
          <Bi
            zh="取消后此项目不能再修订或恢复。"
            en="Once abolished, the item can no longer be revised or reactivated."
          />
        </p>
      )}
      <Field id="status-reason" zh="理由" en="Reason" path="reason" violations={violations}>
        {(c) => <input {...c} type="text" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />}
      </Field>
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
