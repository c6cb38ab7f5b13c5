import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { conflict } from '../../core/errors.js';
import type { DepartmentDirectory } from '../../core/ports.js';
import { eventPut, newEvent } from './events.js';
import { departmentProfileKey } from './keys.js';
import { failedConditions, type TransactItem, transactWrite } from './transactions.js';

/**
 * How old a printed name a receipt uses may be: the bound a charge's catalogue has
 * (CHARGE_CATALOGUE_TTL_MS), so that a rename reaches every process's receipts within 10 s, at
 * one read per department and process every 10 s of issuing.
 */
const NAME_TTL_MS = 10_000;

/** A department's profile row: its name as receipts print it (written alone, or with a range). */
export const departmentProfileItem = (department: string, name: string) => ({
  ...departmentProfileKey(department),
  department,
  name,
});

/**
 * The writes of a rename, for one transaction: the profile's name, on the name read (`from`;
 * undefined: none yet), so that the `department.renamed` event says exactly what it replaced.
 * A rename of its own (DepartmentRepository.rename) and a range allocation that names its
 * department (RangeRepository.allocateRange) both write them.
 */
export function renameItems(
  table: string,
  r: { department: string; from: string | undefined; to: string; actor: string; reason: string; at: Date },
): TransactItem[] {
  const event = newEvent(
    'department.renamed',
    r.actor,
    r.department,
    { from: r.from ?? null, to: r.to, reason: r.reason },
    r.at,
  );
  return [
    {
      Put: {
        TableName: table,
        Item: departmentProfileItem(r.department, r.to),
        ConditionExpression: r.from === undefined ? 'attribute_not_exists(pk)' : '#name = :previous',
        ...(r.from === undefined
          ? {}
          : {
              ExpressionAttributeNames: { '#name': 'name' },
              ExpressionAttributeValues: { ':previous': r.from },
            }),
      },
    },
    eventPut(table, event),
  ];
}

/** The collecting departments' names as receipts print them. */
export class DepartmentRepository implements DepartmentDirectory {
  private readonly names = new Map<string, { at: number; name: Promise<string | undefined> }>();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * Cached for NAME_TTL_MS: every receipt prints one. A rename clears this process's copy
   * (forget): other processes print the old name until theirs expires. `fresh` reads past the
   * cache (and refreshes it).
   */
  name(department: string, options: { fresh?: boolean } = {}): Promise<string | undefined> {
    const hit = this.names.get(department);
    if (hit && !options.fresh && Date.now() - hit.at < NAME_TTL_MS) return hit.name;
    const name = this.db
      .send(
        new GetCommand({
          TableName: this.table,
          Key: departmentProfileKey(department),
          ConsistentRead: true,
        }),
      )
      .then((out) => out.Item?.name as string | undefined);
    this.names.set(department, { at: Date.now(), name });
    name.catch(() => this.names.delete(department));
    return name;
  }

  forget(department: string): void {
    this.names.delete(department);
  }

  async rename(department: string, name: string, actor: string, reason: string, now: () => Date) {
    for (let attempt = 0; attempt < 10; attempt++) {
      const previous = await this.name(department, { fresh: true });
      if (previous === name) return null;
      try {
        await transactWrite(
          this.db,
          renameItems(this.table, { department, from: previous, to: name, actor, reason, at: now() }),
        );
        this.forget(department);
        return previous;
      } catch (e) {
        failedConditions(e); // renamed meanwhile: read again
      }
    }
    throw conflict(`department ${department} was being renamed at the same time; retry`);
  }

  async setName(department: string, name: string): Promise<void> {
    this.forget(department);
    await this.db.send(
      new PutCommand({ TableName: this.table, Item: departmentProfileItem(department, name) }),
    );
  }
}
