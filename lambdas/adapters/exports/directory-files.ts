import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { EXPORT_JOB_ID, EXPORT_URL_SECONDS } from '../../core/export-jobs.js';
import type { ExportFiles } from '../../core/ports.js';

/** The local server's download route of a finished export (lambdas/local/service.ts serves it). */
export const LOCAL_EXPORTS_PATH = '/local/exports';

/**
 * Export files under a directory (locally `<data dir>/exports/<id>.csv`): written to a temp
 * file, fsynced, then renamed, so a file under its name is always whole. The download URL is
 * the local server's route, which asks for an auditor's token and refuses the URL once its
 * `expires` has passed, as a pre-signed S3 URL would be refused.
 */
export class DirectoryExportFiles implements ExportFiles {
  readonly root: string;
  constructor(
    root: string,
    private readonly publicUrl: string,
  ) {
    this.root = resolve(root);
  }

  path(id: string): string {
    if (!EXPORT_JOB_ID.test(id)) throw new Error(`not an export job id: ${JSON.stringify(id)}`);
    return join(this.root, `${id}.csv`);
  }

  async write(id: string, chunks: AsyncIterable<string>): Promise<number> {
    const target = this.path(id);
    await mkdir(this.root, { recursive: true });
    const temp = `${target}.${process.pid}.tmp`;
    let bytes = 0;
    const out = createWriteStream(temp);
    try {
      for await (const chunk of chunks) {
        const buffer = Buffer.from(chunk, 'utf8');
        bytes += buffer.length;
        if (!out.write(buffer)) await new Promise<void>((ok) => out.once('drain', () => ok()));
      }
      await new Promise<void>((ok, fail) => out.end((e?: Error | null) => (e ? fail(e) : ok())));
      const handle = await open(temp, 'r');
      await handle.sync().finally(() => handle.close());
      await rename(temp, target);
    } catch (e) {
      out.destroy();
      await unlink(temp).catch(() => {});
      throw e;
    }
    return bytes;
  }

  async downloadUrl(id: string, now: Date): Promise<{ url: string; expiresAt: string }> {
    const expiresAt = new Date(now.getTime() + EXPORT_URL_SECONDS * 1000).toISOString();
    const url = `${this.publicUrl}${LOCAL_EXPORTS_PATH}/${id}.csv?expires=${encodeURIComponent(expiresAt)}`;
    return { url, expiresAt };
  }
}
