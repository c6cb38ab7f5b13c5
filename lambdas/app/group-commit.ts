/** A request waiting for its batch, and how to answer it. */
export interface Waiting<T, R> {
  request: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitOptions<T, R> {
  /** Requests taken together at most (the store's limit may take fewer: `write` decides). */
  maxBatch: number;
  /** Requests of one queue are written together, those of different queues apart (one queue by default). */
  queueOf?: (request: T) => string;
  /**
   * The items a request writes that no other request of its batch may write: one transaction
   * may not write one item twice (DynamoDB refuses it whole). A request that would clash waits
   * for the next batch, where it meets the first one's outcome.
   */
  touches: (request: T) => readonly string[];
  /**
   * Writes a batch, answering each of its requests. Returns an error when those queued behind
   * it are to be answered with it at once (their batch would meet the same failure).
   */
  write: (batch: Waiting<T, R>[]) => Promise<{ error: unknown } | undefined>;
}

/**
 * Group commit: the requests that arrive while a batch is being written wait and are written
 * together as the next batch, so that a busy process sends one request to the store for many
 * (and the store, DynamoDB Local most of all, spends far less on one transaction of many items
 * than on many transactions of a few). Nothing waits on a timer: a request that finds its queue
 * idle is written at once, alone; batches form only under load.
 */
export class GroupCommit<T, R> {
  private readonly queues = new Map<string, Waiting<T, R>[]>();

  constructor(private readonly options: GroupCommitOptions<T, R>) {}

  submit(request: T): Promise<R> {
    const key = this.options.queueOf?.(request) ?? '';
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(key);
      if (queue) queue.push({ request, resolve, reject });
      else {
        this.queues.set(key, [{ request, resolve, reject }]);
        void this.drain(key);
      }
    });
  }

  private async drain(key: string) {
    const queue = this.queues.get(key)!;
    try {
      while (queue.length > 0) {
        const batch = this.nextBatch(queue);
        let failure: { error: unknown } | undefined;
        try {
          failure = await this.options.write(batch);
        } catch (error) {
          for (const w of batch) w.reject(error);
        }
        if (failure) for (const w of queue.splice(0)) w.reject(failure.error);
      }
    } finally {
      this.queues.delete(key);
    }
  }

  /** Up to maxBatch requests from the queue, in order, none touching an item another touches. */
  private nextBatch(queue: Waiting<T, R>[]): Waiting<T, R>[] {
    const batch: Waiting<T, R>[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < queue.length && batch.length < this.options.maxBatch; ) {
      const keys = this.options.touches(queue[i]!.request);
      if (keys.some((k) => seen.has(k))) {
        i++;
        continue;
      }
      for (const k of keys) seen.add(k);
      batch.push(...queue.splice(i, 1));
    }
    return batch;
  }
}
