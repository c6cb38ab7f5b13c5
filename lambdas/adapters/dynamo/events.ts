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

/**
 * Records an event on its own (when there is no other write to join). Recording an event twice
 * is recording it once: its id is new, so a row already under it is this event, put by an
 * attempt whose answer was lost (the SDK retries a put that timed out after DynamoDB applied it).
 */
export async function recordEvent(
  db: DynamoDBDocumentClient,
  table: string,
  event: LedgerEvent,
): Promise<void> {
  try {
    await db.send(
      new PutCommand({ ...eventPut(table, event).Put, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
    );
  } catch (e) {
    const existing = (e as { name?: string; Item?: Record<string, { S?: string }> }).Item;
    const same =
      existing?.type?.S === event.type && existing?.at?.S === event.at && existing?.actor?.S === event.actor;
    if ((e as Error).name !== 'ConditionalCheckFailedException' || !same) throw e;
  }
}
