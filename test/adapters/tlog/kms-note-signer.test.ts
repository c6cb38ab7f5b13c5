import { createPublicKey, verify } from 'node:crypto';
import { SignCommand } from '@aws-sdk/client-kms';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { transactWrite } from '../../../lambdas/adapters/dynamo/transactions.js';
import { pendingEntryPut } from '../../../lambdas/adapters/tlog/dynamo-sequence.js';
import { kmsNoteSigner, LogKeyError } from '../../../lambdas/adapters/tlog/kms-note-signer.js';
import { S3TileStore } from '../../../lambdas/adapters/tlog/s3-store.js';
import { logVkey, runLog } from '../../../lambdas/app/transparency-log.js';
import { formatCheckpoint, verifyCheckpoint } from '../../../lambdas/core/tlog/checkpoint.js';
import { decodeEntry } from '../../../lambdas/core/tlog/entries.js';
import { parseNote, parseVkey, signNote } from '../../../lambdas/core/tlog/note.js';
import { decodeBundle } from '../../../lambdas/core/tlog/tiles.js';
import { loadConfig } from '../../../lambdas/runtime/config.js';
import { FakeKms } from '../../support/fake-kms.js';
import { freshTable, localDb, localS3, stopS3 } from './stores.js';

/**
 * The log key in KMS (ECC_NIST_EDWARDS25519, ED25519_SHA_512 over the RAW note text) through the
 * real @aws-sdk/client-kms against the fake KMS, which really signs; and one scheduled run of the
 * AWS log (runLog: the integrator handler's body) over S3 (s3rver) and DynamoDB Local.
 */
const ORIGIN = 'fees.example/log';
let kms: FakeKms;
beforeEach(() => {
  kms = new FakeKms({ region: 'cn-north-1', allClients: true });
});
afterEach(() => kms.restore());
afterAll(stopS3);

describe('KMS note signer', () => {
  it('signs the note text with Ed25519 in KMS; the checkpoint verifies with the vkey from GetPublicKey', async () => {
    const key = kms.createKey('ECC_NIST_EDWARDS25519');
    const signer = await kmsNoteSigner(kms.client, key.arn, ORIGIN);
    const raw = createPublicKey({ key: Buffer.from(key.spki), format: 'der', type: 'spki' }).export({
      format: 'jwk',
    }).x!;
    expect(Buffer.from(parseVkey(signer.vkey).publicKey).toString('base64url')).toBe(raw);
    expect(parseVkey(signer.vkey)).toMatchObject({ name: ORIGIN, keyId: signer.keyId, type: 0x01 });

    const text = formatCheckpoint({ origin: ORIGIN, size: 3, rootHash: new Uint8Array(32).fill(7) });
    const note = await signNote(text, [signer]);
    expect(verifyCheckpoint(note, { origin: ORIGIN, logKeys: [signer.vkey] }).checkpoint.size).toBe(3);
    // What KMS was asked: pure Ed25519 over the note text itself.
    const calls = kms.mock.commandCalls(SignCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toMatchObject({
      KeyId: key.arn,
      SigningAlgorithm: 'ED25519_SHA_512',
      MessageType: 'RAW',
    });
    expect(new TextDecoder().decode(calls[0]!.args[0].input.Message)).toBe(text);
    // Any Ed25519 verifier accepts it (node:crypto here), and a changed text does not verify.
    const sig = parseNote(note).signatures[0]!.signature;
    const pub = createPublicKey({ key: Buffer.from(key.spki), format: 'der', type: 'spki' });
    expect(verify(null, Buffer.from(text), pub, sig)).toBe(true);
    const forged = note.replace('\n3\n', '\n4\n');
    expect(() => verifyCheckpoint(forged, { origin: ORIGIN, logKeys: [signer.vkey] })).toThrow();
  });

  it('refuses a key that is not Ed25519, and a disabled key fails the signing', async () => {
    const p256 = kms.createKey('ECC_NIST_P256');
    await expect(kmsNoteSigner(kms.client, p256.arn, ORIGIN)).rejects.toBeInstanceOf(LogKeyError);
    await expect(kmsNoteSigner(kms.client, p256.arn, ORIGIN)).rejects.toThrow(
      /ECC_NIST_P256, not ECC_NIST_EDWARDS25519/,
    );
    const key = kms.createKey('ECC_NIST_EDWARDS25519');
    const signer = await kmsNoteSigner(kms.client, key.keyId, ORIGIN);
    key.enabled = false;
    await expect(signer.sign('x\n')).rejects.toThrow(/disabled/);
  });
});

describe('one scheduled run of the log in AWS (runLog)', () => {
  it('sequences the queue, writes the tiles to S3, signs with KMS; GET /v1/keys vkey verifies the served checkpoint', async () => {
    const s3 = await localS3();
    const key = kms.createKey('ECC_NIST_EDWARDS25519');
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
    const base = loadConfig({
      FEEPROOF_LOG_ORIGIN: ORIGIN,
      FEEPROOF_LOG_KMS_KEY_ID: key.arn,
      FEEPROOF_LOG_BUCKET: s3.bucket,
      FEEPROOF_S3_ENDPOINT: s3.endpoint,
      FEEPROOF_DYNAMODB_ENDPOINT: 'unused',
    });
    const db = await localDb();
    const table = await freshTable(db);
    const config = { ...base, awsRegion: 'us-east-1', tables: { ...base.tables, ledger: table } };
    const entries = Array.from({ length: 300 }, (_, i) => ({
      v: 1 as const,
      type: 'range' as const,
      event: 'allocated' as const,
      rangeId: `r-${String(i).padStart(3, '0')}`,
      department: 'ZRZY',
      code: '11010126',
      first: 1,
      last: 9,
    }));
    const t0 = Date.parse('2026-12-02T08:00:00.000Z');
    for (let i = 0; i < entries.length; i += 25)
      await transactWrite(
        db,
        entries.slice(i, i + 25).map((e, j) => pendingEntryPut(table, e, new Date(t0 + i + j).toISOString())),
      );

    const run = await runLog({ db, config });
    expect(run).toMatchObject({ sequenced: 300, from: 0, to: 300, witnessErrors: [] });
    expect(run.published).toBeGreaterThan(0);

    const vkey = (await logVkey(config))!;
    expect(vkey.startsWith(`${ORIGIN}+`)).toBe(true);
    const store = new S3TileStore({ s3: s3.client(), bucket: s3.bucket, db, table, readOnly: true });
    const served = await s3.client().send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'log/checkpoint' }));
    const note = await served.Body!.transformToString('utf8');
    expect(verifyCheckpoint(note, { origin: ORIGIN, logKeys: [vkey] }).checkpoint.size).toBe(300);
    const bundle = decodeBundle((await store.readTile({ level: 'entries', index: 1, width: 44 }))!);
    expect(decodeEntry(bundle[0]!)).toMatchObject({ type: 'range', rangeId: 'r-256' });

    // The next run has nothing new: no signature, no checkpoint.
    const signs = kms.mock.commandCalls(SignCommand).length;
    expect(await runLog({ db, config })).toMatchObject({ sequenced: 0, from: 300, to: 300, published: 0 });
    expect(kms.mock.commandCalls(SignCommand)).toHaveLength(signs);
  });
});

