import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { EXPORT_JOB_ID, EXPORT_URL_SECONDS } from '../../core/export-jobs.js';
import type { ExportFiles } from '../../core/ports.js';

/** The local server's download route of a finished export (lambdas/local/service.ts serves it). */
export const LOCAL_EXPORTS_PATH = '/local/exports';

/**
 * Export files under a directory (locally `<data dir>/exports/<id>.csv`): written to a temp
 * file, fsynced, then renamed, so a file under its name is always whole. The download URL is
 * the local server's route, which asks for an auditor's token and refuses the URL once its
 * `expires` has passed, as a pre-signed S3 URL would be refused: the URL carries an HMAC of
 * the id and `expires` under a key of the directory's own (`.url-key`), so that an edited
 * `expires` is refused too.
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
    const query = new URLSearchParams({ expires: expiresAt, signature: await this.signature(id, expiresAt) });
    return { url: `${this.publicUrl}${LOCAL_EXPORTS_PATH}/${id}.csv?${query}`, expiresAt };
  }

  /** Why a download URL's query is refused (its signature, then its expiry), or null when it is good. */
  async refusal(id: string, query: URLSearchParams, now: Date): Promise<'forged' | 'expired' | null> {
    const expires = query.get('expires') ?? '';
    const given = Buffer.from(query.get('signature') ?? '', 'base64url');
    const expected = Buffer.from(await this.signature(id, expires), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'forged';
    return Date.parse(expires) > now.getTime() ? null : 'expired';
  }

  private async signature(id: string, expires: string): Promise<string> {
    return createHmac('sha256', await this.urlKey())
      .update(`${id}\n${expires}`)
      .digest('base64url');
  }

  /** The URLs' key, made once (exclusive create: of two processes racing, both read the winner's). */
  private async urlKey(): Promise<Buffer> {
    const file = join(this.root, '.url-key');
    const read = () => readFile(file).then((key) => (key.length === 32 ? key : undefined));
    const existing = await read().catch(() => undefined);
    if (existing) return existing;
    await mkdir(this.root, { recursive: true });
    await writeFile(file, randomBytes(32), { flag: 'wx', mode: 0o600 }).catch((e) => {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    });
    const key = await read();
    if (!key) throw new Error(`${file} is not a 32-byte key`);
    return key;
  }
}
