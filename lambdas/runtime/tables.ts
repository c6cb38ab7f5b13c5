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
    description: 'Receipts (pk R#code#number, sk RECEIPT) and their PDFs (sk PDF).',
    indexes: [
      // Receipts of a department, newest first (pk DEPT#department, sk issuedAt#code#number).
      { name: 'by-department', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
      // Sparse: only receipts whose number is taken but not yet signed (pk PENDING).
      { name: 'pending', partitionKey: 'pendingPk', sortKey: 'pendingSk' },
    ],
  },
  {
    id: 'ledger',
    envVar: 'FEEPROOF_TABLE_LEDGER',
    description:
      'Number ranges and counters, idempotency records, department profiles, signing certificates and the event history.',
    indexes: [
      // Listings: events by month (pk EVENTS#yyyy-mm, sk at#id), ranges (pk RANGES, sk code#first).
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