describe('the log-integrator Lambda handler', () => {
  it('runs the log as configured by its environment (what the stack sets) and answers the run', async () => {
    const s3 = await localS3();
    const db = await localDb();
    const table = await freshTable(db);
    const key = kms.createKey('ECC_NIST_EDWARDS25519');
    await transactWrite(db, [
      pendingEntryPut(
        table,
        {
          v: 1,
          type: 'range',
          event: 'allocated',
          rangeId: 'h-1',
          department: 'ZRZY',
          code: '11010126',
          first: 1,
          last: 9,
        },
        '2026-12-02T09:00:00.000Z',
      ),
    ]);
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      FEEPROOF_DYNAMODB_ENDPOINT: inject('dynamoEndpoint'),
      FEEPROOF_TABLE_LEDGER: table,
      FEEPROOF_LOG_ORIGIN: 'handler.example/log',
      FEEPROOF_LOG_KMS_KEY_ID: key.arn,
      FEEPROOF_LOG_BUCKET: s3.bucket,
      FEEPROOF_S3_ENDPOINT: s3.endpoint,
      FEEPROOF_LOG_LEVEL: 'silent',
    });
    const { handler } = await import('../../../lambdas/handlers/log-integrator.js');
    const context = { getRemainingTimeInMillis: () => 50_000, functionName: 'log-integrator' } as never;
    const run = await handler({}, context);
    expect(run).toMatchObject({ sequenced: 1, from: 0, to: 1, published: 1 });
    const out = await s3.client().send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'log/checkpoint' }));
    const note = await out.Body!.transformToString('utf8');
    const signer = await kmsNoteSigner(kms.client, key.arn, 'handler.example/log');
    expect(
      verifyCheckpoint(note, { origin: 'handler.example/log', logKeys: [signer.vkey] }).checkpoint.size,
    ).toBe(1);
  });
});
