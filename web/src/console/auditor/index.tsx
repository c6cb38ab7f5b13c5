/** The auditors' screens (电子监察). */
import { Tabs } from '../nav.js';
import { Alerts } from './alerts.js';
import { Complaints } from './complaints.js';
import { Dashboard } from './dashboard.js';
import { History } from './history.js';
import { Ranges } from './ranges.js';
import { AuditedReceipt, ReceiptSearch } from './receipts.js';

export function AuditorConsole() {
  return (
    <Tabs
      label="电子监察 Auditor"
      tabs={[
        { id: 'dashboard', zh: '概览', en: 'Dashboard', render: () => <Dashboard /> },
        { id: 'alerts', zh: '预警', en: 'Alerts', render: () => <Alerts /> },
        {
          id: 'receipts',
          zh: '票据查询',
          en: 'Receipts',
          // `#receipts/<code>/<number>`: one receipt (an alert's link, a search result).
          render: (rest) => {
            const [code, number] = rest.split('/');
            return code && number ? <AuditedReceipt ref_={{ code, number }} /> : <ReceiptSearch />;
          },
        },
        {
          id: 'ranges',
          zh: '票号核销',
          en: 'Ranges',
          render: (rest) => <Ranges highlight={rest || undefined} />,
        },
        {
          id: 'history',
          zh: '变更记录',
          en: 'History',
          render: (rest) => <History key={rest} focus={rest || undefined} />,
        },
        {
          id: 'complaints',
          zh: '投诉',
          en: 'Complaints',
          render: (rest) => <Complaints key={rest} id={rest || undefined} />,
        },
      ]}
    />
  );
}
