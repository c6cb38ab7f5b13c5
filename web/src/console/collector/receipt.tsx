/**
 * A receipt as the staff see it: its facts, its lines, its PDF. The collecting department's
 * receipt page and the auditors' read the same shape (amounts in yuan strings).
 */
import { type Column, DataTable } from '../table.js';
import { Bi, Fact } from '../ui.js';

export interface ReceiptRef {
  code: string;
  number: string;
}

export interface ReceiptLine {
  itemCode: string;
  name: string;
  unit: string;
  quantity: number;
  standard: string;
  amount: string;
  exemption?: string;
}

export interface ReceiptView extends ReceiptRef {
  kind: 'blue' | 'red';
  status: 'pending' | 'issued' | 'reversed';
  issuedAt: string;
  chargeDate: string;
  department: string;
  collectingUnit: string;
  payer: { type: 'person' | 'unit'; name: string; idNumber?: string };
  lines: ReceiptLine[];
  total: string;
  totalInWords?: string;
  handledBy: string;
  remark?: string;
  reverses?: ReceiptRef;
  reversedBy?: ReceiptRef;
  reason?: string;
  checks?: number;
}

export const refText = (r: ReceiptRef) => `${r.code}/${r.number}`;

/** An instant as the bureau reads it: date and time in its zone (UTC+8), to the minute. */
export function localTime(instant: string): string {
  const local = new Date(Date.parse(instant) + 8 * 3600_000).toISOString();
  return `${local.slice(0, 10)} ${local.slice(11, 16)}`;
}

/** 已开具 / 已冲红 / 红字 / 开具中: what a receipt is now, as a chip. */
export function StatusChip(props: { receipt: Pick<ReceiptView, 'kind' | 'status'> }) {
  const { kind, status } = props.receipt;
  const [zh, en, tone] =
    kind === 'red'
      ? ['红字票据', 'red', 'red']
      : status === 'reversed'
        ? ['已冲红', 'reversed', 'reversed']
        : status === 'pending'
          ? ['开具中', 'pending', 'pending']
          : ['已开具', 'issued', 'issued'];
  return (
    <span class={`status-chip status-chip--${tone}`}>
      <Bi zh={zh} en={en} />
    </span>
  );
}

const LINE_COLUMNS: Column[] = [
  { zh: '项目编码', en: 'Item' },
  { zh: '名称', en: 'Name' },
  { zh: '数量', en: 'Qty', num: true },
  { zh: '标准', en: 'Standard' },
  { zh: '减免', en: 'Exemption' },
  { zh: '金额', en: 'Amount', num: true },
];

/**
 * The receipt's facts and lines. `link` makes a related receipt (the one reversed, the red
 * one) a link within the same screens.
 */
export function ReceiptDetails(props: { receipt: ReceiptView; link: (r: ReceiptRef) => string }) {
  const r = props.receipt;
  const related = (x: ReceiptRef) => (
    <a href={props.link(x)} class="mono">
      {refText(x)}
    </a>
  );
  return (
    <>
      <dl class="facts receipt-facts">
        <Fact zh="票据代码/号码" en="Code/number">
          <span class="mono" data-testid="receipt-ref">
            {refText(r)}
          </span>
        </Fact>
        <Fact zh="状态" en="Status" testId="receipt-status">
          <StatusChip receipt={r} />
        </Fact>
        <Fact zh="开票时间" en="Issued">
          {localTime(r.issuedAt)}
        </Fact>
        <Fact zh="收费日期" en="Charge date">
          {r.chargeDate}
        </Fact>
        <Fact zh="执收单位" en="Collecting unit">
          {r.collectingUnit}
        </Fact>
        <Fact zh="缴款人" en="Payer" testId="receipt-payer">
          {r.payer.name}
          {r.payer.idNumber ? ` (${r.payer.idNumber})` : ''}
        </Fact>
        <Fact zh="合计" en="Total" testId="receipt-total">
          {r.total} 元{r.totalInWords ? ` ${r.totalInWords}` : ''}
        </Fact>
        <Fact zh="经办人" en="Handled by">
          {r.handledBy}
        </Fact>
        {r.remark && (
          <Fact zh="备注" en="Remark">
            {r.remark}
          </Fact>
        )}
        {r.reverses && (
          <Fact zh="冲红原票" en="Reverses">
            {related(r.reverses)}
          </Fact>
        )}
        {r.reason && (
          <Fact zh="冲红原因" en="Reason">
            {r.reason}
          </Fact>
        )}
        {r.reversedBy && (
          <Fact zh="红字票据" en="Reversed by" testId="receipt-reversed-by">
            {related(r.reversedBy)}
          </Fact>
        )}
        {r.checks !== undefined && (
          <Fact zh="公众查验次数" en="Public checks" testId="receipt-checks">
            {r.checks}
          </Fact>
        )}
      </dl>
      <DataTable caption={<Bi zh="收费明细" en="Lines" />} showCaption columns={LINE_COLUMNS}>
        {r.lines.map((l, i) => (
          <tr key={`${i}-${l.itemCode}`}>
            <td class="mono">{l.itemCode}</td>
            <td class="text">{l.name}</td>
            <td class="num">
              {l.quantity} {l.unit}
            </td>
            <td>{l.standard}</td>
            <td>{l.exemption ?? ''}</td>
            <td class="num">{l.amount}</td>
          </tr>
        ))}
      </DataTable>
    </>
  );
}
