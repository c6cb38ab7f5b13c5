import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { newId } from '../ids.js';

export type EventType =
  | 'catalogue.created'
  | 'catalogue.revised'
  | 'catalogue.status'
  | 'catalogue.imported'
  | 'range.allocated'
  | 'range.closed'
  | 'receipt.reversed'
  | 'charge.refused'
  | 'audit.read';

/** One entry of the change history: kept forever, never rewritten. */
export interface LedgerEvent {
  id: string;
  type: EventType;
  at: string;
  actor: string;
  subject: string;
  details: Record<string, unknown>;
}

export function newEvent(
  type: EventType,
  actor: string,
  subject: string,
  details: Record<string, unknown>,
  at = new Date(),
): LedgerEvent {
  return { id: newId(at), type, at: at.toISOString(), actor, subject, details };
}

/**
 * Where a dated ledger row (event, alert) sits in the `listing` index: one partition per
 * month, sorted by time. AuditRepository.listing reads them back by the same layout.
 */
export function monthListingKeys(prefix: 'EVENTS' | 'ALERTS', at: string, id: string) {
  return { gsi1pk: `${prefix}#${at.slice(0, 7)}`, gsi1sk: `${at}#${id}` };
}

/** The event as a ledger row; written inside the same transaction as the change it records. */
export function eventPut(table: string, event: LedgerEvent) {
  return {
    Put: {
      TableName: table,
      Item: {
        pk: `EVENT#${event.id}`,
        sk: 'EVENT',
        ...monthListingKeys('EVENTS', event.at, event.id),
        ...event,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

const INDEX_ATTRIBUTES = [
  'pk',
  'sk',
  'gsi1pk',
  'gsi1sk',
  'issuedSk',
  'deptPk',
  'monthPk',
  'itemPk',
  'payerNamePk',
  'payerIdPk',
  'pendingPk',
  'itemCodes',
];

/** Drops the table's key and index attributes from a row, leaving the domain object. */
export function stripKeys(item: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...item };
  for (const key of INDEX_ATTRIBUTES) delete rest[key];
  return rest;
}

/** Records an event on its own (when there is no other write to join). */
export async function recordEvent(
  db: DynamoDBDocumentClient,
  table: string,
  event: LedgerEvent,
): Promise<void> {
  await db.send(new PutCommand(eventPut(table, event).Put));
}
