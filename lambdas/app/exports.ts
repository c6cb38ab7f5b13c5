import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { newEvent } from '../adapters/dynamo/events.js';
import { DirectoryExportFiles } from '../adapters/exports/directory-files.js';
import { ExportJobRepository } from '../adapters/exports/job-repo.js';
import { logger } from '../adapters/logger.js';
import { notFound } from '../core/errors.js';
import { type ExportJob, isAbandoned } from '../core/export-jobs.js';
import type { ExportFiles } from '../core/ports.js';
import { dataDir } from '../runtime/config.js';
import { ENV } from '../runtime/env.js';
import type { Deps } from './deps.js';

/**
 * Audit export jobs (issue 14): created by an auditor (202, the job row and its audit.export
 * event in one transaction), run asynchronously, read back as a status with a download URL.
 *
 * Where a job runs: in Lambda, an asynchronous invocation (`InvocationType: Event`) of the
 * audit function itself, which then gets the whole function timeout for the job rather than
 * what is left of a request; locally, in the server process right after the 202.
 */

/** The asynchronous invocation that runs a job: nothing but its id (the query is in the row). */
export interface ExportJobEvent {
  feeproofExportJob: string;
}

export const isExportJobEvent = (event: unknown): event is ExportJobEvent =>
  typeof (event as ExportJobEvent | null)?.feeproofExportJob === 'string';

/** What a job writes: its CSV chunks, and how many data rows they held once read. */
export interface ExportSource {
  chunks: AsyncIterable<string>;
  rows(): number;
}

interface ExportParts {
  jobs: ExportJobRepository;
  files: Promise<ExportFiles>;
}
let parts: { deps: Deps; value: ExportParts } | undefined;

/** The exports bucket when one is configured (AWS, or a local S3 server), else <data dir>/exports. */
async function createFiles(deps: Deps): Promise<ExportFiles> {
  const bucket = process.env[ENV.exportsBucket];
  if (!bucket) return new DirectoryExportFiles(join(dataDir(), 'exports'), deps.config.publicUrl);
  const [{ S3Client }, { S3ExportFiles }] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('../adapters/exports/s3-files.js'),
  ]);
  const endpoint = process.env[ENV.s3Endpoint] || undefined;
  return new S3ExportFiles(
    new S3Client({ region: deps.config.awsRegion, ...(endpoint ? { endpoint, forcePathStyle: true } : {}) }),
    bucket,
  );
}

function exportParts(deps: Deps): ExportParts {
  if (parts?.deps !== deps) {
    const files = createFiles(deps);
    files.catch(() => {}); // awaited where used
    parts = { deps, value: { jobs: new ExportJobRepository(deps.db, deps.config.tables.ledger), files } };
  }
  return parts.value;
}

/** Starts the job where it can run to its end (see above). */
async function dispatch(id: string, runHere: () => Promise<void>): Promise<void> {
  const self = process.env.AWS_LAMBDA_FUNCTION_NAME;
  if (!self) {
    setImmediate(() => void runHere());
    return;
  }
  const { LambdaClient, InvokeCommand } = await import('@aws-sdk/client-lambda');
  const payload: ExportJobEvent = { feeproofExportJob: id };
  await new LambdaClient({}).send(
    new InvokeCommand({
      FunctionName: self,
      InvocationType: 'Event',
      Payload: new TextEncoder().encode(JSON.stringify(payload)),
    }),
  );
}

/**
 * Records the job (queued) and its audit.export event, then starts it. `query` is what the
 * filters parsed to, date range resolved; `sent` is the request as sent, for the event.
 */
export async function createExportJob(
  deps: Deps,
  actor: string,
  query: ExportJob['query'],
  sent: unknown,
  source: (query: ExportJob['query']) => ExportSource,
): Promise<ExportJob> {
  const at = deps.now();
  const job: ExportJob = {
    id: randomBytes(16).toString('hex'),
    status: 'queued',
    actor,
    createdAt: at.toISOString(),
    query,
  };
  const { jobs } = exportParts(deps);
  await jobs.create(
    job,
    newEvent('audit.export', actor, job.id, { job: job.id, query: sent, from: query.from, to: query.to }, at),
  );
  await dispatch(job.id, () => runExportJob(deps, job.id, source));
  return job;
}

/**
 * Runs a queued job: the query's receipts, page by page, through the CSV writer into the
 * export file. A job runs once: a second delivery of its event finds it taken. A failure
 * marks the job failed (the auditor starts another) and is not retried.
 */
export async function runExportJob(
  deps: Deps,
  id: string,
  source: (query: ExportJob['query']) => ExportSource,
): Promise<void> {
  const { jobs, files } = exportParts(deps);
  const job = await jobs.get(id);
  if (!job || !(await jobs.start(id, deps.now()))) return;
  try {
    const csv = source(job.query);
    const bytes = await (await files).write(id, csv.chunks);
    await jobs.finish(id, { rows: csv.rows(), bytes }, deps.now());
  } catch (e) {
    logger.error('export job failed', { job: id, error: (e as Error).message });
    await jobs.fail(id, 'the export could not be written; start another', deps.now());
  }
}

/**
 * A job as the API shows it: status, row count and, once done, where to download it. A job
 * that nobody can be running any more (isAbandoned) is marked failed here, when it is asked for.
 */
export async function exportJobStatus(deps: Deps, id: string) {
  const { jobs, files } = exportParts(deps);
  let job = await jobs.get(id);
  if (!job) throw notFound(`export job ${id} does not exist`);
  if ((job.status === 'running' || job.status === 'queued') && isAbandoned(job, deps.now())) {
    // Whoever moves it first (this read, or a runner finishing late) decides; read it again.
    await jobs.fail(id, 'the export stopped before it finished; start another', deps.now(), job.status);
    job = (await jobs.get(id))!;
  }
  const { query: _q, ...shown } = job;
  const download = job.status === 'done' ? await (await files).downloadUrl(id, deps.now()) : undefined;
  return { ...shown, ...(download ? { download } : {}) };
}
