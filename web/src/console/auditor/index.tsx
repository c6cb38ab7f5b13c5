/** The auditors' screens (电子监察). */
import { Tabs } from '../nav.js';
import { Bi } from '../ui.js';

export function AuditorConsole() {
  return (
    <Tabs
      label="电子监察 Auditor"
      tabs={[
        {
          id: 'dashboard',
          zh: '概览',
          en: 'Dashboard',
          render: () => (
            <h1>
              <Bi zh="概览" en="Dashboard" />
            </h1>
          ),
        },
      ]}
    />
  );
}
