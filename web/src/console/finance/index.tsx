/** The finance bureau's screens (收费目录管理). */
import { Tabs } from '../nav.js';
import { Bi } from '../ui.js';

export function FinanceConsole() {
  return (
    <Tabs
      label="财政局 Finance bureau"
      tabs={[
        {
          id: 'catalogue',
          zh: '收费目录',
          en: 'Catalogue',
          render: () => (
            <h1>
              <Bi zh="收费目录" en="Catalogue" />
            </h1>
          ),
        },
      ]}
    />
  );
}
