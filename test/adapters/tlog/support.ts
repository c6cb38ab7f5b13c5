import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SequencedEntries, SequencedEntry } from '../../../lambdas/core/tlog/ports.js';

/** A sequence in memory: entries are appended, never changed (as the DynamoDB one will be). */
export class MemorySequence implements SequencedEntries {
  readonly entries: Uint8Array[] = [];
  append(...entries: Uint8Array[]) {
    this.entries.push(...entries);
  }
  async size() {
    return this.entries.length;
  }
  async read(from: number, limit: number): Promise<SequencedEntry[]> {
    return this.entries.slice(from, from + limit).map((entry, k) => ({ index: from + k, entry }));
  }
}

export const entryBytes = (i: number) => new TextEncoder().encode(`{"entry":${i}}`);
export const tempDir = (name: string) => mkdtempSync(join(tmpdir(), `feeproof-${name}-`));
