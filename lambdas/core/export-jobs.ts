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

/**
 * When a job is given up: running longer than any runner can live (the audit function's
 * timeout is 10 minutes, lib/functions.ts), or still queued long after its start was sent
 * (the process that was to run it died, or the asynchronous invocation was lost). Its status
 * then says failed, so the auditor starts another instead of waiting on a job nobody runs.
 */
export const EXPORT_RUNNING_DEADLINE_MS = 15 * 60_000;
export const EXPORT_QUEUED_DEADLINE_MS = 5 * 60_000;

/** Whether nobody can be running `job` any more (see the deadlines above). */
export function isAbandoned(job: ExportJob, now: Date): boolean {
  const age = (since: string | undefined) => now.getTime() - Date.parse(since ?? job.createdAt);
  if (job.status === 'running') return age(job.startedAt) > EXPORT_RUNNING_DEADLINE_MS;
  if (job.status === 'queued') return age(job.createdAt) > EXPORT_QUEUED_DEADLINE_MS;
  return false;
}

/** Job ids: 128 random bits as hex, so a job cannot be guessed from another. */
export const EXPORT_JOB_ID = /^[0-9a-f]{32}$/;

export const exportJobPath = z.strictObject({
  id: z.string().regex(EXPORT_JOB_ID, 'must be an export job id (32 hexadecimal characters)'),
});
