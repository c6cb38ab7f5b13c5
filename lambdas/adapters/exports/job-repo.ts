import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ExportJob } from '../../core/export-jobs.js';
import type { LedgerEvent } from '../../core/ports.js';
import { eventPut } from '../dynamo/events.js';
import { exportJobKey, stripKeys } from '../dynamo/keys.js';
import { transactWrite } from '../dynamo/transactions.js';

const conditionFailed = (e: unknown) => (e as Error).name === 'ConditionalCheckFailedException';

/** Export job rows in the ledger (keys.ts exportJobKey), moved queued -> running -> done | failed. */
export class ExportJobRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** The job row and its audit.export event, in one transaction: no job without its event. */
  async create(job: ExportJob, event: LedgerEvent): Promise<void> {
    await transactWrite(this.db, [
      {
        Put: {
          TableName: this.table,
          Item: { ...exportJobKey(job.id), ...job },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      eventPut(this.table, event),
    ]);
  }

  async get(id: string): Promise<ExportJob | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table, Key: exportJobKey(id), ConsistentRead: true }),
    );
    return out.Item ? (stripKeys(out.Item) as unknown as ExportJob) : undefined;
  }

  /**
   * Claims a queued job for running; false when it is not queued (Lambda may deliver an
   * asynchronous event twice: the second delivery finds the job taken and does nothing).
   */
  async start(id: string, at: Date): Promise<boolean> {
    return this.move(id, 'queued', 'running', { startedAt: at.toISOString() });
  }

  async finish(id: string, result: { rows: number; bytes: number }, at: Date): Promise<boolean> {
    return this.move(id, 'running', 'done', { ...result, finishedAt: at.toISOString() });
  }

  /** A running job that failed; or, `from: 'queued'`, one given up before it ran (isAbandoned). */
  async fail(id: string, error: string, at: Date, from: 'running' | 'queued' = 'running'): Promise<boolean> {
    return this.move(id, from, 'failed', { error, finishedAt: at.toISOString() });
  }

  private async move(id: string, from: string, to: string, fields: Record<string, unknown>) {
    const names = Object.keys(fields);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: exportJobKey(id),
          UpdateExpression: `SET #status = :to, ${names.map((_n, i) => `#f${i} = :f${i}`).join(', ')}`,
          ConditionExpression: '#status = :from',
          ExpressionAttributeNames: {
            '#status': 'status',
            ...Object.fromEntries(names.map((n, i) => [`#f${i}`, n])),
          },
          ExpressionAttributeValues: {
            ':to': to,
            ':from': from,
            ...Object.fromEntries(names.map((n, i) => [`:f${i}`, fields[n]])),
          },
        }),
      );
      return true;
    } catch (e) {
      if (conditionFailed(e)) return false;
      throw e;
    }
  }
}
