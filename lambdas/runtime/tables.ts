/**
 * The DynamoDB tables, read by the CDK stack (lib/) and by local table creation alike.
 * Every table has a string partition key `pk` and sort key `sk`; indexes name their own.
 */
export interface IndexDefinition {
  name: string;
  partitionKey: string;
  sortKey: string;
}

export interface TableDefinition {
  /** Logical name: the suffix of the table name and the key of `tableNames`. */
  id: TableId;
  /** Environment variable through which handlers receive the physical table name. */
  envVar: string;
  description: string;
  indexes: IndexDefinition[];
}

export type TableId = 'catalogue' | 'receipts' | 'ledger';

export const TABLES: readonly TableDefinition[] = [
  {
    id: 'catalogue',
    envVar: 'FEEPROOF_TABLE_CATALOGUE',
    description: 'Fee items: one row per version (pk ITEM#code, sk V#version), never rewritten.',
    indexes: [
      // All versions of all items in one query (pk CATALOGUE, sk code#version): the catalogue is small.
      { name: 'all-versions', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    ],
  },
  {
    id: 'receipts',
    envVar: 'FEEPROOF_TABLE_RECEIPTS',
    description:
      'Receipts (pk R#code#number, sk RECEIPT), their PDFs (sk PDF) and one item-index row per item code they charge (sk ITEM#code).',
    // Every index sorts by issuedSk = issuedAt#code#number, so each answers newest first and by date range.
    indexes: [
      // Receipts of a department (pk DEPT#department).
      { name: 'by-department', partitionKey: 'deptPk', sortKey: 'issuedSk' },
      // Receipts of a month, every department (pk MONTH#yyyy-mm).
      { name: 'by-month', partitionKey: 'monthPk', sortKey: 'issuedSk' },
      // Item-index rows: receipts charging an item (pk ITEM#itemCode).
      { name: 'by-item', partitionKey: 'itemPk', sortKey: 'issuedSk' },
      // Receipts of a payer, by exact name or ID number (pk PAYER#name, PAYERID#id).
      { name: 'by-payer-name', partitionKey: 'payerNamePk', sortKey: 'issuedSk' },
      { name: 'by-payer-id', partitionKey: 'payerIdPk', sortKey: 'issuedSk' },
      // Sparse: only receipts whose number is taken but not yet signed (pk PENDING).
      { name: 'pending', partitionKey: 'pendingPk', sortKey: 'issuedSk' },
    ],
  },
  {
    id: 'ledger',
    envVar: 'FEEPROOF_TABLE_LEDGER',
    description:
      'Number ranges and counters, idempotency records, department profiles, signing certificates and the event history.',
    indexes: [
      // Listings: events and alerts by month (pk EVENTS#yyyy-mm, ALERTS#yyyy-mm; sk at#id),
      // ranges (pk RANGES, sk code#first), keys (pk KEYS). Running totals live under pk STATS#yyyy.
      { name: 'listing', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    ],
  },
];

export const PARTITION_KEY = 'pk';
export const SORT_KEY = 'sk';

/** Physical table names: `<prefix>-<id>`. */
export function tableName(prefix: string, id: TableId): string {
  return `${prefix}-${id}`;
}
