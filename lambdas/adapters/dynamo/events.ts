import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { EventType, LedgerEvent } from '../../core/ports.js';
import { newId } from '../ids.js';
import { eventKey, monthListingKeys } from './keys.js';

export function newEvent(
  type: EventType,
  actor: string,
  subject: string,
  details: Record<string, unknown>,
  at = new Date(),
): LedgerEvent {
  return { id: newId(at), type, at: at.toISOString(), actor, subject, details };
}

/** The event as a ledger row; written inside the same transaction as the change it records. */
export function eventPut(table: string, event: LedgerEvent) {
  return {
    Put: {
      TableName: table,
      Item: { ...eventKey(event.id), ...monthListingKeys('EVENTS', event.at, event.id), ...event },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** Records an event on its own (when there is no other write to join). */
export async function recordEvent(
  db: DynamoDBDocumentClient,
  table: string,
  event: LedgerEvent,
): Promise<void> {
  await db.send(new PutCommand(eventPut(table, event).Put));
}
