/** The departments: their codes and their names as receipts print them (执收单位), and renaming one. */
import { useState } from 'preact/hooks';
import { SelectField, TextField } from '../fields.js';
import { DataTable } from '../table.js';
import { Bi, Failed } from '../ui.js';
import { useApi } from '../use-api.js';
import { FormError, type Sent, send } from './shared.js';

interface Department {
  code: string;
  name: string | null;
  printedAs: string;
  items: number;
  ranges: number;
}

interface Renamed {
  code: string;
  name: string;
  changed: boolean;
}

export function DepartmentsTab() {
  const { data, error, reload } = useApi<{ departments: Department[] }>('/v1/departments');
  const departments = data?.departments ?? [];
  return (
    <section aria-labelledby="departments-title">
      <h1 id="departments-title">
        <Bi zh="执收部门" en="Departments" />
      </h1>
      <p class="hint">
        <Bi
          zh="票据上的执收单位即下表“票据所印名称”；未设名称的部门，票据印其编码。名称在分配号段时设定，或在下方更名。"
          en="Receipts print the name below; a department without one prints its code. Names are set when allocating a range, or renamed below."
        />
      </p>
      <Failed message={error} />
      <DataTable
        testId="departments-table"
        caption="执收部门 Departments"
        columns={[
          { zh: '编码', en: 'Code' },
          { zh: '票据所印名称', en: 'Printed on receipts as' },
          { zh: '收费项目', en: 'Items', num: true },
          { zh: '号段', en: 'Ranges', num: true },
        ]}
      >
        {departments.map((d) => (
          <tr key={d.code} data-testid="department-row" data-code={d.code}>
            <td class="mono">{d.code}</td>
            <td data-testid="department-printed">
              {d.printedAs}
              {!d.name && <span class="muted"> （未设名称 no name set）</span>}
            </td>
            <td class="num">{d.items}</td>
            <td class="num">{d.ranges}</td>
          </tr>
        ))}
      </DataTable>
      {departments.length > 0 && <RenameForm departments={departments} onDone={reload} />}
    </section>
  );
}

/** A new printed name, from the department's next receipt, with the reason the change history keeps. */
function RenameForm(props: { departments: Department[]; onDone: () => void }) {
  const [department, setDepartment] = useState(props.departments[0]!.code);
  const [name, setName] = useState('');
  const [reason, setReason] = useState('');
  const [sent, setSent] = useState<Sent<Renamed> | null>(null);
  const [busy, setBusy] = useState(false);
  const violations = sent && !sent.ok ? sent.violations : [];
  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    const answer = await send<Renamed>('PUT', `/v1/departments/${encodeURIComponent(department)}`, {
      name,
      reason,
    });
    setBusy(false);
    setSent(answer);
    if (answer.ok) {
      setName('');
      setReason('');
      props.onDone();
    }
  };
  return (
    <form class="finance-form" data-testid="rename-form" onSubmit={submit} noValidate>
      <h2>
        <Bi zh="部门更名" en="Rename a department" />
      </h2>
      <p class="hint">
        <Bi
          zh="新名称自该部门下一张票据起印制，已开票据不变；更名记入变更记录。"
          en="Receipts print the new name from the department's next one; receipts issued keep theirs. The change history records it."
        />
      </p>
      <FormError sent={sent} shown={(p) => ['department', 'name', 'reason'].includes(p)} />
      {sent?.ok && (
        <p class="notice" role="status" data-testid="renamed">
          {sent.body.changed ? (
            <Bi
              zh={`${sent.body.code} 已更名为 ${sent.body.name}`}
              en={`${sent.body.code} is now printed as ${sent.body.name}`}
            />
          ) : (
            <Bi
              zh={`${sent.body.code} 已是此名称，未作更改`}
              en={`${sent.body.code} has this name already: nothing changed`}
            />
          )}
        </p>
      )}
      <div class="finance-grid">
        <SelectField
          id="rename-department"
          zh="部门"
          en="Department"
          path="department"
          violations={violations}
          testId="rename-department"
          value={department}
          options={props.departments.map((d) => [d.code, `${d.code} ${d.printedAs}`])}
          onValue={setDepartment}
        />
        <TextField
          id="rename-name"
          zh="新名称"
          en="New name"
          path="name"
          violations={violations}
          testId="rename-name"
          value={name}
          onValue={setName}
        />
        <TextField
          id="rename-reason"
          zh="更名理由"
          en="Reason"
          path="reason"
          violations={violations}
          testId="rename-reason"
          value={reason}
          onValue={setReason}
        />
      </div>
      <p class="finance-actions">
        <button type="submit" class="button" data-testid="rename-submit" disabled={busy}>
          <Bi zh="更名" en="Rename" />
        </button>
      </p>
    </form>
  );
}
