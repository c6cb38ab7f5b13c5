/** The departments: their codes and their names as receipts print them (执收单位). */
import { DataTable } from '../table.js';
import { Bi, Failed } from '../ui.js';
import { useApi } from '../use-api.js';

interface Department {
  code: string;
  name: string | null;
  printedAs: string;
  items: number;
  ranges: number;
}

export function DepartmentsTab() {
  const { data, error } = useApi<{ departments: Department[] }>('/v1/departments');
  return (
    <section aria-labelledby="departments-title">
      <h1 id="departments-title">
        <Bi zh="执收部门" en="Departments" />
      </h1>
      <p class="hint">
        <Bi
          zh="票据上的执收单位即下表“票据所印名称”；未设名称的部门，票据印其编码。名称在分配号段时设定。"
          en="Receipts print the name below; a department without one prints its code. Names are set when allocating a range."
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
        {(data?.departments ?? []).map((d) => (
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
    </section>
  );
}
