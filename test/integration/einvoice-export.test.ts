/**
 * Issue 17: the auditor's export in the national XML. GET /v1/audit/einvoice.zip answers the
 * query's receipts as one `<code>-<number>.xml` each (what GET …/einvoice.xml writes, byte for
 * byte; schema-valid), plus manifest.json naming any receipt that has no national XML and why;
 * a file taken from the archive verifies offline with `feeproof verify receipt.xml`. Read with
 * Info-ZIP's unzip, not with the library that wrote the archive.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../../lambdas/app/deps.js';
import { EINVOICE_FORMAT_VERSION, parseEInvoiceXml, receiptOfEInvoice } from '../../lambdas/core/einvoice.js';
import { streamedBodies } from '../../lambdas/handlers/http/streaming.js';
import { issue } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
let auditor: string;
// biome-ignore lint/suspicious/noExplicitAny: API answers
const issued: any[] = [];
// biome-ignore lint/suspicious/noExplicitAny: API answers
let bureauOnly: any;
const dir = mkdtempSync(join(tmpdir(), 'feeproof-einvoice-zip-'));

beforeAll(async () => {
  svc = await startTestService();
  const collector = await svc.token({ role: 'collector', department: 'ZRZY' });
  auditor = await svc.token({ role: 'auditor' });
  for (let i = 0; i < 3; i++) issued.push((await issue(svc, collector)).body);
  // One receipt as issued before issue 17 (the bureau's signature alone): no national XML.
  const deps = getDeps();
  const keys = deps.departmentKeys;
  deps.departmentKeys = undefined;
  try {
    bureauOnly = (await issue(svc, collector)).body;
  } finally {
    deps.departmentKeys = keys;
  }
}, 180_000);
afterAll(async () => svc?.stop());

const unzip = (zip: string, ...args: string[]) => execFileSync('unzip', [...args, zip]);

describe('GET /v1/audit/einvoice.zip', () => {
  let zip: string;

  it('answers a zip of one national XML per receipt, as the receipt route writes it, and a manifest', async () => {
    const res = await svc.api('GET', '/v1/audit/einvoice.zip?department=ZRZY', { token: auditor });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="feeproof-einvoice-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.zip"$/,
    );
    zip = join(dir, 'export.zip');
    writeFileSync(zip, res.bytes);
    execFileSync('unzip', ['-tq', zip]); // CRCs and structure, by another implementation

    const names = unzip(zip, '-Z1').toString('utf8').trim().split('\n').sort();
    const expected = issued.map((r) => `${r.code}-${r.number}.xml`);
    expect(names).toEqual([...expected, 'manifest.json'].sort());

    for (const r of issued) {
      const fromZip = execFileSync('unzip', ['-p', zip, `${r.code}-${r.number}.xml`]);
      const single = await svc.api('GET', `/v1/receipts/${r.code}/${r.number}/einvoice.xml`, {
        token: auditor,
      });
      expect(fromZip.equals(single.bytes)).toBe(true);
      // Schema-valid (zod, core/einvoice.ts) and the receipt it names.
      const { content, signatures } = receiptOfEInvoice(parseEInvoiceXml(fromZip.toString('utf8')));
      expect(content).toMatchObject({ code: r.code, number: r.number, department: 'ZRZY' });
      expect(signatures.unit.keyId).not.toBe(signatures.supervision.keyId);
    }

    const manifest = JSON.parse(execFileSync('unzip', ['-p', zip, 'manifest.json']).toString('utf8'));
    expect(manifest).toEqual({
      format: EINVOICE_FORMAT_VERSION,
      files: 3,
      skipped: [{ code: bureauOnly.code, number: bureauOnly.number, reason: 'no_two_signatures' }],
    });
  });

  it('a file taken from the archive verifies offline: feeproof verify receipt.xml', async () => {
    const keys = join(dir, 'keys.json');
    writeFileSync(keys, JSON.stringify((await svc.api('GET', '/v1/keys')).body));
    const name = `${issued[1].code}-${issued[1].number}.xml`;
    execFileSync('unzip', ['-o', '-q', zip, name, '-d', dir]);
    const out = await new Promise<{ status: number; stdout: string }>((resolve) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', 'bin/feeproof.ts', 'verify', join(dir, name), '--keys', keys],
        { encoding: 'utf8', timeout: 60_000 },
        (error, stdout) =>
          resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout }),
      ),
    );
    expect(out.stdout).toContain('pass  unit signature');
    expect(out.stdout).toContain('pass  supervision signature');
    expect(out.status).toBe(0);
    expect(readFileSync(join(dir, name)).length).toBeGreaterThan(0);
  }, 120_000);

  it('an empty query gives an empty archive with its manifest; bad filters answer 400; collectors 403', async () => {
    const empty = await svc.api('GET', '/v1/audit/einvoice.zip?department=GA', { token: auditor });
    expect(empty.status).toBe(200);
    const file = join(dir, 'empty.zip');
    writeFileSync(file, empty.bytes);
    expect(unzip(file, '-Z1').toString('utf8').trim()).toBe('manifest.json');

    const bad = await svc.api('GET', '/v1/audit/einvoice.zip?department=zz!&format=csv', { token: auditor });
    expect(bad.status).toBe(400);
    const collector = await svc.token({ role: 'collector', department: 'ZRZY' });
    expect((await svc.api('GET', '/v1/audit/einvoice.zip', { token: collector })).status).toBe(403);
  });
});

describe('streamed bodies in Lambda (collected)', () => {
  const run = async (chunks: (string | Uint8Array)[]) => {
    async function* stream() {
      yield* chunks;
    }
    const request = { response: { statusCode: 200, headers: {}, stream: stream() }, context: {} };
    // biome-ignore lint/suspicious/noExplicitAny: the middleware's request, reduced to what it reads
    await streamedBodies().after!(request as any);
    return request.response as unknown as { body: string; isBase64Encoded?: boolean };
  };

  it('binary chunks (a zip) become one base64 body; text chunks (CSV) stay text', async () => {
    const zip = await run([new Uint8Array([0x50, 0x4b, 3, 4]), new Uint8Array([0xff, 0])]);
    expect(zip.isBase64Encoded).toBe(true);
    expect([...Buffer.from(zip.body, 'base64')]).toEqual([0x50, 0x4b, 3, 4, 0xff, 0]);
    const csv = await run(['a,b\n', '票,1\n']);
    expect(csv).toMatchObject({ body: 'a,b\n票,1\n' });
    expect(csv.isBase64Encoded).toBeUndefined();
  });

  it('refuses a body over one response with 413 payload_too_large', async () => {
    await expect(run([new Uint8Array(4 * 1024 * 1024), new Uint8Array(1024 * 1024)])).rejects.toMatchObject({
      code: 'payload_too_large',
    });
  });
});
