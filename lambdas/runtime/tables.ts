/**
 * The DynamoDB tables, read by the CDK stack (lib/) and by local table creation alike.
 * Every table has a string partition key `pk` and sort key `sk`; indexes name their own.
 */
export interface IndexDefinition {
  name: string;
  partitionKey: string;
  sortKey: string;
  /**
   * What the index copies of each row: `ALL` (the default) or `KEYS_ONLY`, where a reader
   * fetches the rows it lists by their keys. A row written or updated costs a write per index
   * entry of the projected size, and an update that changes no projected attribute costs none.
   */
  projection?: 'ALL' | 'KEYS_ONLY';
}

export interface TableDefinition {
  /** Logical name: the suffix of the table name and the key of `tableNames`. */
  id: TableId;
  /** Environment variable through which handlers receive the physical table name. */
  envVar: string;
  description: string;
  indexes: IndexDefinition[];
}

const receiptIndex = (name: string, partitionKey: string): IndexDefinition => ({
  name,
  partitionKey,
  sortKey: 'issuedSk',
  projection: 'KEYS_ONLY',
});

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
      'Receipts (pk R#code#number, sk RECEIPT), their PDFs (sk PDF) and one item-index row per item code they charge but the first (sk ITEM#code).',
    // Every index sorts by issuedSk = issuedAt#code#number, so each answers newest first and by
    // date range. Keys only: a listing reads the receipt rows it finds by key (AuditRepository
    // receiptsOf), so a receipt row is stored whole once, and completing or reversing it (which
    // changes no key) writes no index entry.
    indexes: [
      // Receipts of a department (pk DEPT#department).
      receiptIndex('by-department', 'deptPk'),
      // Receipts of a month, every department (pk MONTH#yyyy-mm).
      receiptIndex('by-month', 'monthPk'),
      // Receipts charging an item (pk ITEM#itemCode): the receipt row for its first item code,
      // an item-index row for each other one.
      receiptIndex('by-item', 'itemPk'),
      // Receipts of a payer, by exact name or ID number (pk PAYER#name, PAYERID#id).
      receiptIndex('by-payer-name', 'payerNamePk'),
      receiptIndex('by-payer-id', 'payerIdPk'),
      // No index of pending receipts: every number below a range's next has its row, so they are
      // read from the ranges (ReceiptRepository.pending).
    ],
  },
  {
    id: 'ledger',
    envVar: 'FEEPROOF_TABLE_LEDGER',
    description:
      'Number ranges and counters, idempotency records, department profiles, signing certificates and the event history.',
    indexes: [
      // Listings: events and alerts by month (pk EVENTS#yyyy-mm, ALERTS#yyyy-mm; sk at#id), keys
      // (pk KEYS), ranges allocated before they were listed by rows of their own (pk RANGES, sk
      // code#first; keys.ts rangeListingKey). Running totals live under pk STATS#yyyy.
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
