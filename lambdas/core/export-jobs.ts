import { z } from 'zod';

/**
 * Audit export jobs (issue 14): an export too large for one Lambda response (6 MB) is written
 * by a job into a file that the auditor fetches by a short-lived URL. The job row keeps the
 * query as validated, its date range resolved when the job was created, so the job reads what
 * was asked then, whenever it runs.
 */
export type ExportJobStatus = 'queued' | 'running' | 'done' | 'failed';

/** How long a download URL stays valid: long enough to start the download, not to pass around. */
export const EXPORT_URL_SECONDS = 300;

export interface ExportJob {
  id: string;
  status: ExportJobStatus;
  /** The auditor who asked. */
  actor: string;
  createdAt: string;
  /** The filters as validated (amounts in fen), with `from` and `to` resolved. */
  query: Record<string, unknown> & { from: string; to: string };
  /** CSV data rows (receipt lines) written; set when done. */
  rows?: number;
  bytes?: number;
  startedAt?: string;
  finishedAt?: string;
  /** Why it failed (no detail of the data). */
  error?: string;
}

/** Job ids: 128 random bits as hex, so a job cannot be guessed from another. */
export const EXPORT_JOB_ID = /^[0-9a-f]{32}$/;

export const exportJobPath = z.strictObject({
  id: z.string().regex(EXPORT_JOB_ID, 'must be an export job id (32 hexadecimal characters)'),
});
