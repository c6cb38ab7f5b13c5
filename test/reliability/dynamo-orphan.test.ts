/**
 * A server killed with SIGKILL leaves its DynamoDB Local (a Java child) running on the data
 * directory. The next start on that directory ends it first: two on one directory would share
 * its SQLite files.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { startDynamoDbLocal } from '../../lambdas/local/dynamodb-local.js';

const ended = (p: { exitCode: number | null; signalCode: string | null }) =>
  p.exitCode !== null || p.signalCode !== null;

it('ends a DynamoDB Local left on the same data directory before starting another, and no other', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'feeproof-orphan-'));
  const otherDir = mkdtempSync(join(tmpdir(), 'feeproof-orphan-other-'));
  const orphan = await startDynamoDbLocal({ dataDir });
  const other = await startDynamoDbLocal({ dataDir: otherDir });
  const next = await startDynamoDbLocal({ dataDir });
  try {
    await vi.waitFor(() => expect(ended(orphan.process)).toBe(true), { timeout: 10_000 });
    expect(ended(other.process)).toBe(false);
    expect(ended(next.process)).toBe(false);
    expect((await fetch(next.endpoint)).status).toBeLessThan(500);
  } finally {
    await Promise.all([next.stop(), other.stop(), orphan.stop()]);
  }
}, 60_000);
