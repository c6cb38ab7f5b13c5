import type { Readable } from 'node:stream';
import yazl from 'yazl';
import { EINVOICE_FORMAT_VERSION, einvoiceXml } from '../../core/einvoice.js';
import type { StoredReceipt } from '../../core/ports.js';
import { contentOf } from '../../core/receipt.js';

/**
 * The auditor's national-XML export (issue 17): one `<code>-<number>.xml` per receipt, each
 * exactly as GET /v1/receipts/{code}/{number}/einvoice.xml writes it (einvoiceXml), in a zip
 * made while the receipts are read (yazl, DEFLATE). Every receipt found is accounted for: those
 * without a national XML (still pending, or issued before the two signatures) are named in
 * `manifest.json` with the reason, beside the files written and the format version.
 */

export interface EInvoiceZipManifest {
  format: typeof EINVOICE_FORMAT_VERSION;
  files: number;
  skipped: { code: string; number: string; reason: 'pending' | 'no_two_signatures' }[];
}

/** Zip (DOS) times start in 1980: the manifest's fixed time, so the same query gives the same bytes. */
const ZIP_EPOCH = new Date(1980, 0, 1);

export const einvoiceFileName = (r: { code: string; number: string }) => `${r.code}-${r.number}.xml`;

/** The zip's bytes, produced as the receipts arrive; a failure reading them fails the stream. */
export async function* einvoiceZip(receipts: AsyncIterable<StoredReceipt>): AsyncGenerator<Uint8Array> {
  const zip = new yazl.ZipFile();
  const manifest: EInvoiceZipManifest = { format: EINVOICE_FORMAT_VERSION, files: 0, skipped: [] };
  const producer = (async () => {
    for await (const r of receipts) {
      if (r.status === 'pending' || !r.signatures) {
        const reason = r.status === 'pending' ? 'pending' : 'no_two_signatures';
        manifest.skipped.push({ code: r.code, number: r.number, reason });
        continue;
      }
      const xml = einvoiceXml(contentOf(r), r.signatures);
      // The receipt's issue time as the entry's time: the same receipts give the same files.
      zip.addBuffer(Buffer.from(xml, 'utf8'), einvoiceFileName(r), { mtime: new Date(r.issuedAt) });
      manifest.files++;
    }
    zip.addBuffer(Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8'), 'manifest.json', {
      mtime: ZIP_EPOCH,
    });
    zip.end();
  })();
  producer.catch((e: unknown) => (zip.outputStream as Readable).destroy(e as Error));
  for await (const chunk of zip.outputStream) yield new Uint8Array(chunk as Buffer);
  await producer;
}
