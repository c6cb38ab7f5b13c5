/** The finance bureau's screens (收费目录管理): catalogue, import, number ranges, departments. */
import { Tabs } from '../nav.js';
import { CatalogueTab } from './catalogue.js';
import { DepartmentsTab } from './departments.js';
import { ImportTab } from './import.js';
import { RangesTab } from './ranges.js';

export function FinanceConsole() {
  return (
    <Tabs
      label="财政局 Finance bureau"
      tabs={[
        { id: 'catalogue', zh: '收费目录', en: 'Catalogue', render: (rest) => <CatalogueTab rest={rest} /> },
        { id: 'import', zh: '目录导入', en: 'Import', render: () => <ImportTab /> },
        { id: 'ranges', zh: '票据号段', en: 'Number ranges', render: () => <RangesTab /> },
        { id: 'departments', zh: '执收部门', en: 'Departments', render: () => <DepartmentsTab /> },
      ]}
    />
  );
}
