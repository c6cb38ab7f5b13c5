/** The collecting department's screens (收费窗口). */
import { useState } from 'preact/hooks';
import { Cashier, Issued, type IssuedReceipt } from '../cashier.js';
import { Tabs } from '../nav.js';
import { ReceiptList, ReceiptPage } from './receipts.js';

function CashierScreen(props: { department: string }) {
  const [issued, setIssued] = useState<IssuedReceipt | null>(null);
  const [form, setForm] = useState(0);
  return issued ? (
    <Issued
      receipt={issued}
      onNext={() => {
        setIssued(null);
        setForm(form + 1);
      }}
    />
  ) : (
    <Cashier key={form} department={props.department} onIssued={setIssued} />
  );
}

export function CollectorConsole(props: { department: string }) {
  return (
    <Tabs
      label="收费窗口 Collecting department"
      tabs={[
        {
          id: 'charge',
          zh: '收费',
          en: 'Charge',
          render: () => <CashierScreen department={props.department} />,
        },
        {
          id: 'receipts',
          zh: '票据',
          en: 'Receipts',
          // `#receipts` lists them; `#receipts/<code>/<number>` is one receipt's page.
          render: (rest) => {
            const [code, number] = rest.split('/');
            return code && number ? (
              <ReceiptPage key={`${code}/${number}`} ref_={{ code, number }} />
            ) : (
              <ReceiptList />
            );
          },
        },
      ]}
    />
  );
}
